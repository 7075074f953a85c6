namespace Microsoft.ML.VideoCaptioning.Data;

/// <summary>One stretch of a long synthetic video: the same object and motion for <paramref name="Passes"/> passes across the frame.</summary>
public sealed record SyntheticSegment(string Color, string Shape, string Motion, int Passes);

public static partial class SyntheticWorld
{
    /// <summary>
    /// Renders a long video made of known segments, one after the other, as an H.264 mp4: in each pass the segment's object
    /// crosses the frame once, exactly as in a clip of <paramref name="framesPerPass"/> frames, so a timeline window aligned
    /// with a pass samples what a single clip would. Returns the times (seconds) where each segment starts.
    /// </summary>
    /// <param name="path">The mp4 to write.</param>
    /// <param name="segments">The segments, in order.</param>
    /// <param name="side">Frame side in pixels (even).</param>
    /// <param name="framesPerPass">Frames of one pass (at least 2).</param>
    /// <param name="options">Frame rate, object scale and path jitter (the world's defaults when null).</param>
    /// <param name="seed">Seeds each segment's background and path.</param>
    public static IReadOnlyList<double> RenderSequence(string path, IReadOnlyList<SyntheticSegment> segments, int side = 80, int framesPerPass = 48,
        SyntheticWorldOptions? options = null, int seed = 0)
    {
        var o = options ?? new SyntheticWorldOptions();
        if (side < 16 || side % 2 != 0) throw new ArgumentException("The side must be even and at least 16.", nameof(side));
        if (framesPerPass < 2) throw new ArgumentException("A pass needs at least 2 frames.", nameof(framesPerPass));
        foreach (var s in segments)
        {
            if (!Colors.Contains(s.Color) || !Shapes.Contains(s.Shape) || !Motions.Contains(s.Motion) || s.Passes < 1)
                throw new ArgumentException($"Unknown segment {s}: colours {string.Join('/', Colors)}, shapes {string.Join('/', Shapes)}, motions {string.Join('/', Motions)}, at least 1 pass.");
        }
        var rng = new Random(seed);
        var starts = new List<double>();
        int written = 0;
        Encode(path, side, o.FramesPerSecond, (stdin, frame) =>
        {
            foreach (var s in segments)
            {
                starts.Add((double)written / o.FramesPerSecond);
                double r = side * (o.MinObjectScale + (o.MaxObjectScale - o.MinObjectScale) * rng.NextDouble());
                byte bg = (byte)rng.Next(10, 60);
                double across = side / 2.0 + (2 * rng.NextDouble() - 1) * o.PathJitter * (side / 2.0 - r - 2);
                for (int pass = 0; pass < s.Passes; pass++)
                    for (int f = 0; f < framesPerPass; f++, written++)
                    {
                        Draw(frame, side, s.Color, s.Shape, s.Motion, (double)f / (framesPerPass - 1), r, across, bg);
                        stdin.Write(frame);
                    }
            }
        });
        return starts;
    }
}
