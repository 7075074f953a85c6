namespace Microsoft.ML.VideoCaptioning.Timeline;

/// <summary>How a long video is cut into windows (<see cref="VideoTimelineReader"/>).</summary>
public sealed record TimelineOptions
{
    /// <summary>Window length in seconds (default 4); with <see cref="Scenes"/>, longer scenes are split into equal parts no longer than this.</summary>
    public double WindowSeconds { get; init; } = 4;

    /// <summary>Seconds between window starts; null for <see cref="WindowSeconds"/> (windows that touch).</summary>
    public double? StrideSeconds { get; init; }

    /// <summary>Cut at shot changes found by ffmpeg's scene detection instead of at fixed times (costs one extra low-resolution decoding pass).</summary>
    public bool Scenes { get; init; }

    /// <summary>Scene-change score (ffmpeg <c>select</c>'s <c>scene</c>, 0..1) above which a frame starts a new scene.</summary>
    public double SceneThreshold { get; init; } = 0.3;

    /// <summary>Time allowed for probing, listing the frames and scene detection.</summary>
    public TimeSpan ProbeTimeout { get; init; } = Video.VideoProbe.DefaultTimeout;

    /// <summary>
    /// Time allowed for the decoding pass; null for no limit. The pass lasts as long as its consumer (e.g. captioning)
    /// takes to read the windows, so a limit should allow for that.
    /// </summary>
    public TimeSpan? DecodeTimeout { get; init; }

    /// <summary>Finished windows held ready ahead of the consumer while it works (decoding overlaps the consumer's work).</summary>
    public int Prefetch { get; init; } = 4;

    /// <summary>The stride in effect.</summary>
    public double Stride => StrideSeconds ?? WindowSeconds;

    internal void Validate()
    {
        if (!(WindowSeconds > 0) || !double.IsFinite(WindowSeconds))
            throw new ArgumentOutOfRangeException(nameof(WindowSeconds), "WindowSeconds must be positive.");
        if (!(Stride > 0) || !double.IsFinite(Stride))
            throw new ArgumentOutOfRangeException(nameof(StrideSeconds), "StrideSeconds must be positive.");
        if (SceneThreshold is <= 0 or >= 1 or double.NaN)
            throw new ArgumentOutOfRangeException(nameof(SceneThreshold), "SceneThreshold must be between 0 and 1.");
        ArgumentOutOfRangeException.ThrowIfLessThan(Prefetch, 1, nameof(Prefetch));
    }
}
