using Microsoft.ML.VideoCaptioning.Video;
using Xunit;

namespace Microsoft.ML.VideoCaptioning.Tests.Video;

/// <summary>Runs alone: it changes process-wide environment variables that every video test depends on.</summary>
[CollectionDefinition(nameof(ToolEnvironmentCollection), DisableParallelization = true)]
public sealed class ToolEnvironmentCollection;

[Collection(nameof(ToolEnvironmentCollection))]
public class ToolMissingTests
{
    private static readonly string Clip = Path.Combine(TestPaths.Data, "videos", "h2b_task5_closing_2.webm");

    [Theory]
    [InlineData("VIDCAP_FFPROBE")]
    [InlineData("VIDCAP_FFMPEG")]
    public void ToolPathPointingNowhereIsToolMissing(string variable)
    {
        string? before = Environment.GetEnvironmentVariable(variable);
        Environment.SetEnvironmentVariable(variable, "/nonexistent/vidcap/" + variable.ToLowerInvariant());
        try
        {
            var error = Assert.Throws<VideoDecodeException>(() => new VideoFrameSampler().Sample(Clip));

            Assert.Equal(VideoDecodeReason.ToolMissing, error.Reason);
            Assert.Contains("apt-get install ffmpeg", error.Message);
            Assert.Contains(variable, error.Message);
            Assert.Contains("/nonexistent/vidcap/", error.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, before);
        }
    }

    [Fact]
    public void ToolPathsFromTheEnvironmentAreUsed()
    {
        string? before = Environment.GetEnvironmentVariable("VIDCAP_FFPROBE");
        Environment.SetEnvironmentVariable("VIDCAP_FFPROBE", "/usr/bin/ffprobe");
        try
        {
            Assert.Equal(52, VideoProbe.Probe(Path.Combine(TestPaths.Data, "videos", "h2b_task5_closing_0.webm")).FrameCount);
        }
        finally
        {
            Environment.SetEnvironmentVariable("VIDCAP_FFPROBE", before);
        }
    }
}
