namespace Microsoft.ML.VideoCaptioning.Timeline;

/// <summary>A captioned timeline (<see cref="TimelineCaptioner.Caption"/>).</summary>
/// <param name="VideoPath">The video.</param>
/// <param name="DurationSeconds">Its length in seconds.</param>
/// <param name="Windows">Every window's caption (or damage), in order.</param>
/// <param name="Segments">Neighbouring windows with the same caption merged; they tile the video.</param>
/// <param name="Damage">The damaged stretches, in order (empty for a clean video).</param>
/// <param name="DecodeErrors">What ffmpeg reported while decoding.</param>
public sealed record TimelineResult(string VideoPath, double DurationSeconds, IReadOnlyList<WindowCaption> Windows,
    IReadOnlyList<TimelineSegment> Segments, IReadOnlyList<DamagedRange> Damage, IReadOnlyList<string> DecodeErrors);
