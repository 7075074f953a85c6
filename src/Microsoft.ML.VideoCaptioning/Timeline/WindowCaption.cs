namespace Microsoft.ML.VideoCaptioning.Timeline;

/// <summary>The caption of one timeline window, or the damage that left it without one.</summary>
/// <param name="Window">The window.</param>
/// <param name="Caption">The caption; null for a damaged window.</param>
/// <param name="Confidence">Mean log-probability of the caption's tokens (≤ 0; nearer 0 is surer); NaN for a damaged window.</param>
/// <param name="Damage">Why the window has no caption; null when it has one.</param>
public sealed record WindowCaption(TimelineWindow Window, string? Caption, double Confidence, DamagedRange? Damage);
