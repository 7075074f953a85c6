using Microsoft.ML.VideoCaptioning.Video;
using Xunit;

namespace Microsoft.ML.VideoCaptioning.Tests.Video;

public class VideoDecodeErrorTests(GeneratedVideos videos) : IClassFixture<GeneratedVideos>
{
    private static readonly VideoFrameSampler Strict = new();
    private static readonly VideoFrameSampler Tolerant = new(new VideoFrameSampler.Options { TolerateCorruptTail = true });

    [Fact]
    public void MissingFile()
    {
        string path = Path.Combine(videos.Directory, "nope.mp4");

        var error = Assert.Throws<VideoDecodeException>(() => Strict.Sample(path));

        Assert.Equal(VideoDecodeReason.FileNotFound, error.Reason);
        Assert.Equal(path, error.Path);
        Assert.Contains(path, error.Message);
        Assert.Equal(VideoDecodeReason.FileNotFound, Assert.Throws<VideoDecodeException>(() => VideoProbe.Probe(path)).Reason);
    }

    [Fact]
    public void TextFileNamedMp4IsNotAVideo()
    {
        string path = videos.GetFile("notes.mp4", p => File.WriteAllText(p, "this is a text file, not a video\n"));

        var error = Assert.Throws<VideoDecodeException>(() => Strict.Sample(path));

        Assert.Equal(VideoDecodeReason.NotAVideo, error.Reason);
        Assert.Contains("notes.mp4", error.Message);
        Assert.Contains("Invalid data", error.Message); // ffprobe's own words are passed on
    }

    [Fact]
    public void EmptyFileIsNotAVideo()
    {
        string path = videos.GetFile("empty.webm", p => File.WriteAllBytes(p, []));

        var error = Assert.Throws<VideoDecodeException>(() => Strict.Sample(path));

        Assert.Equal(VideoDecodeReason.NotAVideo, error.Reason);
        Assert.Contains("empty", error.Message);
    }

    [Fact]
    public void AudioOnlyFileHasNoVideoStream()
    {
        string path = videos.Get("tone.mp4", "-f", "lavfi", "-i", "sine=frequency=440:duration=0.5", "-c:a", "aac");

        var error = Assert.Throws<VideoDecodeException>(() => Strict.Sample(path));

        Assert.Equal(VideoDecodeReason.NoVideoStream, error.Reason);
        Assert.Contains("audio", error.Message);
    }

    [Fact]
    public void VideoStreamWithoutFramesHasNoDecodableFrames()
    {
        // An AVI whose video stream was declared but never received a frame.
        string path = videos.Get("zero_frames.avi", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1", "-vf", "select=0", "-c:v", "mpeg4");

        var error = Assert.Throws<VideoDecodeException>(() => Strict.Sample(path));

        Assert.Equal(VideoDecodeReason.NoDecodableFrames, error.Reason);
        Assert.Equal(0, VideoProbe.Probe(path).FrameCount);
    }

    [Fact]
    public void TruncatedMp4IsCorruptEvenWhenToleratingATail()
    {
        // moov first (faststart), then only 60 % of the data: 30 frames declared, 1 decodes.
        string full = videos.Get("faststart.mp4", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=3", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart");
        string path = videos.GetFile("truncated.mp4", p => File.WriteAllBytes(p, File.ReadAllBytes(full)[..(int)(new FileInfo(full).Length * 6 / 10)]));

        var strict = Assert.Throws<VideoDecodeException>(() => Strict.Sample(path));
        var tolerant = Assert.Throws<VideoDecodeException>(() => Tolerant.Sample(path));

        Assert.Equal(VideoDecodeReason.CorruptData, strict.Reason);
        Assert.Contains("TolerateCorruptTail", strict.Message);
        Assert.Equal(VideoDecodeReason.CorruptData, tolerant.Reason);
        Assert.Contains("too few", tolerant.Message);
    }

    [Fact]
    public void TruncatedWebmIsCorruptUnlessTheTailIsTolerated()
    {
        string full = videos.Get("full.webm", "-f", "lavfi", "-i", GeneratedVideos.IndexedSource(30), "-c:v", "libvpx-vp9", "-deadline", "realtime", "-crf", "4", "-b:v", "0");
        string path = videos.GetFile("truncated.webm", p => File.WriteAllBytes(p, File.ReadAllBytes(full)[..(int)(new FileInfo(full).Length * 6 / 10)]));

        var strict = Assert.Throws<VideoDecodeException>(() => Strict.Sample(path));
        var clip = Tolerant.SampleRgb(path);

        Assert.Equal(VideoDecodeReason.CorruptData, strict.Reason);
        Assert.Contains("ended prematurely", strict.Message); // ffmpeg's error is passed on
        Assert.InRange(clip.Frames.Count, 5, 29);
        Assert.Equal(Enumerable.Range(0, clip.Frames.Count), clip.Frames.Select(f => GeneratedVideos.FrameIndexOf(f, 64, 48)));
    }

    [Fact]
    public void RunningOutOfTimeIsATimeout()
    {
        string path = Path.Combine(TestPaths.Data, "videos", "h2b_task5_closing_0.webm");
        var sampler = new VideoFrameSampler(new VideoFrameSampler.Options { Timeout = TimeSpan.FromMilliseconds(1) });

        var error = Assert.Throws<VideoDecodeException>(() => sampler.Sample(path));

        Assert.Equal(VideoDecodeReason.Timeout, error.Reason);
        Assert.Contains("Timeout", error.Message);
    }

    [Fact]
    public void CancellationStopsSampling()
    {
        string path = Path.Combine(TestPaths.Data, "videos", "h2b_task5_closing_0.webm");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => Strict.Sample(path, cancelled.Token));
        Assert.ThrowsAny<OperationCanceledException>(() => Strict.SampleMany([path, path], 2, cancelled.Token).ToList());
    }

    [Fact]
    public void CancellingMidwayKillsTheTools()
    {
        // A private copy, so that other tests reading the original cannot be mistaken for leftovers.
        string path = videos.GetFile("cancel.webm", p => File.Copy(Path.Combine(TestPaths.Data, "videos", "h2b_task5_closing_0.webm"), p));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var sampler = new VideoFrameSampler();

        void SampleUntilCancelled()
        {
            while (true)
                sampler.Sample(path, cancel.Token);
        }

        Assert.ThrowsAny<OperationCanceledException>(SampleUntilCancelled);

        // No ffprobe/ffmpeg working on this file is left behind.
        var leftovers = Directory.GetDirectories("/proc").Select(d => Path.Combine(d, "cmdline")).Where(File.Exists)
            .Select(f => { try { return File.ReadAllText(f); } catch (IOException) { return ""; } })
            .Where(cmd => cmd.Contains(path) && (cmd.Contains("ffmpeg") || cmd.Contains("ffprobe")));
        Assert.Empty(leftovers);
    }

    [Fact]
    public void OneBadVideoDoesNotStopTheBatch()
    {
        string good = Path.Combine(TestPaths.Data, "videos", "h2b_task5_closing_1.webm");
        string text = videos.GetFile("batch_notes.mp4", p => File.WriteAllText(p, "not a video"));
        string missing = Path.Combine(videos.Directory, "missing.webm");
        var sampler = new VideoFrameSampler(new VideoFrameSampler.Options { FrameCount = 4 });

        var results = sampler.SampleMany([good, missing, text, good, good], maxParallelism: 2).ToList();

        Assert.Equal([0, 1, 2, 3, 4], results.Select(r => r.Index));
        Assert.Equal([good, missing, text, good, good], results.Select(r => r.Path));
        Assert.Equal([true, false, false, true, true], results.Select(r => r.Succeeded));
        Assert.Equal(VideoDecodeReason.FileNotFound, Assert.IsType<VideoDecodeException>(results[1].Error).Reason);
        Assert.Equal(VideoDecodeReason.NotAVideo, Assert.IsType<VideoDecodeException>(results[2].Error).Reason);
        Assert.Equal(results[0].Clip!.Pixels, results[4].Clip!.Pixels);
    }
}
