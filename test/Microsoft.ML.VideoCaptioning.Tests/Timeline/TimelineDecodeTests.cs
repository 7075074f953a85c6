using Microsoft.ML.VideoCaptioning.Tests.Video;
using Microsoft.ML.VideoCaptioning.Timeline;
using Microsoft.ML.VideoCaptioning.Video;
using Xunit;

namespace Microsoft.ML.VideoCaptioning.Tests.Timeline;

public class TimelineDecodeTests(GeneratedVideos videos) : IClassFixture<GeneratedVideos>
{
    private static VideoFrameSampler.Options Sampling(int frames = 8) => new() { FrameCount = frames, CropSize = 32 };

    // 12 s of indexed frames at 10 fps, H.264 with B-frames (decode order differs from presentation order).
    private string Indexed12s() => videos.Get("indexed12.mp4", "-f", "lavfi", "-i", GeneratedVideos.IndexedSource(120),
        "-c:v", "libx264", "-g", "25", "-bf", "2", "-pix_fmt", "yuv420p");

    // 20 s of indexed frames in VP9/WebM with a keyframe every second, its middle tenth overwritten with noise.
    private string DamagedWebm() => DamagedVideos.MiddleOverwritten(videos, "damaged.webm", () => videos.Get("indexed20.webm", "-f", "lavfi",
        "-i", GeneratedVideos.IndexedSource(200), "-c:v", "libvpx-vp9", "-deadline", "realtime", "-g", "10", "-crf", "4", "-b:v", "0"));

    [Fact]
    public void OnePassGivesTheSamplersClipForEveryWindow()
    {
        string path = Indexed12s();
        var timeline = new VideoTimelineReader(Sampling(), new TimelineOptions { WindowSeconds = 3, StrideSeconds = 2 }).Open(path);

        var clips = timeline.ReadClips().ToList();

        Assert.Equal([(0.0, 3.0), (2.0, 5.0), (4.0, 7.0), (6.0, 9.0), (8.0, 11.0), (10.0, 12.0)], clips.Select(c => (c.Window.Start, c.Window.End)));
        Assert.Empty(timeline.DecodeErrors);
        foreach (var clip in clips)
        {
            var expected = new VideoFrameSampler(new VideoFrameSampler.Options
            {
                FrameCount = 8, CropSize = 32, StartSeconds = clip.Window.Start, EndSeconds = clip.Window.End,
            }).Sample(path);
            Assert.True(clip.Succeeded);
            Assert.Equal(expected.SourceFrameIndices, clip.Clip!.SourceFrameIndices);
            Assert.Equal(expected.ValidMask, clip.Clip.ValidMask);
            Assert.Equal(expected.Pixels, clip.Clip.Pixels);
        }
        // window [2, 5) = frames 20..49: the seed's uniform indices over 30 frames
        Assert.Equal([20, 24, 28, 32, 36, 40, 44, 49], clips[1].Clip!.SourceFrameIndices);
    }

    [Fact]
    public void AVideoShorterThanAWindowIsOneWindowWithPadding()
    {
        string path = videos.Get("indexed05.mp4", "-f", "lavfi", "-i", GeneratedVideos.IndexedSource(5), "-c:v", "libx264", "-pix_fmt", "yuv420p");
        var timeline = new VideoTimelineReader(Sampling()).Open(path);

        var clip = Assert.Single(timeline.ReadClips());

        Assert.Equal(0, clip.Window.Start);
        Assert.Equal(0.5, clip.Window.End, 3);
        Assert.Equal([true, true, true, true, true, false, false, false], clip.Clip!.ValidMask);
    }

    [Fact]
    public void ScenesCutWhereThePictureChanges()
    {
        // 3 s red, then 5 s blue: cut at 3 s; the 5 s scene is split in two windows of 2.5 s.
        string path = videos.Get("scenes.mp4", "-f", "lavfi", "-i", "color=c=red:s=64x48:r=10:d=3", "-f", "lavfi", "-i", "color=c=blue:s=64x48:r=10:d=5",
            "-filter_complex", "[0:v][1:v]concat=n=2:v=1[v]", "-map", "[v]", "-c:v", "libx264", "-pix_fmt", "yuv420p");
        var timeline = new VideoTimelineReader(Sampling(), new TimelineOptions { Scenes = true }).Open(path);

        var spans = timeline.Windows.Select(w => (Math.Round(w.Start, 2), Math.Round(w.End, 2))).ToList();

        Assert.Equal([(0.0, 3.0), (3.0, 5.5), (5.5, 8.0)], spans);
        Assert.All(timeline.ReadClips(), c => Assert.True(c.Succeeded));
    }

    [Fact]
    public void AMissingFileIsNamed()
    {
        string path = Path.Combine(videos.Directory, "missing.mp4");

        var error = Assert.Throws<VideoDecodeException>(() => new VideoTimelineReader(Sampling()).Open(path));

        Assert.Equal(VideoDecodeReason.FileNotFound, error.Reason);
        Assert.Contains("missing.mp4", error.Message);
        Assert.Contains("does not exist", error.Message);
    }

    [Fact]
    public void ADamagedMiddleKeepsTheWindowsAroundItAndReportsWhere()
    {
        string path = DamagedWebm();
        var timeline = new VideoTimelineReader(Sampling(), new TimelineOptions { WindowSeconds = 2 }).Open(path);

        var clips = timeline.ReadClips().ToList();

        Assert.Equal(10, clips.Count);
        var damaged = clips.Where(c => !c.Succeeded).ToList();
        Assert.NotEmpty(damaged);
        // the noise covers the middle of the file: the damage lies inside the video, with good windows on both sides
        Assert.All(damaged, c => Assert.InRange(c.Damage!.Start, 4, 14));
        Assert.All(damaged, c => Assert.InRange(c.Damage!.End, c.Damage.Start, 16));
        Assert.True(clips[0].Succeeded && clips[1].Succeeded && clips[^1].Succeeded && clips[^2].Succeeded);
        // windows after the damage hold the right frames: the same clip as sampling that window alone
        foreach (var clip in clips.Skip(clips.IndexOf(damaged[^1]) + 1))
        {
            var alone = new VideoFrameSampler(new VideoFrameSampler.Options
            {
                FrameCount = 8, CropSize = 32, StartSeconds = clip.Window.Start, EndSeconds = clip.Window.End,
            }).Sample(path);
            Assert.Equal(alone.SourceFrameIndices, clip.Clip!.SourceFrameIndices);
            Assert.Equal(alone.Pixels, clip.Clip.Pixels);
        }
    }

    [Fact]
    public void DamagedH264LosesOnlyTheWindowsWhoseFramesDoNotDecode()
    {
        string path = DamagedVideos.MiddleOverwritten(videos, "damaged.mp4", () => videos.Get("indexed20.mp4", "-f", "lavfi",
            "-i", GeneratedVideos.IndexedSource(200), "-c:v", "libx264", "-g", "10", "-pix_fmt", "yuv420p"));
        var timeline = new VideoTimelineReader(Sampling(), new TimelineOptions { WindowSeconds = 2 }).Open(path);

        var clips = timeline.ReadClips().ToList();

        Assert.Equal(10, clips.Count);
        Assert.Contains(clips, c => !c.Succeeded);
        Assert.True(clips[0].Succeeded && clips[^1].Succeeded);
        Assert.NotEmpty(timeline.DecodeErrors);
        Assert.All(clips.Where(c => !c.Succeeded), c => Assert.True(c.Damage!.End > c.Damage.Start));
    }
}
