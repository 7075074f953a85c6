using Microsoft.ML.VideoCaptioning.Data;
using Microsoft.ML.VideoCaptioning.Timeline;
using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning.Cli.Demo;

/// <summary>One window of the demo's long video: its times, the caption it got, what it shows, and its thumbnail (relative to the report).</summary>
public sealed record DemoTimelineWindow(double Start, double End, string? Caption, string TrueCaption, string Thumbnail);

/// <summary>
/// The demo's long video: known segments of the synthetic world one after the other, captioned window by window with
/// <c>ml.VideoCaptioning().CaptionTimeline</c>; the report shows it as a strip of thumbnails with their captions.
/// </summary>
public static class DemoTimeline
{
    /// <summary>Seconds per window, and per pass of an object across the frame.</summary>
    public const double WindowSeconds = 4;

    /// <summary>
    /// <paramref name="count"/> segments (1 or 2 passes each) of random combinations, neighbours differing in colour and in
    /// shape, so that every boundary changes the caption.
    /// </summary>
    public static IReadOnlyList<SyntheticSegment> Segments(int count, int seed)
    {
        var rng = new Random(seed);
        var segments = new List<SyntheticSegment>();
        while (segments.Count < count)
        {
            var s = new SyntheticSegment(rng.GetItems(SyntheticWorld.Colors, 1)[0], rng.GetItems(SyntheticWorld.Shapes, 1)[0], rng.GetItems(SyntheticWorld.Motions, 1)[0], 1 + rng.Next(2));
            if (segments.Count == 0 || segments[^1].Color != s.Color && segments[^1].Shape != s.Shape) segments.Add(s);
        }
        return segments;
    }

    /// <summary>
    /// Renders <paramref name="segments"/> (passes of <see cref="WindowSeconds"/> at the world's frame rate), captions the
    /// video with <paramref name="model"/>, writes a thumbnail per window under <paramref name="root"/>/timeline, and
    /// returns the windows with their captions and what they show, and the share of windows naming the right colour,
    /// shape, motion and all three.
    /// </summary>
    public static (IReadOnlyList<DemoTimelineWindow> Windows, IReadOnlyDictionary<string, double> Metrics) Run(
        MLContext ml, ITransformer model, string root, IReadOnlyList<SyntheticSegment> segments, SyntheticWorldOptions world, int seed)
    {
        var dir = Path.Combine(root, "timeline");
        Directory.CreateDirectory(dir);
        string video = Path.Combine(dir, "long.mp4");
        int framesPerPass = (int)Math.Round(WindowSeconds * world.FramesPerSecond);
        var starts = SyntheticWorld.RenderSequence(video, segments, side: world.MinSize / 2 * 2, framesPerPass: framesPerPass, options: world, seed: seed);
        var result = ml.VideoCaptioning().CaptionTimeline(model, video, new TimelineOptions { WindowSeconds = WindowSeconds });
        var windows = new List<DemoTimelineWindow>();
        foreach (var w in result.Windows)
        {
            var truth = segments[TruthAt(starts, (w.Window.Start + w.Window.End) / 2)];
            string thumbnail = Path.Combine(dir, $"w{w.Window.Index:D3}.png");
            CaptionOverlay.WriteThumbnail(video, (w.Window.Start + w.Window.End) / 2, thumbnail);
            windows.Add(new DemoTimelineWindow(w.Window.Start, w.Window.End, w.Caption, SyntheticWorld.Captions(truth.Color, truth.Shape, truth.Motion)[0],
                Path.GetRelativePath(root, thumbnail).Replace('\\', '/')));
        }
        var metrics = new Dictionary<string, double>();
        foreach (var (attribute, accuracy) in DemoRunner.AttributeAccuracy(windows.Select(w => w.TrueCaption).ToList(), windows.Select(w => w.Caption ?? "").ToList()))
            metrics[$"timeline_accuracy_{attribute}"] = accuracy;
        metrics["timeline_windows"] = windows.Count;
        return (windows, metrics);
    }

    /// <summary>The index of the segment playing at <paramref name="seconds"/>, given the segments' start times.</summary>
    public static int TruthAt(IReadOnlyList<double> starts, double seconds)
    {
        int i = 0;
        while (i + 1 < starts.Count && starts[i + 1] <= seconds) i++;
        return i;
    }
}
