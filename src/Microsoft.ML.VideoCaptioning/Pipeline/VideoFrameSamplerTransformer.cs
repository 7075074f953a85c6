using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning;

/// <summary>Options of <see cref="VideoFrameSamplerEstimator"/>: the columns plus every <see cref="VideoFrameSampler.Options"/> setting.</summary>
public sealed class VideoFrameSamplerOptions : VideoFrameSampler.Options
{
    /// <summary>The frames column to add.</summary>
    public string OutputColumnName { get; set; } = "Frames";

    /// <summary>The column holding video file paths (Text).</summary>
    public string InputColumnName { get; set; } = "VideoPath";

    /// <summary>Videos decoded at once by <c>Transform</c> (0 = the number of cores); each runs its own ffmpeg.</summary>
    public int DecodeParallelism { get; set; }
}

/// <summary>
/// Samples and preprocesses frames of the video named in a text column, as V-JEPA 2 expects them
/// (<see cref="VideoFrameSampler"/>). Nothing to learn: fitting checks the schema.
/// </summary>
/// <remarks>
/// | Input column | Type | Output column | Type |
/// |---|---|---|---|
/// | video path | Text | frames | Vector of Single (T, 3, crop, crop), decoded only when read |
///
/// A video that cannot be decoded gives a vector with no stored values (sparse, all zero); its error goes to
/// <c>MLContext.Log</c>. The featurizer after this step reads the video path and sampling settings from the column's
/// annotations, so cached videos are never decoded.
/// </remarks>
public sealed class VideoFrameSamplerEstimator : IEstimator<VideoFrameSamplerTransformer>
{
    private readonly IHostEnvironment _env;
    private readonly VideoFrameSamplerOptions _options;

    internal VideoFrameSamplerEstimator(IHostEnvironment env, VideoFrameSamplerOptions options)
    {
        _env = env;
        _options = options;
        if (options.FrameCount < 1) throw new ArgumentOutOfRangeException(nameof(options), "FrameCount must be at least 1.");
        if (options.CropSize < 1) throw new ArgumentOutOfRangeException(nameof(options), "CropSize must be at least 1.");
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var path = inputSchema.FirstOrDefault(c => c.Name == _options.InputColumnName);
        if (path.Name == null) throw MLNet.MissingColumn("video path", _options.InputColumnName);
        if (path.Kind != SchemaShape.Column.VectorKind.Scalar || path.ItemType is not TextDataViewType)
            throw MLNet.WrongColumnType("video path", _options.InputColumnName, "Text", path.GetTypeString());
        return MLNet.With(inputSchema, MLNet.ShapeColumn(_options.OutputColumnName, NumberDataViewType.Single, vector: true));
    }

    public VideoFrameSamplerTransformer Fit(IDataView input)
    {
        GetOutputSchema(MLNet.Shape(input.Schema));
        return new VideoFrameSamplerTransformer(_env, _options);
    }
}

/// <summary>The fitted frame sampler (see <see cref="VideoFrameSamplerEstimator"/>).</summary>
public sealed class VideoFrameSamplerTransformer : ITransformer
{
    internal const string LoaderSignature = "VidcapFrameSampler";
    /// <summary>Annotation on the frames column: the name of the video path column it was sampled from.</summary>
    public const string VideoPathAnnotation = "vidcap.VideoPathColumn";
    /// <summary>Annotation on the frames column: the sampling settings as JSON (part of the feature-cache key).</summary>
    public const string SamplingAnnotation = "vidcap.FrameSampling";

    private static VersionInfo Version => MLNet.Version("VIDFRAME", 0x00010001, LoaderSignature, typeof(VideoFrameSamplerTransformer));

    private readonly IHost _host;
    private readonly VideoFrameSampler _sampler;

    internal VideoFrameSamplerTransformer(IHostEnvironment env, VideoFrameSamplerOptions options)
    {
        _host = MLNet.Host(env, nameof(VideoFrameSamplerTransformer));
        Options = options;
        _sampler = new VideoFrameSampler(options);
    }

    /// <summary>The settings (columns and sampling).</summary>
    public VideoFrameSamplerOptions Options { get; }

    public string OutputColumnName => Options.OutputColumnName;
    public string InputColumnName => Options.InputColumnName;

    public bool IsRowToRowMapper => true;

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => new Mapper(this, inputSchema).OutputSchema;

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => new Mapper(this, inputSchema);

    public IDataView Transform(IDataView input) => new Mapper(this, input.Schema).Transform(input);

    /// <summary>The sampling settings as stored in the annotation and the model zip.</summary>
    internal static string SamplingJson(VideoFrameSampler.Options o) => JsonSerializer.Serialize(o);

    internal static VideoFrameSamplerOptions FromJson(string json, string output, string input)
    {
        var o = JsonSerializer.Deserialize<VideoFrameSamplerOptions>(json) ?? throw new InvalidDataException("Empty frame sampling settings.");
        o.OutputColumnName = output;
        o.InputColumnName = input;
        return o;
    }

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        MLNet.BeginSave(ctx, Version);
        ctx.Writer.Write(OutputColumnName);
        ctx.Writer.Write(InputColumnName);
        ctx.Writer.Write(SamplingJson(Options));
        ctx.Writer.Write(Options.DecodeParallelism);
    }

    private static VideoFrameSamplerTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        MLNet.BeginLoad(ctx, Version);
        string output = ctx.Reader.ReadString(), input = ctx.Reader.ReadString(), json = ctx.Reader.ReadString();
        var o = FromJson(json, output, input);
        o.DecodeParallelism = ctx.Reader.ReadInt32();
        return new VideoFrameSamplerTransformer(env, o);
    }

    private sealed class Mapper : BatchRowMapper
    {
        private readonly VideoFrameSamplerTransformer _parent;
        private readonly DataViewSchema.Column _path;

        public Mapper(VideoFrameSamplerTransformer parent, DataViewSchema input)
            : base(input, parent.Options.DecodeParallelism > 0 ? parent.Options.DecodeParallelism : Environment.ProcessorCount)
        {
            _parent = parent;
            var o = parent.Options;
            _path = input.GetColumnOrNull(o.InputColumnName) ?? throw MLNet.MissingColumn("video path", o.InputColumnName);
            if (_path.Type is not TextDataViewType) throw MLNet.WrongColumnType("video path", o.InputColumnName, "Text", _path.Type.ToString());
            var annotations = new DataViewSchema.Annotations.Builder();
            AddText(annotations, VideoPathAnnotation, o.InputColumnName);
            AddText(annotations, SamplingAnnotation, SamplingJson(o));
            AddedColumns =
            [
                new DataViewSchema.DetachedColumn(o.OutputColumnName,
                    new VectorDataViewType(NumberDataViewType.Single, o.FrameCount, 3, o.CropSize, o.CropSize), annotations.ToAnnotations()),
            ];
        }

        private static void AddText(DataViewSchema.Annotations.Builder b, string name, string value) =>
            b.Add(name, TextDataViewType.Instance, (ref ReadOnlyMemory<char> v) => v = value.AsMemory());

        protected override IReadOnlyList<DataViewSchema.DetachedColumn> AddedColumns { get; }

        protected override IEnumerable<DataViewSchema.Column> Inputs => [_path];

        protected override object Prepare(DataViewRow input) => ((ReadOnlyMemory<char>)ReadValue(input, _path)).ToString();

        protected override object[][] Compute(IReadOnlyList<object> prepared)
        {
            var o = _parent.Options;
            int size = o.FrameCount * 3 * o.CropSize * o.CropSize;
            var results = _parent._sampler.SampleMany(prepared.Cast<string>(), prepared.Count).ToList();
            using var ch = _parent._host.Start("Sampling frames");
            return results.Select(r =>
            {
                if (r.Succeeded) return new object[] { new VBuffer<float>(size, r.Clip!.Pixels) };
                ch.Warning(VideoFailureLog.Message(r.Path, r.Error!.Message));
                return new object[] { new VBuffer<float>(size, 0, [], []) };
            }).ToArray();
        }
    }
}
