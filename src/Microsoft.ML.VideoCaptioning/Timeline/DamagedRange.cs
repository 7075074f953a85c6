namespace Microsoft.ML.VideoCaptioning.Timeline;

/// <summary>A stretch of a video that did not decode: somewhere between <see cref="Start"/> and <see cref="End"/> seconds.</summary>
/// <param name="Start">The last good frame before the damage, in seconds (0 when none).</param>
/// <param name="End">The first good frame after it, in seconds (the video's end when decoding did not resume).</param>
/// <param name="Reason">What ffmpeg/ffprobe reported, or what was missing.</param>
public sealed record DamagedRange(double Start, double End, string Reason);
