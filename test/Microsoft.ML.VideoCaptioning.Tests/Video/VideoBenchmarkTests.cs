using Microsoft.ML.VideoCaptioning.Video;
using Xunit;
using Xunit.Abstractions;

namespace Microsoft.ML.VideoCaptioning.Tests.Video;

public class VideoBenchmarkTests(ITestOutputHelper output)
{
    /// <summary>
    /// A short run by default; with VIDCAP_VIDEO_BENCHMARK=full the full one (3 passes over the real clips,
    /// a 10 s 1080p clip). The figures are written to the test output.
    /// </summary>
    [Fact]
    public void ReportsClipsPerSecondForRealAndSynthetic1080pClips()
    {
        bool full = Environment.GetEnvironmentVariable("VIDCAP_VIDEO_BENCHMARK") == "full";
        var clips = Directory.GetFiles(Path.Combine(TestPaths.Data, "videos"), "*.webm").Order().ToList();
        var before = Directory.GetDirectories(Path.GetTempPath(), "vidcap-benchmark-*");

        var results = full
            ? VideoBenchmark.Run(clips)
            : VideoBenchmark.Run(clips, new VideoFrameSampler.Options { FrameCount = 8 }, maxParallelism: 2, repetitions: 1, syntheticSeconds: 0.5);

        foreach (var result in results)
            output.WriteLine(result.ToString());
        Assert.Equal(2, results.Count);
        Assert.Equal(full ? 15 : 5, results[0].Clips);
        Assert.All(results, r => Assert.True(r.ClipsPerSecond > 0));
        Assert.Equal(before, Directory.GetDirectories(Path.GetTempPath(), "vidcap-benchmark-*")); // temporary clip removed
    }
}
