using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Globalization;
using System.Text;
using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning.Timeline;

/// <summary>
/// The single decoding pass of a <see cref="VideoTimeline"/>: one ffmpeg process whose <c>select</c> filter (read from
/// standard input, as it grows with the video) keeps exactly the frames some window samples, identified by timestamp
/// so that frames lost to damage cannot shift the others; <c>showinfo</c> logs each kept frame's timestamp on standard
/// error and the raw RGB frame follows on standard output. Each frame is preprocessed straight into the windows that use
/// it, and a window leaves as soon as its last frame is in, so memory holds only the windows in progress.
/// </summary>
internal sealed class TimelineDecodePass
{
    // Longest wait for the log line of a frame that has already arrived (ffmpeg writes the line first).
    private static readonly TimeSpan LogWait = TimeSpan.FromSeconds(30);

    private readonly VideoTimeline _timeline;
    private readonly VideoFrameSampler.Options _sampling;
    private readonly VideoPreprocessor _preprocessor;
    private readonly double[] _times;
    private readonly WindowState[] _windows;
    private readonly int[] _needed;
    private int _nextNeeded, _nextToActivate, _nextToEmit;
    private double _lastGoodTime;
    private readonly List<WindowState> _active = [];

    public TimelineDecodePass(VideoTimeline timeline, IReadOnlyList<PlannedWindow> planned, VideoFrameSampler.Options sampling)
    {
        _timeline = timeline;
        _sampling = sampling;
        _preprocessor = new VideoPreprocessor(sampling.CropSize, sampling.Uint8RoundAfterResize, sampling.SeedSquashTo256);
        _times = timeline.FrameTimes;
        _windows = planned.Select(p => new WindowState(p)).ToArray();
        _needed = _windows.SelectMany(w => w.Frames).Distinct().Order().ToArray();
    }

    /// <summary>Decodes, handing every window to <paramref name="emit"/> in order; returns what ffmpeg reported.</summary>
    public IReadOnlyList<string> Run(ToolSession session, Action<TimelineClip> emit)
    {
        IReadOnlyList<string> errors = [];
        if (_needed.Length > 0)
            errors = Decode(session, emit);
        string reason = errors.Count > 0 ? "ffmpeg reported: " + string.Join(" | ", errors.Take(3)) : "ffmpeg stopped before these frames";
        DamageUpTo(int.MaxValue, _timeline.DurationSeconds, reason);
        Emit(emit);
        return errors;
    }

    private IReadOnlyList<string> Decode(ToolSession session, Action<TimelineClip> emit)
    {
        var info = _timeline.Info;
        int frameBytes = checked(info.DisplayWidth * info.DisplayHeight * 3);
        using var log = new FrameLog(info.StartTimeSeconds);
        using var process = session.StartFFmpeg(["-nostdin", "-hide_banner", "-nostats", "-loglevel", "level+info", "-copyts", "-noautorotate",
            "-i", session.InputArgument, "-map", $"0:{info.StreamIndex}", "-filter_script:v", "pipe:0",
            "-vsync", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"], FilterScript(), log.Consume);
        // Frames are preprocessed on a second thread while the next one is read, so that ffmpeg goes on decoding meanwhile.
        using var workerFailed = CancellationTokenSource.CreateLinkedTokenSource(session.Token);
        using var frames = new BlockingCollection<(byte[] Rgb, double Time)>(boundedCapacity: 2);
        Exception? workerError = null;
        var worker = new Thread(() =>
        {
            try
            {
                foreach (var (rgb, time) in frames.GetConsumingEnumerable())
                {
                    try
                    {
                        int frame = Identify(time);
                        if (frame >= 0)
                            OnFrame(frame, rgb, emit);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(rgb);
                    }
                }
            }
            catch (Exception e)
            {
                workerError = e;
                workerFailed.Cancel();
            }
        }) { IsBackground = true, Name = "timeline preprocess" };
        worker.Start();
        try
        {
            var output = process.Output;
            while (true)
            {
                byte[] rgb = ArrayPool<byte>.Shared.Rent(frameBytes);
                if (output.ReadAtLeast(rgb.AsSpan(0, frameBytes), frameBytes, throwOnEndOfStream: false) != frameBytes)
                {
                    ArrayPool<byte>.Shared.Return(rgb);
                    break;
                }
                frames.Add((rgb, log.Next(LogWait, session.Token)), workerFailed.Token);
            }
            output.CopyTo(Stream.Null);
        }
        catch (IOException) when (process.Stopped)
        {
            // Killed for cancellation or timeout; WaitForExit reports which.
        }
        catch (OperationCanceledException) when (workerError != null)
        {
            // The worker failed; its error is thrown below.
        }
        finally
        {
            frames.CompleteAdding();
            worker.Join();
        }
        if (workerError != null)
            ExceptionDispatchInfo.Throw(workerError);
        var (exitCode, errors) = process.WaitForExit();
        return exitCode == 0 || errors.Count > 0 ? errors : [$"ffmpeg exit code {exitCode}"];
    }

    // select keeps the frames whose timestamp lies within a small tolerance of a needed frame's listed time; a balanced
    // if-tree keeps the per-frame cost logarithmic in the number of needed frames.
    private string FilterScript()
    {
        var info = _timeline.Info;
        var script = new StringBuilder("select='");
        AppendSelect(script, 0, _needed.Length);
        script.Append("',showinfo=checksum=0");
        foreach (string rotate in FrameDecoder.RotationFilters(info))
            script.Append(',').Append(rotate);
        // Same size for every frame even if the stream changes resolution; raw timestamps mean nothing in the pipe.
        script.Append(CultureInfo.InvariantCulture, $",scale={info.DisplayWidth}:{info.DisplayHeight},setpts=N/TB");
        return script.ToString();
    }

    private void AppendSelect(StringBuilder s, int lo, int hi)
    {
        if (hi - lo <= 4)
        {
            for (int i = lo; i < hi; i++)
            {
                double t = _times[_needed[i]] + _timeline.Info.StartTimeSeconds, tolerance = Tolerance(_needed[i]);
                s.Append(i > lo ? "+" : "").Append("between(t,").Append(Number(t - tolerance)).Append(',').Append(Number(t + tolerance)).Append(')');
            }
            return;
        }
        int mid = (lo + hi) / 2;
        double split = (_times[_needed[mid - 1]] + _times[_needed[mid]]) / 2 + _timeline.Info.StartTimeSeconds;
        s.Append("if(lt(t,").Append(Number(split)).Append("),");
        AppendSelect(s, lo, mid);
        s.Append(',');
        AppendSelect(s, mid, hi);
        s.Append(')');
    }

    // Listed times carry 6 decimals; neighbours must stay apart.
    private double Tolerance(int frame)
    {
        double gap = double.PositiveInfinity;
        if (frame > 0) gap = Math.Min(gap, _times[frame] - _times[frame - 1]);
        if (frame + 1 < _times.Length) gap = Math.Min(gap, _times[frame + 1] - _times[frame]);
        return Math.Max(2e-6, Math.Min(5e-4, 0.45 * gap));
    }

    private static string Number(double value) => value.ToString("0.#########", CultureInfo.InvariantCulture);

    // The listed frame a decoded timestamp belongs to, or −1.
    private int Identify(double time)
    {
        if (!double.IsFinite(time))
            return -1;
        int index = Array.BinarySearch(_times, time);
        if (index < 0)
        {
            int after = ~index;
            index = after == 0 ? 0 : after == _times.Length || time - _times[after - 1] < _times[after] - time ? after - 1 : after;
        }
        return Math.Abs(_times[index] - time) <= Tolerance(index) + 1e-6 ? index : -1;
    }

    private void OnFrame(int frame, byte[] rgb, Action<TimelineClip> emit)
    {
        if (_nextNeeded >= _needed.Length || _needed[_nextNeeded] > frame)
            return;   // not needed, or delivered twice
        if (_needed[_nextNeeded] < frame)
            DamageUpTo(frame, _times[frame], "these frames did not decode");
        var info = _timeline.Info;
        Visit(frame, window => window.Fill(frame, rgb, info, _preprocessor));
        _nextNeeded++;
        _lastGoodTime = _times[frame];
        Emit(emit);
    }

    // Needed frames before `frame` that never came: the windows using them are damaged between the last good frame and `end`.
    private void DamageUpTo(int frame, double end, string reason)
    {
        if (_nextNeeded >= _needed.Length || _needed[_nextNeeded] >= frame)
            return;
        var damage = new DamagedRange(_lastGoodTime, end, reason);
        for (; _nextNeeded < _needed.Length && _needed[_nextNeeded] < frame; _nextNeeded++)
            Visit(_needed[_nextNeeded], window => window.Miss(damage));
    }

    private void Visit(int frame, Action<WindowState> action)
    {
        while (_nextToActivate < _windows.Length && (_windows[_nextToActivate].Frames.Length == 0 || _windows[_nextToActivate].Frames[0] <= frame))
        {
            if (_windows[_nextToActivate].Frames.Length > 0)
                _active.Add(_windows[_nextToActivate]);
            _nextToActivate++;
        }
        foreach (var window in _active)
            if (Array.BinarySearch(window.Frames, frame) >= 0)
                action(window);
        _active.RemoveAll(w => w.Done);
    }

    private void Emit(Action<TimelineClip> emit)
    {
        while (_nextToEmit < _windows.Length && _windows[_nextToEmit].Done)
        {
            emit(_windows[_nextToEmit].Result(_timeline, _sampling, _preprocessor));
            _nextToEmit++;
        }
    }
}
