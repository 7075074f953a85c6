namespace Microsoft.ML.VideoCaptioning.Timeline;

/// <summary>Cuts a duration into windows: at fixed times, or at scene changes with long scenes split.</summary>
public static class TimelinePlanner
{
    // Times closer than this are the same time (ffprobe prints 6 decimals).
    private const double Epsilon = 1e-6;

    /// <summary>
    /// Windows of <paramref name="window"/> seconds starting every <paramref name="stride"/> seconds, up to the first one that
    /// reaches the end. A video shorter than one window gets one window; a final window shorter than half a window joins the
    /// previous one (which then ends at the end of the video), so no caption describes a sliver.
    /// </summary>
    public static IReadOnlyList<TimelineWindow> Fixed(double duration, double window, double stride)
    {
        Check(duration, window);
        if (!(stride > 0) || !double.IsFinite(stride)) throw new ArgumentOutOfRangeException(nameof(stride), "The stride must be positive.");
        var spans = new List<(double Start, double End)>();
        for (int k = 0; ; k++)
        {
            double start = k * stride;
            if (k > 0 && start >= duration - Epsilon) break;
            spans.Add((start, Math.Min(start + window, duration)));
            if (start + window >= duration - Epsilon) break;
        }
        if (spans.Count > 1 && spans[^1].End - spans[^1].Start < window / 2)
        {
            spans.RemoveAt(spans.Count - 1);
            spans[^1] = (spans[^1].Start, duration);
        }
        return Number(spans);
    }

    /// <summary>
    /// Windows between scene changes: a scene longer than <paramref name="window"/> seconds is split into equal parts no longer
    /// than it; a scene shorter than a quarter window joins the one before (the first joins the next).
    /// </summary>
    /// <param name="duration">Length of the video in seconds.</param>
    /// <param name="cuts">Times (seconds) where a new scene starts, in any order; those outside (0, duration) are ignored.</param>
    /// <param name="window">Longest window in seconds.</param>
    public static IReadOnlyList<TimelineWindow> Scenes(double duration, IEnumerable<double> cuts, double window)
    {
        Check(duration, window);
        var bounds = new List<double> { 0 };
        foreach (double cut in cuts.Where(c => c > Epsilon && c < duration - Epsilon).Order())
        {
            if (cut - bounds[^1] < window / 4)
            {
                if (bounds.Count == 1) continue;    // a short first scene joins the next
                bounds.RemoveAt(bounds.Count - 1);   // a short scene joins the one before
            }
            bounds.Add(cut);
        }
        if (bounds.Count > 1 && duration - bounds[^1] < window / 4)
            bounds.RemoveAt(bounds.Count - 1);
        bounds.Add(duration);
        var spans = new List<(double, double)>();
        for (int i = 0; i + 1 < bounds.Count; i++)
        {
            double start = bounds[i], length = bounds[i + 1] - start;
            int parts = Math.Max(1, (int)Math.Ceiling(length / window - Epsilon));
            for (int p = 0; p < parts; p++)
                spans.Add((start + length * p / parts, p + 1 == parts ? bounds[i + 1] : start + length * (p + 1) / parts));
        }
        return Number(spans);
    }

    private static void Check(double duration, double window)
    {
        if (!(duration > 0) || !double.IsFinite(duration)) throw new ArgumentOutOfRangeException(nameof(duration), "The duration must be positive.");
        if (!(window > 0) || !double.IsFinite(window)) throw new ArgumentOutOfRangeException(nameof(window), "The window must be positive.");
    }

    private static List<TimelineWindow> Number(List<(double Start, double End)> spans) =>
        spans.Select((s, i) => new TimelineWindow(i, s.Start, s.End)).ToList();
}
