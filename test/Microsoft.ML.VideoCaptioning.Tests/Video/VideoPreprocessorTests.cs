using System.Text.Json;
using Microsoft.ML.VideoCaptioning.Video;
using Xunit;
using Xunit.Abstractions;

namespace Microsoft.ML.VideoCaptioning.Tests.Video;

public class VideoPreprocessorTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("downscale")]
    [InlineData("portrait")]
    [InlineData("upscale")]
    public void FloatFramesMatchTheReferenceProcessor(string name)
    {
        var fixture = new VideoFixtureReader(Path.Combine(TestPaths.Fixtures, "vjepa2_preprocess.io.safetensors"));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "vjepa2_preprocess.io.json")));
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
        output.WriteLine($"{name}: max |got - expected| / max |expected| = {maxDiff / maxExpected:E2}");
        Assert.True(maxDiff / maxExpected <= 1e-4, $"{name}: max relative difference {maxDiff / maxExpected:E2}");
    }
}
