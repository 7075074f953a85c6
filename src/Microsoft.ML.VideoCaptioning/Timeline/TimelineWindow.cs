namespace Microsoft.ML.VideoCaptioning.Timeline;

/// <summary>One window of a video's timeline: frames with times in [<see cref="Start"/>, <see cref="End"/>) seconds.</summary>
/// <param name="Index">Position in the timeline (0-based).</param>
/// <param name="Start">Start in seconds from the start of the video.</param>
/// <param name="End">End in seconds (exclusive).</param>
public sealed record TimelineWindow(int Index, double Start, double End)
{
    /// <summary>Length in seconds.</summary>
    public double Duration => End - Start;
}
