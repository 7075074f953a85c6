using System.Text.Json;
using Microsoft.ML.VideoCaptioning.Video;
using Xunit;

namespace Microsoft.ML.VideoCaptioning.Tests.Video;

public class VideoProbeTests(GeneratedVideos videos) : IClassFixture<GeneratedVideos>
{
    public static TheoryData<string> RealClips()
    {
        var data = new TheoryData<string>();
        foreach (var clip in Captions().RootElement.GetProperty("clips").EnumerateArray())
            data.Add(clip.GetProperty("file").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(RealClips))]
    public void RealClipsMatchTheirRecordedProbeData(string file)
    {
        var expected = Captions().RootElement.GetProperty("clips").EnumerateArray().Single(c => c.GetProperty("file").GetString() == file);

        var info = VideoProbe.Probe(Path.Combine(TestPaths.Data, "videos", file));

        Assert.Equal(expected.GetProperty("codec").GetString(), info.Codec);
        Assert.Equal(expected.GetProperty("container").GetString(), info.ContainerFormat);
        Assert.Equal(expected.GetProperty("width").GetInt32(), info.Width);
        Assert.Equal(expected.GetProperty("height").GetInt32(), info.Height);
        Assert.Equal(expected.GetProperty("frames").GetInt32(), info.FrameCount);
        Assert.Equal(12.0, info.FrameRate, 6); // "fps": "12/1"
        Assert.Equal(expected.GetProperty("duration_s").GetDouble(), info.DurationSeconds!.Value, 2);
        Assert.Equal(0, info.Rotation);
        Assert.Equal((427, 240), (info.DisplayWidth, info.DisplayHeight));
        Assert.Equal("yuv420p", info.PixelFormat);
    }

    [Theory]
    [InlineData("90", 270)]
    [InlineData("270", 90)]
    [InlineData("180", 180)]
    public void RotationMetadataIsReportedClockwiseWithTheDisplaySize(string rotateTag, int clockwise)
    {
        string plain = videos.Get("plain.mp4", "-f", "lavfi", "-i", GeneratedVideos.IndexedSource(5), "-c:v", "libx264", "-pix_fmt", "yuv420p");
        string rotated = videos.Get($"rotate{rotateTag}.mp4", "-i", plain, "-c", "copy", "-metadata:s:v:0", "rotate=" + rotateTag);

        var info = VideoProbe.Probe(rotated);

        // ffprobe reports the display matrix counter-clockwise; ffmpeg's own autorotation agrees with `clockwise`
        // (checked against ffmpeg's output in VideoFrameSamplerTests).
        Assert.Equal(clockwise, info.Rotation);
        Assert.Equal((64, 48), (info.Width, info.Height));
        Assert.Equal(clockwise == 180 ? (64, 48) : (48, 64), (info.DisplayWidth, info.DisplayHeight));
    }

    [Fact]
    public void GifFramesAreCountedFromPackets()
    {
        string gif = videos.Get("eight.gif", "-f", "lavfi", "-i", "testsrc=size=40x30:rate=5:duration=1.6");

        var info = VideoProbe.Probe(gif);

        Assert.Equal("gif", info.Codec);
        Assert.Equal(8, info.FrameCount);
        Assert.Equal((40, 30), (info.DisplayWidth, info.DisplayHeight));
    }

    private static JsonDocument Captions() => JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Data, "videos", "captions.json")));
}
