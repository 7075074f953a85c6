using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning.Timeline;

/// <summary>A window being filled during a <see cref="TimelineDecodePass"/>.</summary>
internal sealed class WindowState(PlannedWindow planned)
{
    private float[]? _pixels;
    private DamagedRange? _damage = planned.Damage;
    private int _remaining = planned.Plan?.Frames.Length ?? 0;

    /// <summary>The distinct frames (indices in the whole video) the window samples, ascending; none for a window damaged at planning.</summary>
    public int[] Frames { get; } = planned.Plan is { } plan ? plan.Frames.Select(f => plan.FirstFrame + f).ToArray() : [];

    /// <summary>Every frame came in or was found missing.</summary>
    public bool Done => _remaining == 0;

    /// <summary>Preprocesses a delivered frame into each slot showing it.</summary>
    public void Fill(int frame, byte[] rgb, VideoInfo info, VideoPreprocessor preprocessor)
    {
        _remaining--;
        if (_damage != null)
            return;
        var plan = planned.Plan!;
        _pixels ??= new float[(long)plan.Slots.Length * preprocessor.FrameLength];
        plan.Fill(Array.BinarySearch(plan.Frames, frame - plan.FirstFrame), rgb, info, preprocessor, _pixels);
    }

    /// <summary>One of the window's frames never came.</summary>
    public void Miss(DamagedRange damage)
    {
        _remaining--;
        _damage ??= damage;
        _pixels = null;
    }

    /// <summary>The finished window (call once, when <see cref="Done"/>); its pixels become the caller's.</summary>
    public TimelineClip Result(VideoTimeline timeline, VideoFrameSampler.Options sampling, VideoPreprocessor preprocessor)
    {
        if (_damage != null)
            return new TimelineClip(planned.Window, null, _damage);
        var pixels = _pixels!;
        _pixels = null;
        return new TimelineClip(planned.Window, planned.Plan!.Clip(timeline.Path, timeline.Info, pixels, preprocessor, sampling), null);
    }
}
