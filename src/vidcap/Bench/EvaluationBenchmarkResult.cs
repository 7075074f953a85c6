namespace Microsoft.ML.VideoCaptioning.Cli.Bench;

/// <summary>Outcome of <see cref="EvaluationBenchmark.Run"/>.</summary>
/// <param name="Items">Evaluated items.</param>
/// <param name="ReferencesPerItem">References per item.</param>
/// <param name="Elapsed">Wall time of the timed evaluation (after a warm-up evaluation of the same data).</param>
/// <param name="ItemsPerSecond">Items scored per second with all metrics and PTB tokenization.</param>
/// <param name="Metrics">The corpus scores, so a run can be checked for determinism.</param>
public sealed record EvaluationBenchmarkResult(int Items, int ReferencesPerItem, TimeSpan Elapsed, double ItemsPerSecond,
    IReadOnlyDictionary<string, double> Metrics);
