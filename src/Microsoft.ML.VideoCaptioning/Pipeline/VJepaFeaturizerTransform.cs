using System.Text.Json.Nodes;
using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Features;
using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning.Pipeline;

/// <summary>
/// Encodes sampled frames with the frozen V-JEPA 2 encoder. With a cache directory, features are written once per video
/// (float16 safetensors) and later reads skip decoding and encoding entirely.
/// </summary>
/// <remarks>
/// | Input column | Type | Output column | Type |
/// |---|---|---|---|
/// | frames | <see cref="VideoFrames"/> | features | <see cref="VisualFeatures"/> (N, hidden), e.g. (4096, 1024) |
/// </remarks>
public sealed class VJepaFeaturizerEstimator : IEstimator<VJepaFeaturizerTransformer>
{
    /// <summary>Options of <see cref="VJepaFeaturizerEstimator"/>.</summary>
    public sealed record Options
    {
        public string OutputColumnName { get; init; } = "Features";
        public string InputColumnName { get; init; } = "Frames";
        /// <summary>Hugging Face directory of the encoder (e.g. a download of facebook/vjepa2-vitl-fpc64-256).</summary>
        public required string EncoderPath { get; init; }
        public VJepaFeaturizerOptions Featurizer { get; init; } = new();
        /// <summary>Feature cache directory (null = keep features in memory as float16).</summary>
        public string? CacheDirectory { get; init; }
        public DType CacheStorageType { get; init; } = DType.Float16;
    }

    private readonly Options _o;

    public VJepaFeaturizerEstimator(Options options) => _o = options;

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        inputSchema.Require(_o.InputColumnName, "Frames", typeof(VideoFrames));
        return inputSchema.With(_o.OutputColumnName, typeof(VisualFeatures));
    }

    public VJepaFeaturizerTransformer Fit(IDataView input, IDataView? validation = null)
    {
        GetOutputSchema(input.Schema);
        return new VJepaFeaturizerTransformer(_o, new VJepaFeaturizer(_o.EncoderPath, _o.Featurizer));
    }
}

/// <summary>The loaded encoder step (see <see cref="VJepaFeaturizerEstimator"/>).</summary>
public sealed class VJepaFeaturizerTransformer : IPackagedTransformer, IDisposable
{
    private readonly VJepaFeaturizerEstimator.Options _o;
    private readonly FeatureCache? _cache;

    public VJepaFeaturizer Featurizer { get; }

    internal VJepaFeaturizerTransformer(VJepaFeaturizerEstimator.Options options, VJepaFeaturizer featurizer)
    {
        _o = options;
        Featurizer = featurizer;
        _cache = options.CacheDirectory != null ? new FeatureCache(options.CacheDirectory) : null;
    }

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        inputSchema.Require(_o.InputColumnName, "Frames", typeof(VideoFrames));
        return inputSchema.With(_o.OutputColumnName, typeof(VisualFeatures));
    }

    public IDataView Transform(IDataView input) => new MappedDataView(input, GetOutputSchema(input.Schema), Map);

    private IEnumerable<DataRow> Map(IEnumerable<DataRow> rows, CancellationToken ct)
    {
        foreach (var chunk in rows.Chunk(Math.Max(1, Featurizer.Options.BatchSize) * 4))
        {
            ct.ThrowIfCancellationRequested();
            var frames = chunk.Select(r => r.Get<VideoFrames>(_o.InputColumnName)).ToArray();
            var result = new VisualFeatures?[chunk.Length];
            string? encoderId = _cache != null ? Featurizer.EncoderIdentity : null;
            var todo = new List<int>();
            for (int i = 0; i < chunk.Length; i++)
            {
                string path = frames[i].VideoPath;
                if (_cache != null && File.Exists(path) && _cache.Check(path, encoderId!, Preprocessing(frames[i])).State == CacheEntryState.Valid)
                    result[i] = new VisualFeatures(path, _cache.Loader(path));
                else todo.Add(i);
            }
            // decode in parallel (ffmpeg processes), then encode in batches
            var decoded = new SampledClip?[chunk.Length];
            Parallel.ForEach(todo, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = ct }, i =>
            {
                try { decoded[i] = frames[i].Clip; }
                catch (Exception e) when (e is VideoDecodeException or IOException) { result[i] = VisualFeatures.Failed(frames[i].VideoPath, e); }
            });
            var ok = todo.Where(i => decoded[i] != null).ToList();
            foreach (var batch in ok.Chunk(Math.Max(1, Featurizer.Options.BatchSize)))
            {
                using var scope = TensorScope.Open();
                var feats = Featurizer.Featurize(batch.Select(i => decoded[i]!).ToList());
                for (int j = 0; j < batch.Length; j++)
                {
                    int i = batch[j];
                    var row = feats.Select(0, j);
                    string path = frames[i].VideoPath;
                    if (_cache != null)
                    {
                        _cache.Write(path, row, encoderId!, Preprocessing(frames[i]), _o.CacheStorageType);
                        result[i] = new VisualFeatures(path, _cache.Loader(path));
                    }
                    else result[i] = VisualFeatures.InMemory(path, row);
                }
            }
            for (int i = 0; i < chunk.Length; i++) yield return chunk[i].With(_o.OutputColumnName, result[i]);
        }
    }

    /// <summary>Cache key of the preprocessing: the sampler options that produced the frames.</summary>
    private static string Preprocessing(VideoFrames f) => f.SamplerOptions != null ? VJepaFeaturizer.DescribePreprocessing(f.SamplerOptions) : "unknown";

    JsonObject IPackagedTransformer.Save(ModelPackageWriter writer, string folder) => new()
    {
        ["kind"] = "FeaturizeVJepa",
        ["output"] = _o.OutputColumnName,
        ["input"] = _o.InputColumnName,
        ["encoder"] = writer.FrozenModel(Featurizer.EncoderPath, folder + "/encoder", Featurizer.WeightsSha256),
        ["compute_type"] = Featurizer.Options.ComputeType.Name(),
        ["batch_size"] = Featurizer.Options.BatchSize,
    };

    internal static VJepaFeaturizerTransformer Load(JsonObject step, ModelPackageReader reader, string folder, Device device)
    {
        var encoder = reader.FrozenModel(step["encoder"]!.AsObject(), folder + "/encoder", "encoder");
        var fo = new VJepaFeaturizerOptions
        {
            Device = device, ComputeType = DTypes.Parse(step["compute_type"]!.GetValue<string>()), BatchSize = step["batch_size"]!.GetValue<int>(),
        };
        var o = new VJepaFeaturizerEstimator.Options
        {
            OutputColumnName = step["output"]!.GetValue<string>(), InputColumnName = step["input"]!.GetValue<string>(),
            EncoderPath = encoder, Featurizer = fo, CacheDirectory = reader.Options.FeatureCacheDirectory,
        };
        return new VJepaFeaturizerTransformer(o, new VJepaFeaturizer(encoder, fo));
    }

    public void Dispose() => Featurizer.Dispose();
}
