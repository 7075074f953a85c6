using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Features;
using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning;

/// <summary>Options of <see cref="VJepaFeaturizerEstimator"/>.</summary>
public sealed class VJepaFeaturizerOptions
{
    /// <summary>The features column to add.</summary>
    public string OutputColumnName { get; set; } = "Features";
    /// <summary>The frames column (from <c>SampleVideoFrames</c>, or any vector of Single (T, 3, crop, crop)).</summary>
    public string InputColumnName { get; set; } = "Frames";
    /// <summary>Hugging Face directory of the encoder (e.g. a download of facebook/vjepa2-vitl-fpc64-256).</summary>
    public string EncoderPath { get; set; } = "";
    /// <summary>Feature cache directory (null = no cache). Shared with <c>vidcap featurize</c>: either can fill it.</summary>
    public string? CacheDirectory { get; set; }
    /// <summary>Storage type of cached features.</summary>
    public DType CacheStorageType { get; set; } = DType.Float16;
    /// <summary>Clips per encoder call.</summary>
    public int BatchSize { get; set; } = 1;
    /// <summary>Encoder compute type (null = <see cref="VJepaFeaturizer.DefaultComputeType"/>: bfloat16 on CUDA and on CPUs with bf16 instructions, else float32).</summary>
    public DType? ComputeType { get; set; }
    /// <summary>GPU to run on (null = the MLContext's <c>GpuDeviceId</c>).</summary>
    public int? GpuDeviceId { get; set; }
    /// <summary>Run on the CPU when the GPU cannot be used (null = the MLContext's <c>FallbackToCpu</c>).</summary>
    public bool? FallbackToCpu { get; set; }
    /// <summary>Videos decoded at once while the encoder runs (0 = the number of cores).</summary>
    public int DecodeParallelism { get; set; }
    /// <summary>Copy the encoder into the model zip when saving (large, but self-contained); default: reference it by path and hash.</summary>
    public bool EmbedEncoderInModel { get; set; }
}

/// <summary>
/// Encodes sampled frames with the frozen V-JEPA 2 encoder. With a cache directory, each video's features are written
/// once (float16 safetensors, keyed by encoder and sampling settings) and later reads neither decode nor encode.
/// </summary>
/// <remarks>
/// | Input column | Type | Output column | Type |
/// |---|---|---|---|
/// | frames | Vector of Single (T, 3, crop, crop) | features | Vector of Single (tokens, hidden), e.g. (4096, 1024) for 32 frames with ViT-L |
///
/// A video that cannot be decoded gives a vector with no stored values; trainers skip such rows and the captioner
/// writes an empty caption for them.
/// </remarks>
public sealed class VJepaFeaturizerEstimator : IEstimator<VJepaFeaturizerTransformer>
{
    private readonly IHostEnvironment _env;
    private readonly VJepaFeaturizerOptions _options;

    internal VJepaFeaturizerEstimator(IHostEnvironment env, VJepaFeaturizerOptions options)
    {
        _env = env;
        _options = options;
        if (string.IsNullOrWhiteSpace(options.EncoderPath)) throw new ArgumentException("EncoderPath (the V-JEPA 2 model directory) is required.", nameof(options));
        if (!Directory.Exists(options.EncoderPath)) throw new DirectoryNotFoundException($"Encoder directory not found: {options.EncoderPath}.");
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var frames = inputSchema.FirstOrDefault(c => c.Name == _options.InputColumnName);
        if (frames.Name == null) throw MLNet.MissingColumn("frames", _options.InputColumnName);
        if (frames.Kind != SchemaShape.Column.VectorKind.Vector || frames.ItemType != NumberDataViewType.Single)
            throw MLNet.WrongColumnType("frames", _options.InputColumnName, "Vector<Single, T, 3, crop, crop>", frames.GetTypeString());
        return MLNet.With(inputSchema, MLNet.ShapeColumn(_options.OutputColumnName, NumberDataViewType.Single, vector: true));
    }

    public VJepaFeaturizerTransformer Fit(IDataView input)
    {
        GetOutputSchema(MLNet.Shape(input.Schema));
        var device = MLNet.ResolveDevice(_env, _options.GpuDeviceId, _options.FallbackToCpu);
        return new VJepaFeaturizerTransformer(_env, _options, FrozenModelReference.Of(_options.EncoderPath, _options.EmbedEncoderInModel), _options.EncoderPath, device, null);
    }
}

/// <summary>The loaded encoder step (see <see cref="VJepaFeaturizerEstimator"/>).</summary>
public sealed class VJepaFeaturizerTransformer : ITransformer, IDisposable
{
    internal const string LoaderSignature = "VidcapVJepaFeaturizer";
    private static VersionInfo Version => MLNet.Version("VIDVJEPA", 0x00010001, LoaderSignature, typeof(VJepaFeaturizerTransformer));

    private readonly IHost _host;
    private readonly FrozenModelReference _encoder;
    private readonly FeatureCache? _cache;
    private readonly TemporaryDirectory? _scratch;

    internal VJepaFeaturizerTransformer(IHostEnvironment env, VJepaFeaturizerOptions options, FrozenModelReference encoder, string encoderDirectory,
        Device device, TemporaryDirectory? scratch)
    {
        _host = MLNet.Host(env, nameof(VJepaFeaturizerTransformer));
        Options = options;
        _encoder = encoder;
        _scratch = scratch;
        Featurizer = new VJepaFeaturizer(encoderDirectory, new VJepaEncoderOptions
        {
            Device = device, BatchSize = Math.Max(1, options.BatchSize), ComputeType = options.ComputeType,
        });
        _cache = options.CacheDirectory != null ? new FeatureCache(options.CacheDirectory) : null;
    }

    /// <summary>The settings.</summary>
    public VJepaFeaturizerOptions Options { get; }

    /// <summary>The loaded encoder.</summary>
    public VJepaFeaturizer Featurizer { get; }

    public bool IsRowToRowMapper => true;

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => new Mapper(this, inputSchema).OutputSchema;

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => new Mapper(this, inputSchema);

    public IDataView Transform(IDataView input) => new Mapper(this, input.Schema).Transform(input);

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        MLNet.BeginSave(ctx, Version);
        ctx.Writer.Write(Options.OutputColumnName);
        ctx.Writer.Write(Options.InputColumnName);
        ctx.Writer.Write(Featurizer.ComputeType.Name());
        ctx.Writer.Write(Options.BatchSize);
        ctx.Writer.Write(Options.CacheStorageType.Name());
        ctx.Writer.Write(Options.CacheDirectory ?? "");
        (_encoder with { Embedded = Options.EmbedEncoderInModel }).Save(ctx, "Encoder");
    }

    private static VJepaFeaturizerTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        MLNet.BeginLoad(ctx, Version);
        var load = VideoCaptioningLoadOptions.Current;
        var o = new VJepaFeaturizerOptions
        {
            OutputColumnName = ctx.Reader.ReadString(),
            InputColumnName = ctx.Reader.ReadString(),
            ComputeType = DTypes.Parse(ctx.Reader.ReadString()),
            BatchSize = ctx.Reader.ReadInt32(),
            CacheStorageType = DTypes.Parse(ctx.Reader.ReadString()),
        };
        var cache = ctx.Reader.ReadString();
        o.CacheDirectory = load.FeatureCacheDirectory ?? (cache.Length > 0 ? cache : null);
        var encoder = FrozenModelReference.Read(ctx, out var files);
        o.EmbedEncoderInModel = encoder.Embedded;
        var device = MLNet.ResolveDevice(env, null, null);
        // The saved type is the one the features were computed in (a cache made with the model stays valid), except where
        // this device would run it slowly: float32 on CUDA, bfloat16 on a CPU without bf16 instructions.
        if ((o.ComputeType == DType.Float32 && device.IsCuda) || (o.ComputeType == DType.BFloat16 && VJepaFeaturizer.DefaultComputeType(device) != DType.BFloat16))
            o.ComputeType = null;
        var scratch = new TemporaryDirectory();
        try
        {
            var dir = encoder.Resolve(ctx, "Encoder", files, load.EncoderPath, load.SkipFrozenModelVerification, scratch, "EncoderPath (--encoder)");
            o.EncoderPath = dir;
            return new VJepaFeaturizerTransformer(env, o, encoder, dir, device, scratch);
        }
        catch
        {
            scratch.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Featurizer.Dispose();
        _scratch?.Dispose();
    }

    /// <summary>Where a features column's values live in the feature cache (annotation <see cref="Annotation"/>).</summary>
    internal sealed record FeatureCacheKey(string Directory, string Encoder, string Preprocessing, string VideoPathColumn)
    {
        public const string Annotation = "vidcap.FeatureCache";

        public static FeatureCacheKey? Of(DataViewSchema.Column column)
        {
            return MLNet.TextAnnotation(column, Annotation) is { } json ? JsonSerializer.Deserialize<FeatureCacheKey>(json) : null;
        }
    }

    /// <summary>What a row needs: its video (and sampling settings) when known, else its frames.</summary>
    private sealed record Pending(string? Video, float[]? Frames);

    private sealed class Mapper : BatchRowMapper
    {
        private readonly VJepaFeaturizerTransformer _parent;
        private readonly DataViewSchema.Column _frames;
        private readonly DataViewSchema.Column? _path;
        private readonly VideoFrameSampler.Options? _sampling;
        private readonly int _frameCount, _crop, _size;

        public Mapper(VJepaFeaturizerTransformer parent, DataViewSchema input) : base(input, parent.Featurizer.Options.BatchSize * 4)
        {
            _parent = parent;
            var name = parent.Options.InputColumnName;
            _frames = input.GetColumnOrNull(name) ?? throw MLNet.MissingColumn("frames", name);
            if (_frames.Type is not VectorDataViewType { ItemType: NumberDataViewType n, Dimensions.Length: 4 } v || n != NumberDataViewType.Single
                || v.Dimensions[1] != 3 || v.Dimensions[2] != v.Dimensions[3])
                throw MLNet.WrongColumnType("frames", name, "Vector<Single, T, 3, crop, crop>", _frames.Type.ToString());
            (_frameCount, _crop) = (v.Dimensions[0], v.Dimensions[2]);
            var f = parent.Featurizer;
            if (_crop != f.CropSize)
                throw new ArgumentException($"Column '{name}' holds {_crop}×{_crop} frames but the encoder at {f.EncoderPath} expects {f.CropSize}×{f.CropSize}: " +
                    $"sample with cropSize: {f.CropSize}.");
            int tokens = f.TokenCount(_frameCount);
            _size = tokens * f.FeatureDim;
            // Frames from SampleVideoFrames carry their video and settings: then cached videos are not decoded at all.
            var pathName = MLNet.TextAnnotation(_frames, VideoFrameSamplerTransformer.VideoPathAnnotation);
            var json = MLNet.TextAnnotation(_frames, VideoFrameSamplerTransformer.SamplingAnnotation);
            if (pathName != null && json != null && input.GetColumnOrNull(pathName) is { Type: TextDataViewType } p)
            {
                _path = p;
                _sampling = VideoFrameSamplerTransformer.FromJson(json, name, pathName);
            }
            // With a cache, the trainer can read each row's features from it instead of holding them all in memory.
            var annotations = new DataViewSchema.Annotations.Builder();
            if (parent._cache != null && _path != null)
            {
                var key = new FeatureCacheKey(parent._cache.Directory, f.EncoderIdentity, VJepaFeaturizer.DescribePreprocessing(_sampling!), _path.Value.Name);
                var keyJson = JsonSerializer.Serialize(key);
                annotations.Add(FeatureCacheKey.Annotation, TextDataViewType.Instance, (ref ReadOnlyMemory<char> v) => v = keyJson.AsMemory());
            }
            AddedColumns = [new DataViewSchema.DetachedColumn(parent.Options.OutputColumnName,
                new VectorDataViewType(NumberDataViewType.Single, tokens, f.FeatureDim), annotations.ToAnnotations())];
        }

        protected override IReadOnlyList<DataViewSchema.DetachedColumn> AddedColumns { get; }

        protected override IEnumerable<DataViewSchema.Column> Inputs => _path is { } p ? [p] : [_frames];

        protected override object Prepare(DataViewRow input)
        {
            if (_path is { } p) return new Pending(Path.GetFullPath(((ReadOnlyMemory<char>)ReadValue(input, p)).ToString()), null);
            var frames = (VBuffer<float>)ReadValue(input, _frames);
            return new Pending(null, frames.IsDense && frames.Length > 0 ? frames.GetValues().ToArray() : null);
        }

        protected override object[][] Compute(IReadOnlyList<object> prepared)
        {
            var rows = prepared.Cast<Pending>().ToList();
            var result = new VBuffer<float>?[rows.Count];
            var f = _parent.Featurizer;
            var cache = _parent._cache;
            string? encoderId = cache != null ? f.EncoderIdentity : null;
            string? prep = _sampling != null ? VJepaFeaturizer.DescribePreprocessing(_sampling) : null;
            using var ch = _parent._host.Start("Featurizing");
            if (_sampling != null)
            {
                var todo = new List<string>();
                for (int i = 0; i < rows.Count; i++)
                {
                    var video = rows[i].Video!;
                    if (cache != null && cache.Check(video, encoderId!, prep!).State == CacheEntryState.Valid) result[i] = FromCache(cache, video);
                    else if (!todo.Contains(video)) todo.Add(video);
                }
                var done = new Dictionary<string, VBuffer<float>>();
                foreach (var r in FeaturizeJob.Encode(todo, f, _sampling, _parent.Options.DecodeParallelism))
                {
                    if (r.Error != null)
                    {
                        ch.Warning(VideoFailureLog.Message(r.Video, r.Error));
                        continue;
                    }
                    using (r.Features)
                    {
                        if (cache != null)
                        {
                            FeaturizeJob.Write(cache, r.Clip!, r.Features!, encoderId!, prep!, _parent.Options.CacheStorageType);
                            done[r.Video] = FromCache(cache, r.Video);
                        }
                        else done[r.Video] = new VBuffer<float>(_size, r.Features!.To(DType.Float32).ToArray<float>());
                    }
                }
                for (int i = 0; i < rows.Count; i++)
                    result[i] ??= done.TryGetValue(rows[i].Video!, out var v) ? v : null;
            }
            else
            {
                var ok = Enumerable.Range(0, rows.Count).Where(i => rows[i].Frames != null).ToList();
                foreach (var batch in ok.Chunk(f.Options.BatchSize))
                {
                    using var scope = TensorScope.Open();
                    var clips = batch.Select(i => new SampledClip
                    {
                        Path = $"row {i}", Info = default!, Pixels = rows[i].Frames!, FrameCount = _frameCount, Height = _crop, Width = _crop,
                        ValidMask = Enumerable.Repeat(true, _frameCount).ToArray(), SourceFrameIndices = [],
                    }).ToList();
                    var feats = f.Featurize(clips);
                    for (int j = 0; j < batch.Length; j++) result[batch[j]] = new VBuffer<float>(_size, feats.Select(0, j).Contiguous().ToArray<float>());
                }
            }
            return result.Select(r => new object[] { r ?? new VBuffer<float>(_size, 0, [], []) }).ToArray();
        }

        private VBuffer<float> FromCache(FeatureCache cache, string video)
        {
            using var scope = TensorScope.Open();
            var t = cache.Read(video);
            var values = t.To(DType.Float32).Contiguous().ToArray<float>();
            if (values.Length != _size)
                throw new InvalidDataException($"{cache.PathFor(video)}: cached features hold {values.Length} values, expected {_size}; delete the file to recompute it.");
            return new VBuffer<float>(_size, values);
        }
    }
}
