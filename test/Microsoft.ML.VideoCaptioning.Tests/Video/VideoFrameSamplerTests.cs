using Microsoft.ML.VideoCaptioning.Video;
using Xunit;

namespace Microsoft.ML.VideoCaptioning.Tests.Video;

public class VideoFrameSamplerTests(GeneratedVideos videos) : IClassFixture<GeneratedVideos>
{
    private static readonly string[] RealClips = Directory.GetFiles(Path.Combine(TestPaths.Data, "videos"), "*.webm").Order().ToArray();

    [Fact]
    public void RealClipsBecomeEncoderInputWithTheSeedIndices()
    {
        var sampler = new VideoFrameSampler();

        var results = sampler.SampleMany(RealClips, maxParallelism: 2).ToList();

        Assert.Equal(RealClips, results.Select(r => r.Path));
        foreach (var result in results)
        {
            Assert.True(result.Succeeded, result.Error?.ToString());
            var clip = result.Clip!;
            Assert.Equal((32, 256, 256), (clip.FrameCount, clip.Height, clip.Width));
            Assert.Equal(32 * 3 * 256 * 256, clip.Pixels.Length);
            Assert.All(clip.ValidMask, Assert.True);
            Assert.Equal(SeedIndices.Linspace32[(int)clip.Info.FrameCount], clip.SourceFrameIndices);
            Assert.All(clip.Pixels, v => Assert.InRange(v, -2.2f, 2.7f)); // (0 − 255·mean)/(255·std) … (255 − 255·mean)/(255·std)
        }
    }

    [Theory]
    [InlineData("h264_bframes.mp4", 100, "libx264", "-bf", "3")]
    [InlineData("vp9.webm", 45, "libvpx-vp9", "-deadline", "realtime")]
    [InlineData("raw.avi", 40, "rawvideo", "-pix_fmt", "bgr24")]
    public void SampledFramesAreExactlyTheSeedLinspaceIndices(string name, int frames, string codec, string option, string value)
    {
        string[] quality = codec switch
        {
            "libx264" => ["-qp", "4", "-pix_fmt", "yuv420p"],
            "libvpx-vp9" => ["-crf", "4", "-b:v", "0", "-pix_fmt", "yuv420p"],
            _ => [],
        };
        string video = videos.Get(name, ["-f", "lavfi", "-i", GeneratedVideos.IndexedSource(frames), "-c:v", codec, option, value, .. quality]);

        var clip = new VideoFrameSampler().SampleRgb(video);

        Assert.Equal(frames, clip.Info.FrameCount);
        Assert.Equal(SeedIndices.Linspace32[frames], clip.SourceFrameIndices);
        Assert.Equal(SeedIndices.Linspace32[frames], clip.Frames.Select(f => GeneratedVideos.FrameIndexOf(f, 64, 48)));
    }

    [Fact]
    public void ShortVideosKeepAllFramesThenBlackPaddingMarkedInvalid()
    {
        string video = videos.Get("three.mp4", "-f", "lavfi", "-i", GeneratedVideos.IndexedSource(3), "-c:v", "libx264", "-qp", "4", "-pix_fmt", "yuv420p");
        var preprocessor = new VideoPreprocessor();
        var black = new float[preprocessor.FrameLength];
        preprocessor.WriteBlackFrame(black, 0);

        var clip = new VideoFrameSampler().Sample(video);

        Assert.Equal(3, clip.Info.FrameCount);
        Assert.Equal(Enumerable.Range(0, 32).Select(i => i < 3), clip.ValidMask);
        Assert.Equal(Enumerable.Range(0, 32).Select(i => i < 3 ? i : -1), clip.SourceFrameIndices);
        for (int t = 3; t < 32; t++)
            Assert.Equal(black, clip.Pixels.AsSpan(t * black.Length, black.Length).ToArray());
        // Frame 0 is black too (R = G = B = 0 up to coding noise); frames 1 and 2 are not.
        Assert.NotEqual(black, clip.Pixels.AsSpan(2 * black.Length, black.Length).ToArray());
        Assert.Equal([0, 1, 2], new VideoFrameSampler().SampleRgb(video).Frames.Select(f => GeneratedVideos.FrameIndexOf(f, 64, 48)));
    }

    [Fact]
    public void SingleFrameVideoGivesOneValidFrame()
    {
        string video = videos.Get("one.webm", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=0.1", "-c:v", "libvpx-vp9", "-deadline", "realtime");

        var clip = new VideoFrameSampler(new VideoFrameSampler.Options { FrameCount = 4 }).Sample(video);

        Assert.Equal([true, false, false, false], clip.ValidMask);
        Assert.Equal([0, -1, -1, -1], clip.SourceFrameIndices);
        Assert.Equal(4 * 3 * 256 * 256, clip.Pixels.Length);
    }

    [Theory]
    [InlineData("90")]
    [InlineData("270")]
    [InlineData("180")]
    public void RotatedVideosAreDeliveredUprightLikeFFmpegAutorotation(string rotateTag)
    {
        string plain = videos.Get("plain.mp4", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=0.5", "-c:v", "libx264", "-pix_fmt", "yuv420p");
        string rotated = videos.Get($"rotate{rotateTag}.mp4", "-i", plain, "-c", "copy", "-metadata:s:v:0", "rotate=" + rotateTag);
        byte[] ffmpegFirstFrame = GeneratedVideos.RunFFmpeg("-i", rotated, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1");

        var clip = new VideoFrameSampler(new VideoFrameSampler.Options { FrameCount = 2 }).SampleRgb(rotated);

        Assert.Equal(rotateTag == "180" ? (64, 48) : (48, 64), (clip.Width, clip.Height));
        Assert.Equal(ffmpegFirstFrame, clip.Frames[0]);
        Assert.Equal(2 * 3 * 256 * 256, new VideoFrameSampler(new VideoFrameSampler.Options { FrameCount = 2 }).Sample(rotated).Pixels.Length);
    }

    [Fact]
    public void GifFramesAreSampledInOrder()
    {
        // GIF is palettised (3-3-2 bits), so frame k is encoded as R = 36·k, which survives the palette.
        string gif = videos.Get("indexed.gif", "-f", "lavfi", "-i",
            "color=c=black:s=40x30:r=5:d=1.6,format=gbrp,geq=r='36*N':g=0:b=0");

        var clip = new VideoFrameSampler(new VideoFrameSampler.Options { FrameCount = 12 }).SampleRgb(gif);

        Assert.Equal(Enumerable.Range(0, 8), clip.SourceFrameIndices);
        Assert.Equal(Enumerable.Range(0, 8), clip.Frames.Select(f => (int)Math.Round(f[(15 * 40 + 20) * 3] / (255.0 / 7))));
    }

    [Fact]
    public void VariableFrameRateVideosUseRealFrameIndicesAndTimes()
    {
        // 40 frames at t = 0.1·N, plus 0.5 s more from frame 10 on and 1 s more from frame 20 on.
        static double TimeOf(int n) => 0.1 * n + (n >= 10 ? 0.5 : 0) + (n >= 20 ? 1.0 : 0);
        string video = videos.Get("vfr.mkv", "-f", "lavfi", "-i", GeneratedVideos.IndexedSource(40),
            "-vf", "settb=1/1000,setpts='(0.1*N+0.5*gte(N,10)+1.0*gte(N,20))/TB'", "-vsync", "passthrough", "-c:v", "ffv1");

        var uniform = new VideoFrameSampler().SampleRgb(video);
        var rate = new VideoFrameSampler(new VideoFrameSampler.Options { Mode = FrameSamplingMode.FrameRate, FramesPerSecond = 2, FrameCount = 16 }).Sample(video);

        Assert.Equal(SeedIndices.Linspace32[40], uniform.Frames.Select(f => GeneratedVideos.FrameIndexOf(f, 64, 48)));
        // Sampling times 0, 0.5, …, 5.0 (the last frame is at 5.4 s); at each, the last frame shown by then.
        var expected = Enumerable.Range(0, 11).Select(k => Enumerable.Range(0, 40).Last(n => TimeOf(n) <= k * 0.5 + 1e-9)).ToList();
        Assert.Equal(expected.Concat(Enumerable.Repeat(-1, 5)), rate.SourceFrameIndices);
        Assert.Equal(Enumerable.Range(0, 16).Select(k => k < 11), rate.ValidMask);
    }

    [Fact]
    public void FrameRateModeTakesOneFrameEveryInterval()
    {
        string video = videos.Get("h264_bframes.mp4", "-f", "lavfi", "-i", GeneratedVideos.IndexedSource(100), "-c:v", "libx264", "-bf", "3", "-qp", "4", "-pix_fmt", "yuv420p");

        var clip = new VideoFrameSampler(new VideoFrameSampler.Options { Mode = FrameSamplingMode.FrameRate, FramesPerSecond = 2, FrameCount = 8 }).SampleRgb(video);

        Assert.Equal([0, 5, 10, 15, 20, 25, 30, 35], clip.SourceFrameIndices);
        Assert.Equal(clip.SourceFrameIndices, clip.Frames.Select(f => GeneratedVideos.FrameIndexOf(f, 64, 48)));
    }

    [Theory]
    [InlineData(2.0, 6.0, 20, 40)]   // frames at exactly 2.0 s count as inside, at exactly 6.0 s as outside
    [InlineData(2.05, 6.0, 21, 39)]
    [InlineData(5.0, null, 50, 50)]
    public void TimeWindowsSeekAndSampleInsideTheWindow(double start, double? end, int firstFrame, int frames)
    {
        string video = videos.Get("h264_bframes.mp4", "-f", "lavfi", "-i", GeneratedVideos.IndexedSource(100), "-c:v", "libx264", "-bf", "3", "-qp", "4", "-pix_fmt", "yuv420p");

        var clip = new VideoFrameSampler(new VideoFrameSampler.Options { StartSeconds = start, EndSeconds = end }).SampleRgb(video);

        var expected = SeedIndices.Linspace32[frames].Select(i => firstFrame + i).ToArray();
        Assert.Equal(expected, clip.SourceFrameIndices);
        Assert.Equal(expected, clip.Frames.Select(f => GeneratedVideos.FrameIndexOf(f, 64, 48)));
    }

    [Fact]
    public void LongVideosOnlyConvertTheSelectedFrames()
    {
        // Three minutes at 10 fps.
        string video = videos.Get("long.mp4", "-f", "lavfi", "-i", GeneratedVideos.IndexedSource(1800), "-c:v", "libx264", "-preset", "ultrafast", "-qp", "4", "-pix_fmt", "yuv420p");

        var clip = new VideoFrameSampler().SampleRgb(video);

        Assert.Equal(1800, clip.Info.FrameCount);
        Assert.Equal(SeedIndices.Linspace32[1800], clip.Frames.Select(f => GeneratedVideos.FrameIndexOf(f, 64, 48)));
    }

    [Fact]
    public void SeedPathSquashesTo256First()
    {
        string clipPath = RealClips[0];

        var direct = new VideoFrameSampler(new VideoFrameSampler.Options { FrameCount = 2 }).Sample(clipPath);
        var seed = new VideoFrameSampler(new VideoFrameSampler.Options { FrameCount = 2, SeedSquashTo256 = true }).Sample(clipPath);
        var raw = new VideoFrameSampler(new VideoFrameSampler.Options { FrameCount = 2 }).SampleRgb(clipPath);
        var expected = new float[2 * 3 * 256 * 256];
        var seedPreprocessor = new VideoPreprocessor(seedSquashTo256: true);
        for (int t = 0; t < 2; t++)
            seedPreprocessor.Preprocess(raw.Frames[t], raw.Height, raw.Width, expected, t * seedPreprocessor.FrameLength);

        Assert.Equal(expected, seed.Pixels);
        Assert.NotEqual(direct.Pixels, seed.Pixels); // 427×240 squashed to a square is a different picture
    }

    [Fact]
    public void Uint8RoundingChangesValuesByAtMostOneLevelPerPass()
    {
        string clipPath = RealClips[1];
        var rounded = new VideoFrameSampler(new VideoFrameSampler.Options { FrameCount = 2 }).Sample(clipPath);
        var exact = new VideoFrameSampler(new VideoFrameSampler.Options { FrameCount = 2, Uint8RoundAfterResize = false }).Sample(clipPath);

        float maxLevels = 0;
        for (int i = 0; i < rounded.Pixels.Length; i++)
        {
            float std = 255f * (i / (256 * 256) % 3 switch { 0 => 0.229f, 1 => 0.224f, _ => 0.225f });
            maxLevels = Math.Max(maxLevels, Math.Abs(rounded.Pixels[i] - exact.Pixels[i]) * std);
        }
        Assert.InRange(maxLevels, 0.01f, 1.01f);
    }

    [Fact]
    public void FileNamesWithSpacesColonsAndLeadingDashesAreRead()
    {
        string path = videos.GetFile("-odd name: v1.webm", p => File.Copy(RealClips[0], p));

        var clip = new VideoFrameSampler(new VideoFrameSampler.Options { FrameCount = 2 }).SampleRgb(path);

        Assert.Equal([0, (int)clip.Info.FrameCount - 1], clip.SourceFrameIndices);
    }
}
