using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning.Timeline;

/// <summary>A probed and planned video (<see cref="VideoTimelineReader.Open"/>): its windows, ready to decode with <see cref="ReadClips"/>.</summary>
public sealed class VideoTimeline
{
    private readonly List<PlannedWindow> _planned;
    private readonly VideoFrameSampler.Options _sampling;
    private readonly TimelineOptions _options;
    private IReadOnlyList<string> _decodeErrors = [];

    internal VideoTimeline(string path, VideoInfo info, double duration, double[] frameTimes, List<PlannedWindow> planned,
        IReadOnlyList<DamagedRange> listingDamage, VideoFrameSampler.Options sampling, TimelineOptions options)
    {
        Path = path;
        Info = info;
        DurationSeconds = duration;
        FrameTimes = frameTimes;
        _planned = planned;
        ListingDamage = listingDamage;
        _sampling = sampling;
        _options = options;
    }

    /// <summary>The video file.</summary>
    public string Path { get; }

    /// <summary>What ffprobe reported about the video.</summary>
    public VideoInfo Info { get; }

    /// <summary>Length of the video in seconds (the container's duration, or the last frame's end when longer).</summary>
    public double DurationSeconds { get; }

    /// <summary>The windows, in order; together they cover [0, <see cref="DurationSeconds"/>).</summary>
    public IReadOnlyList<TimelineWindow> Windows => _planned.Select(p => p.Window).ToList();

    /// <summary>Stretches where ffprobe could not list frames and reported errors (known before decoding).</summary>
    public IReadOnlyList<DamagedRange> ListingDamage { get; }

    /// <summary>What ffmpeg reported during the last complete <see cref="ReadClips"/> pass (empty for a clean decode).</summary>
    public IReadOnlyList<string> DecodeErrors => _decodeErrors;

    internal double[] FrameTimes { get; }

    /// <summary>
    /// Decodes every window in one ffmpeg pass and yields them in order, each as soon as its frames are in: a clip sampled
    /// exactly as <see cref="VideoFrameSampler.Sample"/> samples the window's time range, or the damage that kept it from decoding.
    /// Decoding runs ahead of the consumer by at most <see cref="TimelineOptions.Prefetch"/> windows; abandoning the enumeration
    /// stops ffmpeg.
    /// </summary>
    /// <exception cref="VideoDecodeException">ffmpeg is missing or ran out of time.</exception>
    public IEnumerable<TimelineClip> ReadClips(CancellationToken cancellationToken = default)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var ready = new BlockingCollection<TimelineClip>(_options.Prefetch);
        Exception? failure = null;
        var pass = new TimelineDecodePass(this, _planned, _sampling);
        // A dedicated thread: decoding waits on ffmpeg and on the consumer, and must not hold a pool thread meanwhile.
        var producer = new Thread(() =>
        {
            try
            {
                var session = new ToolSession(Path, _options.DecodeTimeout ?? TimeSpan.MaxValue, stop.Token);
                _decodeErrors = pass.Run(session, clip => ready.Add(clip, stop.Token));
            }
            catch (Exception e)
            {
                failure = e;
            }
            finally
            {
                ready.CompleteAdding();
            }
        }) { IsBackground = true, Name = "timeline decode" };
        producer.Start();
        try
        {
            foreach (var clip in ready.GetConsumingEnumerable(cancellationToken))
                yield return clip;
        }
        finally
        {
            stop.Cancel();
            producer.Join();
        }
        if (failure != null)
            ExceptionDispatchInfo.Throw(failure);
    }
}
