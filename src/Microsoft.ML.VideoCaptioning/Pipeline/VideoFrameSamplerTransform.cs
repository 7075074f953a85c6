using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning.Pipeline;

/// <summary>
/// Samples and preprocesses frames of the video named in a text column (<see cref="VideoFrameSampler"/>).
/// Nothing to learn: fitting only checks the schema.
/// </summary>
/// <remarks>
/// | Input column | Type | Output column | Type |
/// |---|---|---|---|
/// | video path | Text (string) | frames | <see cref="VideoFrames"/> (T, 3, crop, crop) float, decoded on first access |
/// </remarks>
public sealed class VideoFrameSamplerEstimator(string outputColumnName, string inputColumnName, VideoFrameSampler.Options options)
    : IEstimator<VideoFrameSamplerTransformer>
{
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        inputSchema.Require(inputColumnName, "Video path", typeof(string));
        return inputSchema.With(outputColumnName, typeof(VideoFrames));
    }

    public VideoFrameSamplerTransformer Fit(IDataView input, IDataView? validation = null)
    {
        GetOutputSchema(input.Schema);
        return new VideoFrameSamplerTransformer(outputColumnName, inputColumnName, options);
    }
}

/// <summary>The fitted frame sampler (see <see cref="VideoFrameSamplerEstimator"/>).</summary>
public sealed class VideoFrameSamplerTransformer : IPackagedTransformer
{
    public string OutputColumnName { get; }
    public string InputColumnName { get; }
    public VideoFrameSampler.Options Options { get; }
    private readonly VideoFrameSampler _sampler;

    internal VideoFrameSamplerTransformer(string outputColumnName, string inputColumnName, VideoFrameSampler.Options options)
    {
        OutputColumnName = outputColumnName;
        InputColumnName = inputColumnName;
        Options = options;
        _sampler = new VideoFrameSampler(options);
    }

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        inputSchema.Require(InputColumnName, "Video path", typeof(string));
        return inputSchema.With(OutputColumnName, typeof(VideoFrames));
    }

    public IDataView Transform(IDataView input) => new MappedDataView(input, GetOutputSchema(input.Schema), (rows, ct) =>
        rows.Select(r =>
        {
            var path = r.Get<string>(InputColumnName);
            return r.With(OutputColumnName, new VideoFrames(path, () => _sampler.Sample(path, ct), Options));
        }));

    JsonObject IPackagedTransformer.Save(ModelPackageWriter writer, string folder) => new()
    {
        ["kind"] = "SampleVideoFrames",
        ["output"] = OutputColumnName,
        ["input"] = InputColumnName,
        ["options"] = JsonSerializer.SerializeToNode(SamplerOptionsDto.From(Options)),
    };

    internal static VideoFrameSamplerTransformer Load(JsonObject step) => new(
        step["output"]!.GetValue<string>(), step["input"]!.GetValue<string>(),
        step["options"].Deserialize<SamplerOptionsDto>()!.ToOptions());

    /// <summary>The sampler options as stored in a model manifest.</summary>
    internal sealed record SamplerOptionsDto(int FrameCount, FrameSamplingMode Mode, double FramesPerSecond, double? StartSeconds, double? EndSeconds,
        int CropSize, bool SeedSquashTo256, bool Uint8RoundAfterResize, bool TolerateCorruptTail)
    {
        public static SamplerOptionsDto From(VideoFrameSampler.Options o) => new(o.FrameCount, o.Mode, o.FramesPerSecond, o.StartSeconds, o.EndSeconds,
            o.CropSize, o.SeedSquashTo256, o.Uint8RoundAfterResize, o.TolerateCorruptTail);

        public VideoFrameSampler.Options ToOptions() => new()
        {
            FrameCount = FrameCount, Mode = Mode, FramesPerSecond = FramesPerSecond, StartSeconds = StartSeconds, EndSeconds = EndSeconds,
            CropSize = CropSize, SeedSquashTo256 = SeedSquashTo256, Uint8RoundAfterResize = Uint8RoundAfterResize, TolerateCorruptTail = TolerateCorruptTail,
        };
    }
}
