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
        int length = preprocessor.FrameLength;
        _pixels ??= new float[(long)plan.Slots.Length * length];
        int first = -1;
        for (int slot = 0; slot < plan.Slots.Length; slot++)
        {
            if (plan.SourceFrameIndices[slot] != frame)
                continue;
            if (first < 0)
            {
                preprocessor.Preprocess(rgb, info.DisplayHeight, info.DisplayWidth, _pixels, slot * length);
                first = slot;
            }
            else
            {
                Array.Copy(_pixels, first * length, _pixels, slot * length, length);
            }
        }
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
        var plan = planned.Plan!;
        var pixels = _pixels!;
        _pixels = null;
        for (int slot = 0; slot < plan.Slots.Length; slot++)
            if (plan.Slots[slot] < 0)
                preprocessor.WriteBlackFrame(pixels, slot * preprocessor.FrameLength);
        return new TimelineClip(planned.Window, new SampledClip
        {
            Path = timeline.Path,
            Info = timeline.Info,
            Pixels = pixels,
            FrameCount = sampling.FrameCount,
            Height = sampling.CropSize,
            Width = sampling.CropSize,
            ValidMask = plan.Slots.Select(s => s >= 0).ToArray(),
            SourceFrameIndices = plan.SourceFrameIndices,
        }, null);
    }
}
