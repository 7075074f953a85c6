namespace Microsoft.ML.VideoCaptioning.Evaluation;

/// <summary>Sufficient statistics of corpus BLEU, as coco-caption's <c>BleuScorer</c> prints them.</summary>
/// <param name="TestLength">Total candidate length in words.</param>
/// <param name="ReferenceLength">Sum over items of the reference length closest to the candidate length (shorter on a tie).</param>
/// <param name="Guess">Candidate n-grams for n = 1..4.</param>
/// <param name="Correct">Clipped matching n-grams for n = 1..4.</param>
public sealed record BleuStatistics(long TestLength, long ReferenceLength, IReadOnlyList<long> Guess, IReadOnlyList<long> Correct);
