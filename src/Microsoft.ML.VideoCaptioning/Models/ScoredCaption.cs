namespace Microsoft.ML.VideoCaptioning.Models;

/// <summary>A generated caption with the language model's confidence in it.</summary>
/// <param name="Caption">The caption text (special tokens removed, trimmed).</param>
/// <param name="Confidence">Mean log-probability of its tokens, end-of-text included (≤ 0; nearer 0 is surer).</param>
public sealed record ScoredCaption(string Caption, double Confidence);
