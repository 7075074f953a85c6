using System.Text.Json.Nodes;
using Microsoft.ML.VideoCaptioning.Data;
using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Evaluation;
using Microsoft.ML.VideoCaptioning.Features;
using Microsoft.ML.VideoCaptioning.Training;
using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning.Pipeline;

/// <summary>
/// The entry point, like ML.NET's MLContext: seed, device, log, cancellation, and the catalogs
/// <see cref="Data"/>, <see cref="Transforms"/>, <see cref="Trainers"/> and <see cref="Model"/>.
/// </summary>
/// <example><code>
/// var ctx = new VideoCaptioningContext(seed: 1);
/// var train = ctx.Data.LoadFromJsonl("train.jsonl");
/// var pipeline = ctx.Transforms.SampleVideoFrames("Frames", "VideoPath", frameCount: 16, cropSize: 64)
///     .Append(ctx.Transforms.FeaturizeVJepa("Features", "Frames", encoderPath))
///     .Append(ctx.Trainers.QFormerCaption("Captions", "Features", languageModelPath));
/// var model = pipeline.Fit(train);
/// ctx.Model.Save(model, train.Schema, "captioner.zip");
/// var engine = ctx.Model.CreatePredictionEngine&lt;VideoInput, CaptionPrediction&gt;(model);
/// </code></example>
public sealed class VideoCaptioningContext
{
    /// <summary>Creates a context. <paramref name="seed"/> seeds training (null = 0, reproducible).</summary>
    public VideoCaptioningContext(int? seed = null, Device? device = null)
    {
        Seed = seed ?? 0;
        Device = (device ?? Device.Cpu).EnsureAvailable();
        Data = new DataCatalog();
        Transforms = new TransformsCatalog(this);
        Trainers = new TrainersCatalog(this);
        Model = new ModelCatalog(this);
    }

    public int Seed { get; }
    public Device Device { get; }

    /// <summary>Receives progress lines (training epochs, featurization) when set.</summary>
    public Action<string>? Log { get; set; }

    /// <summary>Cancels long operations (Fit, featurization) started from this context.</summary>
    public CancellationToken CancellationToken { get; set; }

    public DataCatalog Data { get; }
    public TransformsCatalog Transforms { get; }
    public TrainersCatalog Trainers { get; }
    public ModelCatalog Model { get; }

    /// <summary>
    /// Scores predicted captions against reference captions with coco-caption's metrics (BLEU-1..4, METEOR, ROUGE-L,
    /// CIDEr-D). Rows whose prediction is null (a failed video) are left out and counted in the metrics' item ids.
    /// </summary>
    public CaptionMetrics Evaluate(IDataView data, string labelColumnName = "Captions", string predictionColumnName = "Caption",
        CaptionEvaluatorOptions? options = null)
    {
        data.Schema.Require(labelColumnName, "Label", typeof(string), typeof(string[]), typeof(IReadOnlyList<string>));
        data.Schema.Require(predictionColumnName, "Prediction", typeof(string));
        var refs = new Dictionary<string, IReadOnlyList<string>>();
        var cands = new Dictionary<string, string>();
        int i = 0;
        foreach (var row in data.GetRows(CancellationToken))
        {
            var id = (i++).ToString();
            if (row[predictionColumnName] is not string pred) continue;
            refs[id] = row[labelColumnName] switch { string s => [s], IReadOnlyList<string> l => l, _ => [] };
            cands[id] = pred;
        }
        if (cands.Count == 0) throw new InvalidDataException("Nothing to evaluate: every prediction is missing.");
        return new CaptionEvaluator(options).Evaluate(refs, cands);
    }

    private IProgress<TrainingProgress>? TrainingLog() => Log == null ? null : new ProgressLog(Log);

    private sealed class ProgressLog(Action<string> log) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress p)
        {
            if (p.Phase == "epoch")
                log($"epoch {p.Epoch + 1}/{p.Epochs}: loss {p.Loss:F4}" + (p.Metrics is { } m ? " " + string.Join(" ", m.Select(kv => $"{kv.Key} {kv.Value:F3}")) : ""));
        }
    }

    /// <summary>Loading data (ML.NET's DataOperationsCatalog).</summary>
    public sealed class DataCatalog
    {
        /// <summary>A data view over objects: one column per public property.</summary>
        public IDataView LoadFromEnumerable<T>(IEnumerable<T> data) => new EnumerableDataView<T>(data);

        /// <summary>Rows of video path + captions from a JSONL file (<c>{"video": "...", "captions": [...]}</c> or <c>"caption"</c>).</summary>
        public IDataView LoadFromJsonl(string path) => new EnumerableDataView<VideoCaptionRow>(DatasetLoaders.Jsonl(path));

        /// <summary>Rows from a CSV with a header holding video and caption columns (several rows per video = several captions).</summary>
        public IDataView LoadFromCsv(string path, string videoColumn = "video", string captionColumn = "caption") =>
            new EnumerableDataView<VideoCaptionRow>(DatasetLoaders.Csv(path, videoColumn, captionColumn));

        /// <summary>Something-Something-V2: an annotation list (train/validation JSON) and the video folder; optional paraphrases.</summary>
        public IDataView LoadSsv2(string annotationsJson, string videoDirectory, string? paraphrasesJson = null, string videoExtension = ".webm") =>
            new EnumerableDataView<VideoCaptionRow>(DatasetLoaders.Ssv2(annotationsJson, videoDirectory, paraphrasesJson, videoExtension));

        /// <summary>MSR-VTT: videodatainfo.json (videos with split, sentences) and the video folder.</summary>
        public IDataView LoadMsrVtt(string videoDataInfoJson, string videoDirectory, string? split = null) =>
            new EnumerableDataView<VideoCaptionRow>(DatasetLoaders.MsrVtt(videoDataInfoJson, videoDirectory, split));

        /// <summary>VATEX: an annotation list with videoID and enCap, and the video folder.</summary>
        public IDataView LoadVatex(string annotationsJson, string videoDirectory) =>
            new EnumerableDataView<VideoCaptionRow>(DatasetLoaders.Vatex(annotationsJson, videoDirectory));
    }

    /// <summary>Data transformations (ML.NET's TransformsCatalog).</summary>
    public sealed class TransformsCatalog(VideoCaptioningContext ctx)
    {
        /// <summary>Samples and preprocesses <paramref name="frameCount"/> frames of the video named in <paramref name="inputColumnName"/>.</summary>
        public VideoFrameSamplerEstimator SampleVideoFrames(string outputColumnName = "Frames", string? inputColumnName = null, int frameCount = 32,
            int cropSize = 256) =>
            SampleVideoFrames(outputColumnName, inputColumnName, new VideoFrameSampler.Options { FrameCount = frameCount, CropSize = cropSize });

        /// <summary>Samples frames with full <see cref="VideoFrameSampler.Options"/>.</summary>
        public VideoFrameSamplerEstimator SampleVideoFrames(string outputColumnName, string? inputColumnName, VideoFrameSampler.Options options) =>
            new(outputColumnName, inputColumnName ?? "VideoPath", options);

        /// <summary>Encodes frames with the frozen V-JEPA 2 encoder in <paramref name="encoderPath"/>, caching features when a directory is given.</summary>
        public VJepaFeaturizerEstimator FeaturizeVJepa(string outputColumnName, string inputColumnName, string encoderPath,
            string? cacheDirectory = null, int batchSize = 1) =>
            FeaturizeVJepa(new VJepaFeaturizerEstimator.Options
            {
                OutputColumnName = outputColumnName, InputColumnName = inputColumnName, EncoderPath = encoderPath, CacheDirectory = cacheDirectory,
                Featurizer = new VJepaFeaturizerOptions { Device = ctx.Device, BatchSize = batchSize },
            });

        /// <summary>Encodes frames with full options.</summary>
        public VJepaFeaturizerEstimator FeaturizeVJepa(VJepaFeaturizerEstimator.Options options) => new(options);
    }

    /// <summary>Trainers (ML.NET's trainer catalogs).</summary>
    public sealed class TrainersCatalog(VideoCaptioningContext ctx)
    {
        /// <summary>Trains a Q-Former captioner over the frozen Qwen2 in <paramref name="languageModelPath"/> with the seed's recipe.</summary>
        public QFormerCaptionEstimator QFormerCaption(string labelColumnName = "Captions", string featuresColumnName = "Features",
            string? languageModelPath = null, int epochs = 100, int batchSize = 8, double learningRate = 5e-5) =>
            QFormerCaption(new QFormerCaptionEstimator.Options
            {
                LabelColumnName = labelColumnName, FeaturesColumnName = featuresColumnName,
                LanguageModelPath = languageModelPath ?? throw new ArgumentNullException(nameof(languageModelPath), "The language model directory is required."),
                Trainer = new QFormerTrainerOptions { Epochs = epochs, BatchSize = batchSize, LearningRate = learningRate },
            });

        /// <summary>Trains with full options (the context's seed and device apply unless the options set them).</summary>
        public QFormerCaptionEstimator QFormerCaption(QFormerCaptionEstimator.Options options) =>
            new(options with
            {
                Trainer = options.Trainer with
                {
                    Seed = options.Trainer.Seed == 0 ? (ulong)ctx.Seed : options.Trainer.Seed,
                    Device = options.Trainer.Device == Device.Cpu ? ctx.Device : options.Trainer.Device,
                },
                Progress = options.Progress ?? ctx.TrainingLog(),
            }, ctx.CancellationToken);
    }

    /// <summary>Saving, loading and prediction (ML.NET's ModelOperationsCatalog).</summary>
    public sealed class ModelCatalog(VideoCaptioningContext ctx)
    {
        /// <summary>Writes a fitted pipeline (and the input schema) to a zip; see <see cref="ModelSaveOptions"/>.</summary>
        public void Save(ITransformer model, DataViewSchema inputSchema, string path, ModelSaveOptions? options = null)
        {
            var steps = model is TransformerChain<QFormerCaptionTransformer> chain ? chain.Steps : [model];
            using var writer = new ModelPackageWriter(options ?? new ModelSaveOptions());
            var array = new JsonArray();
            int i = 0;
            foreach (var s in steps)
            {
                if (s is not IPackagedTransformer p) throw new ArgumentException($"{s.GetType().Name} cannot be saved in a model package.");
                array.Add(p.Save(writer, $"step{i++}"));
            }
            var manifest = new JsonObject
            {
                ["format"] = ModelPackageWriter.Format,
                ["version"] = ModelPackageWriter.Version,
                ["created_utc"] = DateTime.UtcNow.ToString("O"),
                ["library_version"] = typeof(VideoCaptioningContext).Assembly.GetName().Version?.ToString(),
                ["input_schema"] = new JsonArray(inputSchema.Columns.Select(c => (JsonNode)new JsonObject { ["name"] = c.Name, ["type"] = DataViewSchema.TypeName(c.Type) }).ToArray()),
                ["steps"] = array,
            };
            writer.Commit(path, manifest);
        }

        /// <summary>Reads a model zip; returns the pipeline and the input schema it expects.</summary>
        public TransformerChain<QFormerCaptionTransformer> Load(string path, out DataViewSchema inputSchema, ModelLoadOptions? options = null)
        {
            var o = options ?? new ModelLoadOptions { Device = ctx.Device };
            using var reader = new ModelPackageReader(path, o);
            inputSchema = new DataViewSchema(reader.Manifest["input_schema"]!.AsArray().Select(c =>
                (c!["name"]!.GetValue<string>(), c["type"]!.GetValue<string>() switch { "Text" => typeof(string), "Text[]" => typeof(string[]), var t => typeof(object) })));
            var steps = new List<ITransformer>();
            try
            {
                int i = 0;
                foreach (var node in reader.Manifest["steps"]!.AsArray())
                {
                    var step = node!.AsObject();
                    var folder = $"step{i++}";
                    steps.Add(step["kind"]!.GetValue<string>() switch
                    {
                        "SampleVideoFrames" => VideoFrameSamplerTransformer.Load(step),
                        "FeaturizeVJepa" => VJepaFeaturizerTransformer.Load(step, reader, folder, o.Device),
                        "QFormerCaption" => QFormerCaptionTransformer.Load(step, reader, folder, o.Device),
                        var k => throw new ModelPackageException($"{path}: unknown step kind '{k}'."),
                    });
                }
                return new TransformerChain<QFormerCaptionTransformer>([.. steps]);
            }
            catch
            {
                foreach (var s in steps) (s as IDisposable)?.Dispose();
                throw;
            }
        }

        /// <summary>A single-threaded prediction engine over a fitted pipeline.</summary>
        public PredictionEngine<TIn, TOut> CreatePredictionEngine<TIn, TOut>(ITransformer model) where TIn : class where TOut : class, new() =>
            new(model, new EnumerableDataView<TIn>([]).Schema);

        /// <summary>A pool for concurrent callers (at most <paramref name="maxConcurrency"/> predictions at once).</summary>
        public PredictionEnginePool<TIn, TOut> CreatePredictionEnginePool<TIn, TOut>(ITransformer model, int maxConcurrency = 1)
            where TIn : class where TOut : class, new() => new(CreatePredictionEngine<TIn, TOut>(model), maxConcurrency);
    }
}
