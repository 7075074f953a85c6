using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Microsoft.ML.VideoCaptioning.Timeline;

/// <summary>
/// Reads the presentation time of each frame leaving ffmpeg's <c>showinfo</c> filter from ffmpeg's standard error
/// (run with <c>-loglevel level+info</c>), in order, so that raw frames on standard output can be matched to their times.
/// Lines tagged <c>[error]</c>, <c>[fatal]</c> or <c>[panic]</c> are left to the process as errors; everything else is consumed.
/// </summary>
internal sealed partial class FrameLog : IDisposable
{
    private readonly BlockingCollection<double> _times = new();
    private readonly double _origin;
    private double _timeBase = double.NaN;

    /// <param name="origin">Subtracted from every time (the container start time, for times like <c>VideoProbe.ReadFrameTimes</c>'s).</param>
    public FrameLog(double origin) => _origin = origin;

    /// <summary>Times of the frames seen so far (seconds; NaN for a frame without a timestamp).</summary>
    public IEnumerable<double> Seen => _times.ToArray();

    /// <summary>The line hook for <c>ToolProcess</c>: true for a consumed (non-error) line.</summary>
    public bool Consume(string line)
    {
        if (line.Contains("[error]") || line.Contains("[fatal]") || line.Contains("[panic]"))
            return false;
        var frame = FramePattern().Match(line);
        if (frame.Success)
        {
            bool known = long.TryParse(frame.Groups[1].Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out long pts);
            _times.Add(known && !double.IsNaN(_timeBase) ? pts * _timeBase - _origin : double.NaN);
            return true;
        }
        var timeBase = TimeBasePattern().Match(line);
        if (timeBase.Success && double.IsNaN(_timeBase))
        {
            double num = double.Parse(timeBase.Groups[1].Value, CultureInfo.InvariantCulture);
            double den = double.Parse(timeBase.Groups[2].Value, CultureInfo.InvariantCulture);
            _timeBase = den > 0 ? num / den : double.NaN;
        }
        return true;
    }

    /// <summary>The time of the next frame, waiting for its line (ffmpeg logs a frame before writing it out).</summary>
    /// <exception cref="InvalidDataException">No line arrived within <paramref name="wait"/>.</exception>
    public double Next(TimeSpan wait, CancellationToken cancellationToken) =>
        _times.TryTake(out double time, (int)wait.TotalMilliseconds, cancellationToken)
            ? time
            : throw new InvalidDataException("ffmpeg delivered a frame without logging it (showinfo); the ffmpeg build may be unusual.");

    public void Dispose() => _times.Dispose();

    [GeneratedRegex(@"\] n:\s*\d+\s+pts:\s*(-?\w+)")]
    private static partial Regex FramePattern();

    [GeneratedRegex(@"config in time_base: (\d+)/(\d+)")]
    private static partial Regex TimeBasePattern();
}
