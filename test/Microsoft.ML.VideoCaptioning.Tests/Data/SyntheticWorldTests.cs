using Microsoft.ML.VideoCaptioning.Data;
using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning.Tests.Data;

/// <summary>
/// The synthetic world the demo learns from: the split really holds combinations out, captions say what the clip
/// shows, and the rendered pixels move the way the caption says, at the configured size.
/// </summary>
public sealed class SyntheticWorldTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vidcap-world").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void HeldOutCombinationsOccurOnlyInTheTestSplit()
    {
        var o = new SyntheticWorldOptions { Count = 48, Seed = 3, MinSize = 32, MaxSize = 32, MinFrames = 2, MaxFrames = 2, TestFraction = 0.25, UnseenShare = 0.5 };
        var clips = SyntheticWorld.Generate(_dir, o);
        var heldOut = SyntheticWorld.HeldOut(o.Seed, o.HeldOutCombinations).ToHashSet();
        var train = clips.Where(c => c.Split == "train").ToList();
        var test = clips.Where(c => c.Split == "test").ToList();
        Assert.Equal(12, test.Count);
        Assert.DoesNotContain(train, c => heldOut.Contains((c.Color, c.Shape, c.Motion)));
        Assert.Equal(6, test.Count(c => c.Unseen));
        Assert.All(test, c => Assert.Equal(c.Unseen, heldOut.Contains((c.Color, c.Shape, c.Motion))));
        // every single attribute value is still taught, only the combination is new
        Assert.Equal(SyntheticWorld.Colors.Length, train.Select(c => c.Color).Distinct().Count());
        Assert.Equal(SyntheticWorld.Shapes.Length, train.Select(c => c.Shape).Distinct().Count());
        Assert.Equal(SyntheticWorld.Motions.Length, train.Select(c => c.Motion).Distinct().Count());
        Assert.Equal(36, File.ReadAllLines(Path.Combine(_dir, "train.jsonl")).Length);
    }

    [Fact]
    public void EveryParaphraseNamesItsAttributes()
    {
        foreach (var c in SyntheticWorld.Colors)
            foreach (var s in SyntheticWorld.Shapes)
                foreach (var m in SyntheticWorld.Motions)
                {
                    var captions = SyntheticWorld.Captions(c, s, m);
                    Assert.Equal(5, captions.Distinct().Count());
                    Assert.All(captions, cap => Assert.Equal((c, s, m), SyntheticWorld.ParseAttributes(cap)));
                }
    }

    [Theory]
    [InlineData("left to right")]
    [InlineData("right to left")]
    [InlineData("up")]
    [InlineData("down")]
    public void RenderedObjectMovesAsTheCaptionSaysAtTheConfiguredSize(string motion)
    {
        // find a seed whose single training clip has this motion (the world picks combinations at random)
        for (int seed = 0; ; seed++)
        {
            var dir = Path.Combine(_dir, $"{motion}-{seed}");
            var o = new SyntheticWorldOptions { Count = 2, Seed = seed, MinSize = 64, MaxSize = 64, MinFrames = 12, MaxFrames = 12, TestFraction = 0.5, UnseenShare = 0 };
            var clip = SyntheticWorld.Generate(dir, o).Single(c => c.Split == "train");
            if (clip.Motion != motion) continue;
            var rgb = new VideoFrameSampler(new VideoFrameSampler.Options { FrameCount = 12 }).SampleRgb(Path.Combine(dir, clip.Video));
            var (x0, y0, _) = Blob(rgb.Frames[4], 64);
            var (x1, y1, area) = Blob(rgb.Frames[7], 64);
            var (dx, dy) = (x1 - x0, y1 - y0);
            var (expectX, expectY) = motion switch { "left to right" => (1, 0), "right to left" => (-1, 0), "up" => (0, -1), _ => (0, 1) };
            Assert.True(expectX == 0 ? Math.Abs(dx) < 1 : Math.Sign(dx) == expectX && Math.Abs(dx) > 5, $"{motion}: x moved {dx:F1}");
            Assert.True(expectY == 0 ? Math.Abs(dy) < 1 : Math.Sign(dy) == expectY && Math.Abs(dy) > 5, $"{motion}: y moved {dy:F1}");
            double r = 0.27 * 64;
            double expectedArea = clip.Shape switch { "circle" => Math.PI * r * r, "square" => Math.Pow(1.7 * r, 2), _ => 0.5 * 2 * r * 1.8 * r };
            Assert.InRange(area, expectedArea * 0.85, expectedArea * 1.15);
            return;
        }
    }

    /// <summary>Centroid and pixel count of the pixels far from the (dark grey) background.</summary>
    private static (double X, double Y, double Area) Blob(byte[] rgb, int side)
    {
        double sx = 0, sy = 0, n = 0;
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++)
            {
                int i = (y * side + x) * 3;
                int spread = Math.Max(rgb[i], Math.Max(rgb[i + 1], rgb[i + 2])) - Math.Min(rgb[i], Math.Min(rgb[i + 1], rgb[i + 2]));
                if (spread < 80) continue;   // grey background; every object colour has a channel spread ≥ 145
                sx += x; sy += y; n++;
            }
        Assert.True(n > 0, "no object pixels found");
        return (sx / n, sy / n, n);
    }

    [Fact]
    public void ImpossibleObjectSizesAreRejected()
    {
        Assert.Throws<ArgumentException>(() => SyntheticWorld.Generate(_dir, new SyntheticWorldOptions { Count = 2, MinObjectScale = 0.3, MaxObjectScale = 0.2 }));
        Assert.Throws<ArgumentException>(() => SyntheticWorld.Generate(_dir, new SyntheticWorldOptions { Count = 2, MaxObjectScale = 0.6 }));
        Assert.Throws<ArgumentException>(() => SyntheticWorld.Generate(_dir, new SyntheticWorldOptions { Count = 2, PathJitter = 1.5 }));
    }
}
