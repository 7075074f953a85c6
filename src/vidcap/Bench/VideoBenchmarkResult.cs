namespace Microsoft.ML.VideoCaptioning.Cli.Bench;

/// <summary>One measurement of <see cref="VideoBenchmark.Run"/>.</summary>
/// <param name="Name">What was sampled.</param>
/// <param name="Clips">Clips sampled (all successfully).</param>
/// <param name="Seconds">Wall-clock time for all of them.</param>
/// <param name="MaxParallelism">Videos sampled concurrently.</param>
public sealed record VideoBenchmarkResult(string Name, int Clips, double Seconds, int MaxParallelism)
{
    /// <summary>Throughput: <see cref="Clips"/> / <see cref="Seconds"/>.</summary>
    public double ClipsPerSecond => Clips / Seconds;

    /// <inheritdoc/>
    public override string ToString() =>
        FormattableString.Invariant($"{Name}: {Clips} clips in {Seconds:0.00} s = {ClipsPerSecond:0.00} clips/s (parallelism {MaxParallelism})");
}
