using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Tests.Video;
using Microsoft.ML.VideoCaptioning.Timeline;
using Microsoft.ML.VideoCaptioning.Video;
using Xunit;

namespace Microsoft.ML.VideoCaptioning.Tests.Timeline;

public class TimelineCaptionerTests(TinyRandomCaptioner tiny, GeneratedVideos videos) : IClassFixture<TinyRandomCaptioner>, IClassFixture<GeneratedVideos>
{
    private string Testsrc() => videos.Get("testsrc10.mp4", "-f", "lavfi", "-i", "testsrc=size=96x64:rate=10:duration=10", "-c:v", "libx264", "-pix_fmt", "yuv420p");

    [Fact]
    public void WindowsGetTheCaptionsOfTheirClipsSampledAlone()
    {
        string path = Testsrc();
        var reader = new VideoTimelineReader(TinyRandomCaptioner.Sampling, new TimelineOptions { WindowSeconds = 2.5 });
        var captioner = new TimelineCaptioner(reader, tiny.Featurizer, tiny.Generator, batchSize: 8);

        var result = captioner.Caption(path);

        Assert.Equal(4, result.Windows.Count);
        Assert.Empty(result.Damage);
        // the same batch, sampled window by window with the clip sampler: the same captions and confidences
        var clips = result.Windows.Select(w => new VideoFrameSampler(new VideoFrameSampler.Options
        {
            FrameCount = TinyRandomCaptioner.FrameCount, CropSize = 32, StartSeconds = w.Window.Start, EndSeconds = w.Window.End,
        }).Sample(path)).ToList();
        using var scope = TensorScope.Open();
        var expected = tiny.Generator.Caption(tiny.Featurizer.Featurize(clips));
        Assert.Equal(expected.Select(c => c.Caption), result.Windows.Select(w => w.Caption));
        Assert.Equal(expected.Select(c => c.Confidence), result.Windows.Select(w => w.Confidence));
        // segments tile the video and no two neighbours share a caption
        Assert.Equal(0, result.Segments[0].Start);
        Assert.Equal(result.DurationSeconds, result.Segments[^1].End);
        for (int i = 1; i < result.Segments.Count; i++)
        {
            Assert.Equal(result.Segments[i - 1].End, result.Segments[i].Start);
            Assert.NotEqual(result.Segments[i - 1].Caption, result.Segments[i].Caption);
        }
        Assert.Equal(result.Windows.Count, result.Segments.Sum(s => s.Windows));
    }

    [Fact]
    public void BatchSizeDoesNotChangeWhichWindowGetsWhichCaption()
    {
        string path = Testsrc();
        var reader = new VideoTimelineReader(TinyRandomCaptioner.Sampling, new TimelineOptions { WindowSeconds = 2.5 });

        var one = new TimelineCaptioner(reader, tiny.Featurizer, tiny.Generator, batchSize: 1).Caption(path);
        var three = new TimelineCaptioner(reader, tiny.Featurizer, tiny.Generator, batchSize: 3).Caption(path);

        Assert.Equal(one.Windows.Select(w => w.Window), three.Windows.Select(w => w.Window));
        Assert.Equal(one.Windows.Select(w => w.Confidence), three.Windows.Select(w => w.Confidence), (a, b) => Math.Abs(a - b) < 1e-3);
    }

    [Fact]
    public void AMissingVideoIsNamed()
    {
        var captioner = new TimelineCaptioner(new VideoTimelineReader(TinyRandomCaptioner.Sampling), tiny.Featurizer, tiny.Generator);
        string path = Path.Combine(videos.Directory, "not-there.mp4");

        var error = Assert.Throws<VideoDecodeException>(() => captioner.Caption(path));

        Assert.Equal(VideoDecodeReason.FileNotFound, error.Reason);
        Assert.Contains("not-there.mp4", error.Message);
    }

    [Fact]
    public void DamagedWindowsHaveNoCaptionAndTheRestDo()
    {
        string path = DamagedVideos.MiddleOverwritten(videos, "damaged-h264.mp4", () => videos.Get("testsrc20.mp4", "-f", "lavfi",
            "-i", "testsrc=size=96x64:rate=10:duration=20", "-c:v", "libx264", "-g", "10", "-pix_fmt", "yuv420p"));
        var captioner = new TimelineCaptioner(new VideoTimelineReader(TinyRandomCaptioner.Sampling, new TimelineOptions { WindowSeconds = 2 }), tiny.Featurizer, tiny.Generator);

        var result = captioner.Caption(path);

        Assert.NotEmpty(result.Damage);
        Assert.All(result.Windows, w => Assert.Equal(w.Damage == null, w.Caption != null));
        Assert.NotNull(result.Windows[0].Caption);
        Assert.NotNull(result.Windows[^1].Caption);
        Assert.Contains(result.Segments, s => s.Caption == null && s.Damage != null);
    }
}
