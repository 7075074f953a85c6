using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Features;
using Microsoft.ML.VideoCaptioning.Models.Qwen2;
using Microsoft.ML.VideoCaptioning.Text;
using Microsoft.ML.VideoCaptioning.Training;

namespace Microsoft.ML.VideoCaptioning;

/// <summary>
/// Trains the Q-Former between frozen visual features and a frozen Qwen2 (<see cref="QFormerTrainingLoop"/>: AdamW,
/// accumulation, schedule, clipping, validation with coco metrics, best epoch, early stopping, checkpoints and resume)
/// and returns the captioner. Rows whose video failed are skipped and counted in the log.
/// </summary>
/// <remarks>
/// | Input column | Type | Output column | Type |
/// |---|---|---|---|
/// | features | Vector of Single (tokens, hidden) | predicted caption | Text |
/// | label (training only) | Text, or vector of Text (paraphrases: one is drawn per epoch) | | |
///
/// The seed comes from the <c>MLContext</c> and messages go to <c>MLContext.Log</c>; the device follows
/// <see cref="Options.GpuDeviceId"/>/<see cref="Options.FallbackToCpu"/>, else the context's.
/// </remarks>
public sealed class QFormerCaptionTrainer : IEstimator<QFormerCaptionTransformer>
{
    /// <summary>Everything the trainer takes: the columns and frozen model, plus every <see cref="QFormerTrainerOptions"/> setting.</summary>
    public sealed record Options : QFormerTrainerOptions
    {
        public string LabelColumnName { get; init; } = "Captions";
        public string FeatureColumnName { get; init; } = "Features";
        public string PredictedCaptionColumnName { get; init; } = "Caption";
        /// <summary>Hugging Face directory of the frozen language model (e.g. a download of Qwen/Qwen2-1.5B).</summary>
        public string LanguageModelPath { get; init; } = "";
        /// <summary>tokenizer.json to use (default: the language model directory's, else the Qwen2 tokenizer shipped with the library).</summary>
        public string? TokenizerPath { get; init; }
        /// <summary>Validated after every epoch: a data view that has (or whose pipeline produces) the feature and label columns.</summary>
        public IDataView? ValidationSet { get; init; }
        /// <summary>Stops training; the checkpoint directory then holds a resumable checkpoint.</summary>
        public CancellationToken CancellationToken { get; init; }
        /// <summary>GPU to train on (null = the MLContext's <c>GpuDeviceId</c>; neither = the CPU).</summary>
        public int? GpuDeviceId { get; init; }
        /// <summary>Train on the CPU when the GPU cannot be used (null = the MLContext's <c>FallbackToCpu</c>).</summary>
        public bool? FallbackToCpu { get; init; }
        /// <summary>Rows per generation call when the trained model captions.</summary>
        public int PredictionBatchSize { get; init; } = 8;
        /// <summary>Progress of every step and epoch (besides the messages in <c>MLContext.Log</c>), e.g. for a progress bar.</summary>
        public IProgress<TrainingProgress>? Progress { get; init; }
        /// <summary>Copy the language model into the model zip when saving; default: reference it by path and hash.</summary>
        public bool EmbedLanguageModelInModel { get; init; }
    }

    private readonly IHost _host;
    private readonly Options _options;

    internal QFormerCaptionTrainer(IHostEnvironment env, Options options)
    {
        _host = MLNet.Host(env, nameof(QFormerCaptionTrainer));
        _options = options;
        if (string.IsNullOrWhiteSpace(options.LanguageModelPath)) throw new ArgumentException("LanguageModelPath (the Qwen2 model directory) is required.", nameof(options));
        if (!Directory.Exists(options.LanguageModelPath)) throw new DirectoryNotFoundException($"Language model directory not found: {options.LanguageModelPath}.");
        options.Validate();
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var f = inputSchema.FirstOrDefault(c => c.Name == _options.FeatureColumnName);
        if (f.Name == null) throw MLNet.MissingColumn("features", _options.FeatureColumnName);
        if (f.Kind != SchemaShape.Column.VectorKind.Vector || f.ItemType != NumberDataViewType.Single)
            throw MLNet.WrongColumnType("features", _options.FeatureColumnName, "Vector<Single, tokens, hidden>", f.GetTypeString());
        var l = inputSchema.FirstOrDefault(c => c.Name == _options.LabelColumnName);
        if (l.Name == null) throw MLNet.MissingColumn("label", _options.LabelColumnName);
        if (l.ItemType is not TextDataViewType)
            throw MLNet.WrongColumnType("label", _options.LabelColumnName, "Text or Vector<Text>", l.GetTypeString());
        return MLNet.With(inputSchema, MLNet.ShapeColumn(_options.PredictedCaptionColumnName, TextDataViewType.Instance, vector: false));
    }

    public QFormerCaptionTransformer Fit(IDataView input)
    {
        GetOutputSchema(MLNet.Shape(input.Schema));
        var device = MLNet.ResolveDevice(_host, _options.GpuDeviceId, _options.FallbackToCpu);
        var seed = _options.Seed != 0 ? _options.Seed : MLNet.Seed(_host);
        var lmType = _options.LanguageModelDType ?? (device.IsCuda ? DType.BFloat16 : DType.Float32);
        using var ch = _host.Start("Training");
        var lm = Qwen2ForCausalLM.FromPretrained(_options.LanguageModelPath, new TensorOptions(device, lmType));
        try
        {
            var tokenizerPath = TokenizerFile(_options.TokenizerPath, _options.LanguageModelPath);
            var tokenizer = Qwen2Tokenizer.FromTokenizerJson(tokenizerPath);
            var train = Examples(input, "training", ch);
            var validation = _options.ValidationSet is { } v ? Examples(v, "validation", ch) : null;
            ch.Info($"Training the Q-Former on {train.Count} clips ({validation?.Count ?? 0} for validation) on {device}, seed {seed}.");
            var progress = new ChannelProgress(ch, _options.Progress);
            var loop = new QFormerTrainingLoop(_options with { Seed = seed, Device = device }, lm, tokenizer);
            var result = loop.Train(train, validation, progress, _options.CancellationToken);
            if (result.Cancelled) throw new OperationCanceledException("Training was cancelled; the checkpoint directory holds a resumable checkpoint.");
            ch.Info($"Best epoch {result.BestEpoch + 1} of {result.Epochs.Count}" + (result.StoppedEarly ? " (stopped early)." : "."));
            return new QFormerCaptionTransformer(_host, _options.FeatureColumnName, _options.PredictedCaptionColumnName, result.QFormer, lm,
                FrozenModelReference.Of(_options.LanguageModelPath, _options.EmbedLanguageModelInModel), tokenizer, File.ReadAllBytes(tokenizerPath),
                _options.Prompt, _options.Generation, _options.PredictionBatchSize, _options.EmbedLanguageModelInModel, null)
            {
                TrainingHistory = result.Epochs,
            };
        }
        catch
        {
            lm.Dispose();
            throw;
        }
    }

    /// <summary>The tokenizer.json to use: the given one, the language model's, or the Qwen2 tokenizer shipped with the library.</summary>
    internal static string TokenizerFile(string? tokenizerPath, string lmPath)
    {
        if (tokenizerPath != null) return tokenizerPath;
        var inModel = Path.Combine(lmPath, "tokenizer.json");
        return File.Exists(inModel) ? inModel : Qwen2Tokenizer.DefaultTokenizerJsonPath;
    }

    /// <summary>
    /// One example per usable row. Features that live in the feature cache are read from it when used; other features are
    /// kept in memory as float16. Rows whose video failed, or that have no caption, are skipped.
    /// </summary>
    private List<CaptionExample> Examples(IDataView data, string what, IChannel ch)
    {
        var (features, _, _) = QFormerCaptionTransformer.FeatureColumn(data.Schema, _options.FeatureColumnName);
        var label = data.Schema.GetColumnOrNull(_options.LabelColumnName) ?? throw MLNet.MissingColumn("label", _options.LabelColumnName);
        var key = VJepaFeaturizerTransformer.FeatureCacheKey.Of(features);
        var pathColumn = key != null ? data.Schema.GetColumnOrNull(key.VideoPathColumn) : null;
        var cache = key != null ? new FeatureCache(key.Directory) : null;
        // After `vidcap featurize` every entry is usually in the cache already: then the features are not read at all here.
        if (cache != null && pathColumn is { } cachedPath && AllCached(data, label, cachedPath, cache, key!) is { } cached)
            return Checked(cached.Examples, cached.Skipped, what, ch);
        var list = new List<CaptionExample>();
        int failed = 0, index = 0;
        using var cursor = data.GetRowCursor(pathColumn is { } pc ? [features, label, pc] : [features, label]);
        while (cursor.MoveNext())
        {
            _options.CancellationToken.ThrowIfCancellationRequested();
            var captions = Captions(cursor, label);
            string id = $"{what}{index++}";
            if (cache != null && pathColumn is { } p)
            {
                // Reading the row's features makes the featurizer fill the cache; the example then reads the cache file.
                var video = Path.GetFullPath(((ReadOnlyMemory<char>)BatchRowMapper.ReadValue(cursor, p)).ToString());
                bool ok = QFormerCaptionTransformer.ReadFeatures(cursor, features) != null
                    && cache.Check(video, key!.Encoder, key.Preprocessing).State == CacheEntryState.Valid;
                if (!ok || captions.Length == 0) { failed++; continue; }
                list.Add(new CaptionExample(video, captions, cache.Loader(video)));
                continue;
            }
            var values = QFormerCaptionTransformer.ReadFeatures(cursor, features);
            if (values == null || captions.Length == 0) { failed++; continue; }
            list.Add(new CaptionExample(id, captions, InMemory(values, features)));
        }
        return Checked(list, failed, what, ch);
    }

    private static List<CaptionExample> Checked(List<CaptionExample> list, int failed, string what, IChannel ch)
    {
        if (failed > 0) ch.Warning($"{failed} {what} rows were skipped: their video failed or they have no caption.");
        if (list.Count == 0) throw new InvalidDataException($"No usable {what} rows ({failed} failed or had no caption).");
        return list;
    }

    /// <summary>Examples read from the feature cache when every row's entry is valid there; null when one is not.</summary>
    private (List<CaptionExample> Examples, int Skipped)? AllCached(IDataView data, DataViewSchema.Column label, DataViewSchema.Column path,
        FeatureCache cache, VJepaFeaturizerTransformer.FeatureCacheKey key)
    {
        var list = new List<CaptionExample>();
        int skipped = 0;
        using var cursor = data.GetRowCursor([label, path]);
        while (cursor.MoveNext())
        {
            _options.CancellationToken.ThrowIfCancellationRequested();
            var video = Path.GetFullPath(((ReadOnlyMemory<char>)BatchRowMapper.ReadValue(cursor, path)).ToString());
            if (cache.Check(video, key.Encoder, key.Preprocessing).State != CacheEntryState.Valid) return null;
            var captions = Captions(cursor, label);
            if (captions.Length == 0) { skipped++; continue; }
            list.Add(new CaptionExample(video, captions, cache.Loader(video)));
        }
        return (list, skipped);
    }

    private static Func<Tensor> InMemory(float[] values, DataViewSchema.Column column)
    {
        var dims = ((VectorDataViewType)column.Type).Dimensions;
        using var scope = TensorScope.Open();
        var kept = Tensor.From(values, dims[0], dims[1]).To(DType.Float16).DetachFromScope().TrackMemoryPressure();
        return () => kept.To(DType.Float32);
    }

    private static string[] Captions(DataViewRow row, DataViewSchema.Column label)
    {
        var value = BatchRowMapper.ReadValue(row, label);
        var all = value switch
        {
            ReadOnlyMemory<char> one => [one.ToString()],
            VBuffer<ReadOnlyMemory<char>> many => many.DenseValues().Select(m => m.ToString()).ToArray(),
            _ => throw new InvalidDataException($"Label column '{label.Name}' holds {value.GetType().Name}, not text."),
        };
        return all.Where(c => !string.IsNullOrWhiteSpace(c)).ToArray();
    }

    /// <summary>Epoch summaries to MLContext.Log, every report to the caller's progress.</summary>
    private sealed class ChannelProgress(IChannel ch, IProgress<TrainingProgress>? inner) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress p)
        {
            inner?.Report(p);
            if (p.Phase == "epoch")
                ch.Info($"epoch {p.Epoch + 1}/{p.Epochs}: loss {p.Loss:F4}" + (p.Metrics is { } m ? " " + string.Join(" ", m.Select(kv => $"{kv.Key} {kv.Value:F3}")) : "")
                    + (p.Scst is { } s ? $" (self-critical: reward {s.Reward:F3}, baseline {s.Baseline:F3}, {s.BeatBaseline:P0} of samples beat it)" : ""));
        }
    }
}
