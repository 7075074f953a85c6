namespace Microsoft.ML.VideoCaptioning.Video;

/// <summary>One video's outcome in <see cref="VideoFrameSampler.SampleMany"/>: the clip, or the error.</summary>
public sealed class VideoSampleResult
{
    /// <summary>Creates a result.</summary>
    public VideoSampleResult(int index, string path, SampledClip? clip, Exception? error)
    {
        if ((clip is null) == (error is null))
            throw new ArgumentException("Exactly one of clip and error must be given.");
        Index = index;
        Path = path;
        Clip = clip;
        Error = error;
    }

    /// <summary>Position of the video in the input sequence.</summary>
    public int Index { get; }

    /// <summary>The video file.</summary>
    public string Path { get; }

    /// <summary>The sampled clip, when sampling succeeded.</summary>
    public SampledClip? Clip { get; }

    /// <summary>Why sampling failed (usually a <see cref="VideoDecodeException"/>), when it did.</summary>
    public Exception? Error { get; }

    /// <summary>True when <see cref="Clip"/> is set.</summary>
    public bool Succeeded => Clip is not null;
}
