using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning.Timeline;

/// <summary>
/// One window as decoded: either its clip, sampled and preprocessed exactly as <see cref="VideoFrameSampler"/> samples
/// the time window [Start, End), or the damage that kept it from decoding.
/// </summary>
/// <param name="Window">The window.</param>
/// <param name="Clip">The clip; null when the window is damaged.</param>
/// <param name="Damage">Why the window has no clip; null when it decoded.</param>
public sealed record TimelineClip(TimelineWindow Window, SampledClip? Clip, DamagedRange? Damage)
{
    /// <summary>Whether the window decoded.</summary>
    public bool Succeeded => Clip != null;
}
