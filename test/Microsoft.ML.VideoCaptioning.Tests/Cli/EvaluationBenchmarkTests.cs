using Microsoft.ML.VideoCaptioning.Cli.Bench;

namespace Microsoft.ML.VideoCaptioning.Tests.Cli;

/// <summary><c>vidcap bench metrics</c>'s workload: seeded synthetic captions give the same corpus scores every run.</summary>
public class EvaluationBenchmarkTests
{
    [Fact]
    public void BenchmarkRunsAndIsDeterministic()
    {
        string meteorData = Path.Combine(TestPaths.Assets, "meteor-1.5");
        var first = EvaluationBenchmark.Run(items: 60, refsPerItem: 5, seed: 7, meteorDataDirectory: meteorData);
        var second = EvaluationBenchmark.Run(items: 60, refsPerItem: 5, seed: 7, meteorDataDirectory: meteorData);
        Assert.True(first.ItemsPerSecond > 0);
        Assert.Equal(7, first.Metrics.Count);
        Assert.Equal(first.Metrics, second.Metrics);
    }
}
