using Microsoft.ML;
using Microsoft.ML.VideoCaptioning.Cli.Demo;
using Microsoft.ML.VideoCaptioning.Data;

namespace Microsoft.ML.VideoCaptioning.Tests.Timeline;

/// <summary>
/// The demo run once for the accuracy tests, smaller than <c>vidcap demo</c>: the same models (tiny random V-JEPA 2, tiny
/// Qwen2 pretrained on the captions' text, Q-Former trained through the public pipeline), on a world rendered without the
/// variation that only slows learning down (every clip 64 px and 16 frames, the sampler's crop and frame count, objects
/// on the centre line). Seeded: every run trains the same model.
/// </summary>
public sealed class DemoCaptionerFixture : IDisposable
{
    public DemoCaptionerFixture()
    {
        Options = new DemoOptions
        {
            OutputDirectory = Directory.CreateTempSubdirectory("vidcap-demo-captioner-").FullName,
            Clips = 200, TestClips = 40, Epochs = 30, Seed = 1, LanguageModelSteps = 80, ReportClips = 0,
            World = new SyntheticWorldOptions { MinSize = 64, MaxSize = 64, MinFrames = 16, MaxFrames = 16, PathJitter = 0 },
        };
        var log = new List<string>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Result = DemoRunner.Run(Options, line => log.Add($"{clock.Elapsed.TotalSeconds,6:F1} s  {line}"));
        Log = log;
        Model = Context.VideoCaptioning().LoadModel(Result.ModelPath, out _);
    }

    public DemoOptions Options { get; }
    public DemoResult Result { get; }
    public IReadOnlyList<string> Log { get; }
    public MLContext Context { get; } = new(seed: 1);
    public ITransformer Model { get; }
    public string DataDirectory => Path.Combine(Options.OutputDirectory, "data");

    /// <summary>The demo's held-out single-clip accuracy of an attribute (color, shape, motion or all).</summary>
    public double SingleClipAccuracy(string attribute) => Result.Metrics[$"accuracy_{attribute}"];

    public void Dispose()
    {
        (Model as IDisposable)?.Dispose();
        Directory.Delete(Options.OutputDirectory, true);
    }
}
