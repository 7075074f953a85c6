using System.Text.Json;
using Microsoft.ML.VideoCaptioning.Video;
using Xunit;
using Xunit.Abstractions;

namespace Microsoft.ML.VideoCaptioning.Tests.Video;

public class VideoPreprocessorTests(ITestOutputHelper output)
{
    /// <summary>The fixture of VJEPA2VideoProcessor outputs; its cases are the tensor-name prefixes ("portrait.frames_thwc").</summary>
    public const string FixtureName = "vjepa2_preprocess";

    public static TheoryData<string> Cases() => new(CaseNames(TestPaths.Fixtures));

    /// <summary>The cases of the fixture in <paramref name="directory"/>.</summary>
    public static IEnumerable<string> CaseNames(string directory) =>
        new RawSafeTensors(Path.Combine(directory, FixtureName + ".io.safetensors")).Names.Select(n => n[..n.IndexOf('.')]).Distinct();

    [Theory]
    [MemberData(nameof(Cases))]
    public void FloatFramesMatchTheReferenceProcessor(string name) => output.WriteLine(Check(TestPaths.Fixtures, name));

    /// <summary>Checks case <paramref name="name"/> of the fixture in <paramref name="directory"/>; returns the error it measured.</summary>
    public static string Check(string directory, string name)
    {
        var fixture = new RawSafeTensors(Path.Combine(directory, FixtureName + ".io.safetensors"));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, FixtureName + ".io.json")));
        int cropSize = json.RootElement.GetProperty("params").GetProperty($"{name}.crop_size").GetInt32();
        int[] shape = fixture.Shape($"{name}.frames_thwc");
        var expected = fixture.Float32($"{name}.pixel_values_videos");

        var got = new VideoPreprocessor(cropSize).PreprocessVideo(fixture.Float32($"{name}.frames_thwc"), shape[0], shape[1], shape[2]);

        Assert.Equal(expected.Length, got.Length);
        double maxDiff = 0, maxExpected = 0;
        for (int i = 0; i < got.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(got[i] - expected[i]));
            maxExpected = Math.Max(maxExpected, Math.Abs(expected[i]));
        }
        Assert.True(maxDiff / maxExpected <= 1e-4, $"{name}: max relative difference {maxDiff / maxExpected:E2}");
        return $"{name}: max |got - expected| / max |expected| = {maxDiff / maxExpected:E2}";
    }

    [Theory]
    [InlineData(240, 427, 292, 519)]
    [InlineData(427, 240, 519, 292)]
    [InlineData(256, 256, 292, 292)]
    [InlineData(1080, 1920, 292, 519)]
    [InlineData(40, 56, 36, 50)]
    public void ShorterSideBecomesTheShortestEdgeAndTheLongerOneIsTruncated(int height, int width, int resizedHeight, int resizedWidth)
    {
        int edge = resizedHeight == 36 ? VideoPreprocessor.GetShortestEdge(32) : VideoPreprocessor.GetShortestEdge(256);

        Assert.Equal((resizedHeight, resizedWidth), VideoPreprocessor.GetResizedSize(height, width, edge));
        Assert.Equal(292, new VideoPreprocessor().ShortestEdge);
    }

    /// <summary>
    /// 16×16 → 8×8 (crop 7 → shortest edge 8): each output column x ≥ 1 averages input columns 2x−1 … 2x+2 with
    /// weights 1/8, 3/8, 3/8, 1/8, column 0 columns 0 … 2 with 3/7, 3/7, 1/7 (PyTorch's antialias taps, worked out by
    /// hand). With input column values 16·x that is 32x + 8 exactly, and 80/7 = 11.43 for column 0, which the
    /// uint8 path rounds in fixed point ((32768 + 16·28087 + 32·9362) &gt;&gt; 16 = 11) and the float path keeps.
    /// </summary>
    [Theory]
    [InlineData(true, new[] { 11f, 40f, 72f, 104f, 136f, 168f, 200f })]
    [InlineData(false, new[] { 80f / 7f, 40f, 72f, 104f, 136f, 168f, 200f })]
    public void DownscaleByTwoMatchesHandComputedTaps(bool uint8Rounding, float[] expectedRow)
    {
        var frame = new byte[16 * 16 * 3];
        for (int i = 0; i < frame.Length; i++)
            frame[i] = (byte)(16 * (i / 3 % 16));
        var preprocessor = new VideoPreprocessor(cropSize: 7, uint8RoundAfterResize: uint8Rounding);
        var output = new float[preprocessor.FrameLength];

        preprocessor.Preprocess(frame, 16, 16, output, 0);

        float[] mean = [0.485f, 0.456f, 0.406f], std = [0.229f, 0.224f, 0.225f];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 7; y++)
                for (int x = 0; x < 7; x++)
                    Assert.Equal(expectedRow[x], output[(c * 7 + y) * 7 + x] * 255f * std[c] + 255f * mean[c], 3);
    }

    [Fact]
    public void SeedSquashChangesNothingForSquare256Frames()
    {
        var frame = new byte[256 * 256 * 3];
        new Random(7).NextBytes(frame);
        var seed = new VideoPreprocessor(seedSquashTo256: true);
        var plain = new VideoPreprocessor();
        var a = new float[seed.FrameLength];
        var b = new float[plain.FrameLength];

        seed.Preprocess(frame, 256, 256, a, 0);
        plain.Preprocess(frame, 256, 256, b, 0);

        Assert.Equal(b, a);
    }

    [Fact]
    public void BlackPaddingIsNormalisedZero()
    {
        var preprocessor = new VideoPreprocessor(cropSize: 4);
        var black = new float[preprocessor.FrameLength];
        var zeros = new float[preprocessor.FrameLength];

        preprocessor.WriteBlackFrame(black, 0);
        preprocessor.Preprocess(new byte[10 * 12 * 3], 10, 12, zeros, 0);

        Assert.Equal(zeros, black);
        Assert.Equal(-0.485f / 0.229f, black[0], 5);
        Assert.Equal(-0.406f / 0.225f, black[^1], 5);
    }
}
