using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Models;
using Microsoft.ML.VideoCaptioning.Models.QFormer;
using Microsoft.ML.VideoCaptioning.Models.Qwen2;
using Microsoft.ML.VideoCaptioning.Text;
using Microsoft.ML.VideoCaptioning.Training;

namespace Microsoft.ML.VideoCaptioning.Pipeline;

/// <summary>
/// Trains the Q-Former that turns visual features into a prefix for the frozen Qwen2, which then writes the caption
/// (<see cref="QFormerCaptionTrainer"/>). Rows whose features failed (e.g. a corrupt video) are skipped and counted.
/// </summary>
/// <remarks>
/// | Input column | Type | Output column | Type |
/// |---|---|---|---|
/// | features | <see cref="VisualFeatures"/> | caption (prediction) | Text (string) |
/// | label (training only) | Text or Text[] (paraphrases) | | |
/// </remarks>
public sealed class QFormerCaptionEstimator : IEstimator<QFormerCaptionTransformer>
{
    /// <summary>Options of <see cref="QFormerCaptionEstimator"/>.</summary>
    public sealed record Options
    {
        public string LabelColumnName { get; init; } = "Captions";
        public string FeaturesColumnName { get; init; } = "Features";
        public string OutputColumnName { get; init; } = "Caption";
        /// <summary>Hugging Face directory of the frozen language model (e.g. a download of Qwen/Qwen2-1.5B).</summary>
        public required string LanguageModelPath { get; init; }
        /// <summary>tokenizer.json to use (default: the language model directory's, else the Qwen2 tokenizer shipped with the library).</summary>
        public string? TokenizerPath { get; init; }
        public QFormerTrainerOptions Trainer { get; init; } = new();
        /// <summary>Rows per generation call at prediction time.</summary>
        public int PredictionBatchSize { get; init; } = 8;
        public IProgress<TrainingProgress>? Progress { get; init; }
    }

    private readonly Options _o;
    private readonly CancellationToken _cancellation;

    public QFormerCaptionEstimator(Options options, CancellationToken cancellation = default)
    {
        _o = options;
        _cancellation = cancellation;
    }

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        inputSchema.Require(_o.FeaturesColumnName, "Features", typeof(VisualFeatures));
        inputSchema.Require(_o.LabelColumnName, "Label", typeof(string), typeof(string[]), typeof(IReadOnlyList<string>));
        return inputSchema.With(_o.OutputColumnName, typeof(string));
    }

    public QFormerCaptionTransformer Fit(IDataView input, IDataView? validation = null)
    {
        GetOutputSchema(input.Schema);
        var lmType = _o.Trainer.LanguageModelDType ?? (_o.Trainer.Device.IsCuda ? DType.BFloat16 : DType.Float32);
        var lm = Qwen2ForCausalLM.FromPretrained(_o.LanguageModelPath, new TensorOptions(_o.Trainer.Device.EnsureAvailable(), lmType));
        try
        {
            var tokenizerPath = QFormerCaptionTransformer.TokenizerFile(_o.TokenizerPath, _o.LanguageModelPath);
            var tokenizer = Qwen2Tokenizer.FromTokenizerJson(tokenizerPath);
            var train = Examples(input, "training");
            var val = validation != null ? Examples(validation, "validation") : null;
            var result = new QFormerCaptionTrainer(_o.Trainer, lm, tokenizer).Train(train, val, _o.Progress, _cancellation);
            if (result.Cancelled) throw new OperationCanceledException("Training was cancelled; the checkpoint directory holds a resumable checkpoint.");
            return new QFormerCaptionTransformer(_o.FeaturesColumnName, _o.OutputColumnName, result.QFormer, lm, _o.LanguageModelPath, tokenizer, File.ReadAllBytes(tokenizerPath),
                tokenizer.Encode(_o.Trainer.Prompt).Select(i => (long)i).ToArray(), _o.Trainer.Prompt, _o.Trainer.Generation, _o.PredictionBatchSize)
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

    private List<CaptionExample> Examples(IDataView data, string what)
    {
        var list = new List<CaptionExample>();
        int index = 0, failed = 0;
        foreach (var row in data.GetRows(_cancellation))
        {
            var f = row.Get<VisualFeatures>(_o.FeaturesColumnName);
            var captions = row[_o.LabelColumnName] switch
            {
                string s => new[] { s },
                IReadOnlyList<string> l => l.ToArray(),
                var other => throw new InvalidDataException($"Label column '{_o.LabelColumnName}' holds {other?.GetType().Name ?? "null"}."),
            };
            index++;
            if (f.Error != null || captions.Length == 0) { failed++; continue; }
            list.Add(new CaptionExample(f.VideoPath ?? $"row{index - 1}", captions, f.Load));
        }
        if (list.Count == 0) throw new InvalidDataException($"No usable {what} rows ({failed} failed or had no caption).");
        return list;
    }
}

/// <summary>The trained captioner: Q-Former + frozen Qwen2 + tokenizer + prompt + decoding settings.</summary>
public sealed class QFormerCaptionTransformer : IPackagedTransformer, IDisposable
{
    private readonly object _gate = new();

    public string FeaturesColumnName { get; }
    public string OutputColumnName { get; }
    public VideoCaptionModel Model { get; }
    public Qwen2Tokenizer Tokenizer { get; }
    public string Prompt { get; }
    public string LanguageModelPath { get; }
    public GenerationOptions Generation { get; set; }
    public int PredictionBatchSize { get; }

    /// <summary>Epoch summaries of the training run (empty for a loaded model).</summary>
    public IReadOnlyList<EpochSummary> TrainingHistory { get; init; } = [];

    private readonly byte[] _tokenizerJson;   // written into the package on Save

    internal QFormerCaptionTransformer(string featuresColumn, string outputColumn, QFormerModel qformer, Qwen2ForCausalLM lm, string lmPath,
        Qwen2Tokenizer tokenizer, byte[] tokenizerJson, long[] promptIds, string prompt, GenerationOptions generation, int batchSize)
    {
        FeaturesColumnName = featuresColumn;
        OutputColumnName = outputColumn;
        Model = new VideoCaptionModel(qformer, lm, promptIds);
        Tokenizer = tokenizer;
        _tokenizerJson = tokenizerJson;
        Prompt = prompt;
        LanguageModelPath = lmPath;
        Generation = generation;
        PredictionBatchSize = Math.Max(1, batchSize);
    }

    /// <summary>The tokenizer.json to use: the given one, the language model's, or the Qwen2 tokenizer shipped with the library.</summary>
    internal static string TokenizerFile(string? tokenizerPath, string lmPath)
    {
        if (tokenizerPath != null) return tokenizerPath;
        var inModel = Path.Combine(lmPath, "tokenizer.json");
        return File.Exists(inModel) ? inModel : Qwen2Tokenizer.DefaultTokenizerJsonPath;
    }

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        inputSchema.Require(FeaturesColumnName, "Features", typeof(VisualFeatures));
        return inputSchema.With(OutputColumnName, typeof(string));
    }

    public IDataView Transform(IDataView input) => new MappedDataView(input, GetOutputSchema(input.Schema), (rows, ct) =>
        rows.Chunk(PredictionBatchSize).SelectMany(chunk =>
        {
            ct.ThrowIfCancellationRequested();
            var feats = chunk.Select(r => r.Get<VisualFeatures>(FeaturesColumnName)).ToArray();
            var captions = CaptionBatch(feats);
            return chunk.Select((r, i) => r.With(OutputColumnName, captions[i]));
        }));

    /// <summary>Captions for a batch of features; a row whose features failed gets null.</summary>
    public string?[] CaptionBatch(IReadOnlyList<VisualFeatures> features)
    {
        var result = new string?[features.Count];
        var ok = Enumerable.Range(0, features.Count).Where(i => features[i].Error == null).ToArray();
        if (ok.Length == 0) return result;
        // generation runs one batch at a time on the shared model; callers on other threads queue here
        lock (_gate)
        {
            using var scope = TensorScope.Open();
            var batch = Tensor.Stack(ok.Select(i => features[i].Load()).ToList(), 0);
            var ids = Model.Generate(batch, Generation);
            for (int j = 0; j < ok.Length; j++)
                result[ok[j]] = Tokenizer.Decode(ids[j].Select(v => (int)v).ToArray(), skipSpecialTokens: true).Trim();
        }
        return result;
    }

    JsonObject IPackagedTransformer.Save(ModelPackageWriter writer, string folder)
    {
        var qdir = writer.Staging(folder + "/qformer");
        Model.QFormer.SavePretrained(qdir);
        var tokDir = writer.Staging(folder + "/tokenizer");
        File.WriteAllBytes(Path.Combine(tokDir, "tokenizer.json"), _tokenizerJson);
        return new JsonObject
        {
            ["kind"] = "QFormerCaption",
            ["features"] = FeaturesColumnName,
            ["output"] = OutputColumnName,
            ["prompt"] = Prompt,
            ["prompt_ids"] = JsonSerializer.SerializeToNode(Model.PromptIds),
            ["generation"] = JsonSerializer.SerializeToNode(Generation),
            ["prediction_batch_size"] = PredictionBatchSize,
            ["language_model"] = writer.FrozenModel(LanguageModelPath, folder + "/language_model", null),
            ["language_model_dtype"] = Model.LanguageModel.model.embed_tokens.weight.DType.Name(),
        };
    }

    internal static QFormerCaptionTransformer Load(JsonObject step, ModelPackageReader reader, string folder, Device device)
    {
        var lmPath = reader.FrozenModel(step["language_model"]!.AsObject(), folder + "/language_model", "language model");
        var lmType = reader.Options.LanguageModelDType ?? (device.IsCuda ? DType.BFloat16 : DTypes.Parse(step["language_model_dtype"]!.GetValue<string>()));
        var tokenizerJson = reader.EntryFile(folder + "/tokenizer/tokenizer.json");
        var tokenizer = Qwen2Tokenizer.FromTokenizerJson(tokenizerJson);
        var lm = Qwen2ForCausalLM.FromPretrained(lmPath, new TensorOptions(device, lmType));
        try
        {
            var q = QFormerModel.FromPretrained(reader.EntryDirectory(folder + "/qformer"), new TensorOptions(device, DType.Float32));
            q.Freeze();
            return new QFormerCaptionTransformer(step["features"]!.GetValue<string>(), step["output"]!.GetValue<string>(), q, lm, lmPath, tokenizer,
                File.ReadAllBytes(tokenizerJson),
                step["prompt_ids"].Deserialize<long[]>()!, step["prompt"]!.GetValue<string>(), step["generation"].Deserialize<GenerationOptions>()!,
                step["prediction_batch_size"]!.GetValue<int>());
        }
        catch
        {
            lm.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Model.QFormer.Dispose();
        Model.LanguageModel.Dispose();
    }
}
