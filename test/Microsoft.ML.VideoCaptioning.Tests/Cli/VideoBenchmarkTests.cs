using Microsoft.ML.VideoCaptioning.Cli.Bench;
using Microsoft.ML.VideoCaptioning.Video;
using Xunit;
using Xunit.Abstractions;

namespace Microsoft.ML.VideoCaptioning.Tests.Cli;

public class VideoBenchmarkTests(ITestOutputHelper output)
{
    /// <summary>
    /// A short run by default (2 real clips, 4 frames each, a 0.3 s 1080p clip); with VIDCAP_VIDEO_BENCHMARK=full
    /// the full one (3 passes over the 5 real clips, a 10 s 1080p clip, default options). The figures are written
    /// to the test output.
    /// </summary>
    [Fact]
    public void ReportsClipsPerSecondForRealAndSynthetic1080pClips()
    {
        bool full = Environment.GetEnvironmentVariable("VIDCAP_VIDEO_BENCHMARK") == "full";
        var clips = Directory.GetFiles(Path.Combine(TestPaths.Data, "videos"), "*.webm").Order().ToList();
        var before = Directory.GetDirectories(Path.GetTempPath(), "vidcap-benchmark-*");

        var results = full
            ? VideoBenchmark.Run(clips)
            : VideoBenchmark.Run(clips.Take(2).ToList(), new VideoFrameSampler.Options { FrameCount = 4 }, maxParallelism: 2, repetitions: 1, syntheticSeconds: 0.3);

        foreach (var result in results)
            output.WriteLine(result.ToString());
        Assert.Equal(2, results.Count);
        Assert.Equal(full ? 15 : 2, results[0].Clips);
        Assert.All(results, r => Assert.True(r.ClipsPerSecond > 0));
        Assert.Equal(before, Directory.GetDirectories(Path.GetTempPath(), "vidcap-benchmark-*")); // temporary clip removed
    }
}
