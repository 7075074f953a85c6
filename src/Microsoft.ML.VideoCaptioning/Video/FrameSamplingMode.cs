namespace Microsoft.ML.VideoCaptioning.Video;

/// <summary>How <see cref="VideoFrameSampler"/> picks frames.</summary>
public enum FrameSamplingMode
{
    /// <summary>
    /// The seed project's rule: with n frames (in the time window) and N = <see cref="VideoFrameSampler.Options.FrameCount"/>,
    /// frame indices <c>np.linspace(0, n − 1, N).astype(int)</c> (truncated) when n ≥ N; when n &lt; N all n frames,
    /// followed by N − n black padding frames marked invalid.
    /// </summary>
    Uniform,

    /// <summary>
    /// One frame every 1/<see cref="VideoFrameSampler.Options.FramesPerSecond"/> seconds from the first frame (of the
    /// window): at each sampling time the frame shown then (the last one whose timestamp is not later), up to
    /// <see cref="VideoFrameSampler.Options.FrameCount"/> frames; remaining slots are black padding frames marked invalid.
    /// </summary>
    FrameRate,
}
