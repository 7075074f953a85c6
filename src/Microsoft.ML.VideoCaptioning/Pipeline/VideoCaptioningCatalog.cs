using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.VideoCaptioning.Data;
using Microsoft.ML.VideoCaptioning.Evaluation;
using Microsoft.ML.VideoCaptioning.Timeline;

namespace Microsoft.ML.VideoCaptioning;

/// <summary>
/// Video captioning on an <see cref="MLContext"/>: <c>ml.VideoCaptioning()</c> gives dataset loaders, the Q-Former
/// trainer, the evaluator and model loading with overrides. The frame sampler and featurizer are on
/// <c>ml.Transforms</c> (<see cref="VideoCaptioningCatalogExtensions"/>).
/// </summary>
public sealed class VideoCaptioningCatalog
{
    private readonly MLContext _ml;

    internal VideoCaptioningCatalog(MLContext ml)
    {
        _ml = ml;
        Data = new DataCatalog(ml);
        Trainers = new TrainersCatalog(ml);
    }

    /// <summary>Dataset loaders: each returns an <see cref="IDataView"/> with <c>Id</c> and <c>VideoPath</c> (Text) and <c>Captions</c> (vector of Text).</summary>
    public DataCatalog Data { get; }

    /// <summary>The Q-Former caption trainer.</summary>
    public TrainersCatalog Trainers { get; }

    /// <summary>
    /// Scores predicted captions against reference captions with coco-caption's metrics (BLEU-1..4, METEOR, ROUGE-L,
    /// CIDEr-D). Rows with an empty prediction (a video that failed) are left out and counted in <see cref="CaptioningMetrics.SkippedCount"/>.
    /// </summary>
    /// <param name="data">Rows with references and predictions, e.g. <c>model.Transform(testData)</c>.</param>
    /// <param name="labelColumnName">References: Text, or a vector of Text.</param>
    /// <param name="predictedCaptionColumnName">Predictions: Text.</param>
    /// <param name="options">Which metrics, and where Meteor's data is.</param>
    public CaptioningMetrics Evaluate(IDataView data, string labelColumnName = "Captions", string predictedCaptionColumnName = "Caption",
        CaptionEvaluatorOptions? options = null)
    {
        var label = data.Schema.GetColumnOrNull(labelColumnName) ?? throw MLNet.MissingColumn("label", labelColumnName);
        if (label.Type.GetItemType() is not TextDataViewType) throw MLNet.WrongColumnType("label", labelColumnName, "Text or Vector<Text>", label.Type.ToString());
        var pred = data.Schema.GetColumnOrNull(predictedCaptionColumnName) ?? throw MLNet.MissingColumn("predicted caption", predictedCaptionColumnName);
        if (pred.Type is not TextDataViewType) throw MLNet.WrongColumnType("predicted caption", predictedCaptionColumnName, "Text", pred.Type.ToString());
        var refs = new Dictionary<string, IReadOnlyList<string>>();
        var cands = new Dictionary<string, string>();
        int row = 0, skipped = 0;
        using (var cursor = data.GetRowCursor([label, pred]))
        {
            while (cursor.MoveNext())
            {
                var id = (row++).ToString();
                var p = ((ReadOnlyMemory<char>)BatchRowMapper.ReadValue(cursor, pred)).ToString();
                if (p.Length == 0) { skipped++; continue; }
                refs[id] = BatchRowMapper.ReadValue(cursor, label) switch
                {
                    ReadOnlyMemory<char> one => [one.ToString()],
                    VBuffer<ReadOnlyMemory<char>> many => many.DenseValues().Select(m => m.ToString()).ToList(),
                    _ => [],
                };
                cands[id] = p;
            }
        }
        if (cands.Count == 0) throw new InvalidDataException($"Nothing to evaluate: all {row} predictions in '{predictedCaptionColumnName}' are empty.");
        return new CaptioningMetrics(new CaptionEvaluator(options).Evaluate(refs, cands), skipped);
    }

    /// <summary>
    /// Loads a model zip like <c>ml.Model.Load</c>, with overrides for where the frozen models are, and errors that name the file.
    /// </summary>
    public ITransformer LoadModel(string path, out DataViewSchema inputSchema, VideoCaptioningLoadOptions? options = null)
    {
        if (!File.Exists(path)) throw new ModelPackageException($"Model file not found: {path}.");
        DataViewSchema schema = null!;
        try
        {
            var model = VideoCaptioningLoadOptions.With(options ?? new(), () => _ml.Model.Load(path, out schema));
            inputSchema = schema;
            return model;
        }
        catch (Exception e) when (e is not ModelPackageException && Unwrap(e) is ModelPackageException inner)
        {
            throw new ModelPackageException($"{path}: {inner.Message}", inner);
        }
        catch (ModelPackageException e)
        {
            throw new ModelPackageException($"{path}: {e.Message}", e);
        }
        catch (Exception e) when (e is InvalidDataException or InvalidOperationException or FormatException or EndOfStreamException or IOException)
        {
            throw new ModelPackageException($"{path}: not a readable ML.NET model zip ({Unwrap(e).Message}).", e);
        }
    }

    /// <summary>
    /// Captions a long video window by window with a trained captioner: the video is cut into windows (fixed, or at shot
    /// changes), each window sampled as the model samples a clip, featurized and captioned in batches, neighbouring windows
    /// with the same caption merged into segments. One decoding pass per video; memory stays flat in its length.
    /// </summary>
    /// <param name="model">A model that samples, encodes and captions videos itself (see <see cref="TrainedCaptioner.From"/>).</param>
    /// <param name="videoPath">The video.</param>
    /// <param name="options">How the video is cut (default: 4-second windows that touch).</param>
    /// <param name="batchSize">Windows per encoder and generation call.</param>
    /// <param name="cancellationToken">Stops decoding and captioning.</param>
    /// <returns>Every window's caption, the merged segments (they tile the video) and the damaged stretches.</returns>
    /// <exception cref="Video.VideoDecodeException">The video is missing or unreadable.</exception>
    public TimelineResult CaptionTimeline(ITransformer model, string videoPath, TimelineOptions? options = null, int batchSize = 8,
        CancellationToken cancellationToken = default) =>
        Timeline(model, options, batchSize).Caption(videoPath, cancellationToken);

    /// <summary>
    /// Timeline captions of many videos as an <see cref="IDataView"/>: one row per window with <c>VideoPath</c> (Text),
    /// <c>Start</c> and <c>End</c> (seconds, Double), <c>Caption</c> (Text; empty for a damaged window) and
    /// <c>Confidence</c> (Double: mean token log-probability; NaN when damaged), in video and time order — the windows of
    /// <see cref="CaptionTimeline(ITransformer, string, TimelineOptions?, int, CancellationToken)"/>. Lazy: each cursor decodes
    /// and captions as it reads. A missing or unreadable video has no rows and a warning "<c>video: reason</c>" in
    /// <c>MLContext.Log</c> (<see cref="VideoFailureLog"/>).
    /// </summary>
    /// <param name="model">A model that samples, encodes and captions videos itself.</param>
    /// <param name="videos">Rows naming the videos.</param>
    /// <param name="videoPathColumnName">The column with the video paths (Text).</param>
    /// <param name="options">How the videos are cut.</param>
    /// <param name="batchSize">Windows per encoder and generation call.</param>
    public IDataView CaptionTimeline(ITransformer model, IDataView videos, string videoPathColumnName = "VideoPath", TimelineOptions? options = null, int batchSize = 8)
    {
        ArgumentNullException.ThrowIfNull(videos);
        var column = videos.Schema.GetColumnOrNull(videoPathColumnName) ?? throw MLNet.MissingColumn("video path", videoPathColumnName);
        if (column.Type is not TextDataViewType) throw MLNet.WrongColumnType("video path", videoPathColumnName, "Text", column.Type.ToString());
        var captioner = Timeline(model, options, batchSize);
        var host = MLNet.Host(_ml, nameof(TimelineCaptioner));
        return _ml.Data.LoadFromEnumerable(TimelineRow.Read(videos, column, captioner, host));   // an iterator: each cursor runs it anew
    }

    private static TimelineCaptioner Timeline(ITransformer model, TimelineOptions? options, int batchSize)
    {
        var parts = TrainedCaptioner.From(model);
        return new TimelineCaptioner(new VideoTimelineReader(parts.Sampling, options), parts.Featurizer, parts.Generator, batchSize);
    }

    private static Exception Unwrap(Exception e)
    {
        while (e.InnerException != null && e is not ModelPackageException) e = e.InnerException;
        return e;
    }

    /// <summary>Dataset loaders (ML.NET's <c>DataOperationsCatalog</c> for video captions).</summary>
    public sealed class DataCatalog
    {
        private readonly MLContext _ml;

        internal DataCatalog(MLContext ml) => _ml = ml;

        private IDataView View(IEnumerable<VideoCaptionRow> rows) => _ml.Data.LoadFromEnumerable(rows);

        /// <summary>Rows from a JSONL file: <c>{"video": "clip.mp4", "captions": ["…", "…"]}</c> (or <c>"caption"</c>); paths relative to the file.</summary>
        public IDataView LoadFromJsonl(string path) => View(DatasetLoaders.Jsonl(path));

        /// <summary>Rows from a CSV with a header holding video and caption columns (several rows per video = several captions).</summary>
        public IDataView LoadFromCsv(string path, string videoColumn = "video", string captionColumn = "caption") =>
            View(DatasetLoaders.Csv(path, videoColumn, captionColumn));

        /// <summary>Something-Something-V2: an annotation list (train/validation JSON), the video folder and optionally the seed's paraphrase file.</summary>
        public IDataView LoadSsv2(string annotationsJson, string videoDirectory, string? paraphrasesJson = null, string videoExtension = ".webm") =>
            View(DatasetLoaders.Ssv2(annotationsJson, videoDirectory, paraphrasesJson, videoExtension));

        /// <summary>MSR-VTT: videodatainfo.json (videos with split and sentences) and the video folder.</summary>
        public IDataView LoadMsrVtt(string videoDataInfoJson, string videoDirectory, string? split = null) =>
            View(DatasetLoaders.MsrVtt(videoDataInfoJson, videoDirectory, split));

        /// <summary>VATEX: an annotation list with videoID and enCap, and the video folder.</summary>
        public IDataView LoadVatex(string annotationsJson, string videoDirectory) => View(DatasetLoaders.Vatex(annotationsJson, videoDirectory));
    }

    /// <summary>Trainers for video captioning.</summary>
    public sealed class TrainersCatalog
    {
        private readonly MLContext _ml;

        internal TrainersCatalog(MLContext ml) => _ml = ml;

        /// <summary>Trains a Q-Former captioner over the frozen Qwen2 in <paramref name="languageModelPath"/> with the seed's recipe.</summary>
        /// <param name="labelColumnName">Reference captions: Text, or a vector of Text (paraphrases).</param>
        /// <param name="featureColumnName">Visual features: Vector of Single (tokens, hidden), e.g. from <c>FeaturizeVJepa</c>.</param>
        /// <param name="languageModelPath">Hugging Face directory of the frozen Qwen2.</param>
        /// <param name="predictedCaptionColumnName">The caption column the trained model adds.</param>
        /// <param name="epochs">Passes over the training data.</param>
        /// <param name="batchSize">Examples per forward/backward pass.</param>
        /// <param name="learningRate">AdamW's peak learning rate.</param>
        public QFormerCaptionTrainer QFormer(string labelColumnName = "Captions", string featureColumnName = "Features", string languageModelPath = "",
            string predictedCaptionColumnName = "Caption", int epochs = 100, int batchSize = 8, double learningRate = 5e-5) =>
            QFormer(new QFormerCaptionTrainer.Options
            {
                LabelColumnName = labelColumnName, FeatureColumnName = featureColumnName, LanguageModelPath = languageModelPath,
                PredictedCaptionColumnName = predictedCaptionColumnName, Epochs = epochs, BatchSize = batchSize, LearningRate = learningRate,
            });

        /// <summary>Trains with every setting of <see cref="QFormerCaptionTrainer.Options"/>.</summary>
        public QFormerCaptionTrainer QFormer(QFormerCaptionTrainer.Options options) => new(_ml, options);
    }
}
