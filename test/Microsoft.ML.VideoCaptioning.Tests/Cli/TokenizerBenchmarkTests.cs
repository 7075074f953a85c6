using System.Diagnostics;
using Microsoft.ML.VideoCaptioning.Cli.Bench;
using Xunit;
using Xunit.Abstractions;

using Microsoft.ML.VideoCaptioning.Tests.Text;

namespace Microsoft.ML.VideoCaptioning.Tests.Cli;

public class TokenizerBenchmarkTests(ITestOutputHelper output)
{
    [Fact]
    public void GeneratesDeterministicText()
    {
        string text = TokenizerBenchmark.GenerateText(100_000, seed: 4);
        Assert.InRange(text.Length, 100_000, 100_100);
        Assert.Equal(text, TokenizerBenchmark.GenerateText(100_000, seed: 4));
        Assert.NotEqual(text, TokenizerBenchmark.GenerateText(100_000, seed: 5));
    }

    [Fact]
    public void MeasuresEncodingThroughput()
    {
        string text = TokenizerBenchmark.GenerateText(4_000_000);
        var stopwatch = Stopwatch.StartNew();
        double megabytesPerSecond = TokenizerBenchmark.Run(TokenizerTestData.Default, text, iterations: 2);
        output.WriteLine($"encoding: {megabytesPerSecond:F1} MB/s on {System.Text.Encoding.UTF8.GetByteCount(text) / 1e6:F1} MB ({stopwatch.Elapsed.TotalSeconds:F1} s in all)");
        Assert.True(megabytesPerSecond > 0);
    }
}
