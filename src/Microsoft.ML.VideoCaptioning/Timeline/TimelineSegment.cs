using System.Text.Json.Serialization;
using Microsoft.ML.VideoCaptioning.Subtitles;

namespace Microsoft.ML.VideoCaptioning.Timeline;

/// <summary>
/// A stretch of a video with one caption: adjacent windows with the same caption merged. Segments tile the video, so
/// subtitles made from them cover its whole duration; a damaged stretch is a segment without a caption.
/// </summary>
/// <param name="Start">Start in seconds.</param>
/// <param name="End">End in seconds.</param>
/// <param name="Caption">The caption; null for a damaged stretch.</param>
/// <param name="Confidence">Mean over the merged windows of their captions' mean token log-probability; null when damaged.</param>
/// <param name="Windows">Number of windows merged into the segment.</param>
/// <param name="Damage">What was damaged (null when the segment has a caption).</param>
public sealed record TimelineSegment(
    [property: JsonPropertyName("start")] double Start,
    [property: JsonPropertyName("end")] double End,
    [property: JsonPropertyName("caption")] string? Caption,
    [property: JsonPropertyName("confidence")] double? Confidence,
    [property: JsonPropertyName("windows")] int Windows,
    [property: JsonPropertyName("damage"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DamagedRange? Damage)
{
    /// <summary>
    /// Segments from window captions in timeline order: window i is shown from its start to the next window's start (the last
    /// one to <paramref name="duration"/>), and neighbours with the same caption (or both damaged) become one segment.
    /// </summary>
    public static IReadOnlyList<TimelineSegment> Merge(IReadOnlyList<WindowCaption> windows, double duration)
    {
        var segments = new List<TimelineSegment>();
        var confidences = new List<double>();
        for (int i = 0; i < windows.Count; i++)
        {
            var w = windows[i];
            double start = w.Window.Start, end = i + 1 < windows.Count ? windows[i + 1].Window.Start : Math.Max(duration, start);
            string? caption = w.Caption?.Trim();
            if (segments.Count > 0 && segments[^1].Caption == caption)
            {
                if (caption != null) confidences.Add(w.Confidence);
                segments[^1] = segments[^1] with { End = end, Windows = segments[^1].Windows + 1, Confidence = caption != null ? confidences.Average() : null };
                continue;
            }
            confidences.Clear();
            if (caption != null) confidences.Add(w.Confidence);
            segments.Add(new TimelineSegment(start, end, caption, caption != null ? w.Confidence : null, 1, caption == null ? w.Damage : null));
        }
        return segments;
    }

    /// <summary>The subtitles of segments: one cue per captioned segment (damaged stretches get none).</summary>
    public static IEnumerable<SubtitleCue> ToCues(IEnumerable<TimelineSegment> segments) =>
        segments.Where(s => s.Caption != null).Select(s => new SubtitleCue(s.Start, s.End, s.Caption!));
}
