using System.Globalization;
using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning.Timeline;

/// <summary>
/// Cuts long videos into windows and samples every window to a clip exactly as <see cref="VideoFrameSampler"/> samples
/// that time window (same frames, same preprocessing), in one ffmpeg decoding pass per video with memory flat in its length.
/// </summary>
/// <remarks>
/// <para><see cref="Open"/> probes the video, lists its frame times (ffprobe, no decoding), finds the scene changes when asked
/// (one extra low-resolution decoding pass) and plans the windows; <see cref="VideoTimeline.ReadClips"/> then decodes.</para>
/// <para>Damage: frame times that ffprobe could not list while reporting errors are a damaged range, and so are frames that
/// the decoder failed to deliver; windows touching a damaged range come out without a clip and with the range, the others
/// decode normally (before the damage, and after it where ffmpeg resumes).</para>
/// <para>Instances are immutable and thread-safe.</para>
/// </remarks>
public sealed class VideoTimelineReader
{
    // A gap between listed frames longer than this many typical frame intervals is a hole when ffprobe reported errors.
    private const double HoleFactor = 4;

    private readonly VideoFrameSampler.Options _sampling;
    private readonly TimelineOptions _options;

    /// <summary>Creates a reader.</summary>
    /// <param name="sampling">How each window is sampled (frame count, mode, crop, preprocessing); its time window is ignored.</param>
    /// <param name="options">How windows are cut.</param>
    public VideoTimelineReader(VideoFrameSampler.Options sampling, TimelineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(sampling);
        ArgumentOutOfRangeException.ThrowIfLessThan(sampling.FrameCount, 1, nameof(sampling.FrameCount));
        ArgumentOutOfRangeException.ThrowIfLessThan(sampling.CropSize, 1, nameof(sampling.CropSize));
        _options = options ?? new TimelineOptions();
        _options.Validate();
        _sampling = sampling.Clone();
        _sampling.StartSeconds = null;
        _sampling.EndSeconds = null;
    }

    /// <summary>The timeline settings.</summary>
    public TimelineOptions Options => _options;

    /// <summary>Probes and plans one video (no frame is decoded yet, except for scene detection).</summary>
    /// <exception cref="VideoDecodeException">The file is missing (<see cref="VideoDecodeReason.FileNotFound"/>), unreadable or has no frames.</exception>
    public VideoTimeline Open(string path, CancellationToken cancellationToken = default)
    {
        VideoProbe.EnsureExists(path);
        var session = new ToolSession(path, _options.ProbeTimeout, cancellationToken);
        var info = VideoProbe.Read(session);
        double[] times = VideoProbe.ReadFrameTimes(session, info, out var listingErrors);
        if (times.Length == 0)
        {
            throw new VideoDecodeException(VideoDecodeReason.NoDecodableFrames, path,
                $"Video '{path}' lists no frames{Describe(listingErrors)}. Re-encode or re-download the file.");
        }
        double interval = TypicalInterval(times, info);
        double duration = Math.Max(info.DurationSeconds ?? 0, times[^1] + interval);
        var windows = _options.Scenes
            ? TimelinePlanner.Scenes(duration, SceneDetector.Detect(session, info, _options.SceneThreshold), _options.WindowSeconds)
            : TimelinePlanner.Fixed(duration, _options.WindowSeconds, _options.Stride);
        var holes = listingErrors.Count == 0 ? [] : Holes(times, duration, interval, listingErrors);
        return new VideoTimeline(path, info, duration, times, Plan(info, times, windows, holes), holes, _sampling, _options);
    }

    private List<PlannedWindow> Plan(VideoInfo info, double[] times, IReadOnlyList<TimelineWindow> windows, List<DamagedRange> holes)
    {
        // A window without frames is a hole when damaged; otherwise (variable frame rate: the picture stands still) it
        // joins its neighbour, which then samples the same frames over a longer time.
        var spans = new List<(double Start, double End)>();
        bool joinNext = false;
        foreach (var w in windows)
        {
            if (Count(times, w.End) == Count(times, w.Start) && !holes.Any(h => Overlaps(w.Start, w.End, h)))
            {
                if (spans.Count > 0)
                    spans[^1] = (spans[^1].Start, w.End);
                else
                    joinNext = true;
                continue;
            }
            spans.Add((joinNext ? 0 : w.Start, w.End));
            joinNext = false;
        }
        if (spans.Count == 0)
            throw new VideoDecodeException(VideoDecodeReason.NoDecodableFrames, info.Path, $"Video '{info.Path}' has no frame after its start time. Re-encode the file.");
        return spans.Select((s, i) =>
        {
            var window = new TimelineWindow(i, s.Start, s.End);
            var hole = holes.FirstOrDefault(h => Overlaps(window.Start, window.End, h));
            if (hole != null)
                return new PlannedWindow(window, null, hole);
            var options = _sampling.Clone();
            options.StartSeconds = window.Start;
            options.EndSeconds = window.End;
            return new PlannedWindow(window, FramePlan.Create(info, options, times, long.MaxValue), null);
        }).ToList();
    }

    // Gaps in the listing much longer than a frame, and the stretch after the last listed frame when the container says
    // the video goes on: where ffprobe lost frames.
    private static List<DamagedRange> Holes(double[] times, double duration, double interval, IReadOnlyList<string> errors)
    {
        string reason = "ffprobe lists no frames here and reported: " + string.Join(" | ", errors.Take(3));
        var holes = new List<DamagedRange>();
        for (int i = 0; i + 1 < times.Length; i++)
            if (times[i + 1] - times[i] > HoleFactor * interval)
                holes.Add(new DamagedRange(times[i], times[i + 1], reason));
        if (duration - times[^1] > HoleFactor * interval)
            holes.Add(new DamagedRange(times[^1], duration, reason));
        return holes;
    }

    private static bool Overlaps(double start, double end, DamagedRange range) => start < range.End && end > range.Start;

    private static double TypicalInterval(double[] times, VideoInfo info)
    {
        if (times.Length < 2)
            return info.FrameRate > 0 ? 1 / info.FrameRate : 0.04;
        var gaps = new double[times.Length - 1];
        for (int i = 0; i < gaps.Length; i++)
            gaps[i] = times[i + 1] - times[i];
        Array.Sort(gaps);
        double median = gaps[gaps.Length / 2];
        return median > 0 ? median : info.FrameRate > 0 ? 1 / info.FrameRate : 0.04;
    }

    // Number of frames whose time is before `seconds` (as FramePlan counts them: within 1e-6 counts as at it).
    private static int Count(double[] times, double seconds)
    {
        int lo = 0, hi = times.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) / 2;
            if (times[mid] < seconds - 1e-6) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    private static string Describe(IReadOnlyList<string> errors) =>
        errors.Count == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $" (ffprobe: {errors[^1]})");
}
