using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning.Timeline;

/// <summary>A window with the frames it samples (the plan <see cref="VideoFrameSampler"/> makes for its time window), or the damage that leaves it none.</summary>
internal sealed record PlannedWindow(TimelineWindow Window, FramePlan? Plan, DamagedRange? Damage);
