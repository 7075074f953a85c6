using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning.Pipeline;

/// <summary>Value of a frames column: the video path and its sampled clip, decoded on first access.</summary>
public sealed class VideoFrames
{
    private readonly Lazy<SampledClip> _clip;

    public VideoFrames(string videoPath, Func<SampledClip> decode, VideoFrameSampler.Options? samplerOptions = null)
    {
        VideoPath = videoPath;
        SamplerOptions = samplerOptions;
        _clip = new Lazy<SampledClip>(decode, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public string VideoPath { get; }

    /// <summary>How the frames are sampled (part of the feature-cache key).</summary>
    public VideoFrameSampler.Options? SamplerOptions { get; }

    /// <summary>The sampled, preprocessed frames (decodes the video the first time; throws <see cref="VideoDecodeException"/>).</summary>
    public SampledClip Clip => _clip.Value;

    public override string ToString() => $"Frames({VideoPath})";
}

/// <summary>
/// Value of a features column: the encoder features (N, hidden) of one video, read from the feature cache or held in
/// memory (float16). <see cref="Load"/> returns a new float32 tensor owned by the caller (or its scope).
/// </summary>
public sealed class VisualFeatures
{
    private readonly Func<Tensor> _load;

    public VisualFeatures(string? videoPath, Func<Tensor> load)
    {
        VideoPath = videoPath;
        _load = load;
    }

    private VisualFeatures(string? videoPath, Exception error)
    {
        VideoPath = videoPath;
        Error = error;
        _load = () => throw error;
    }

    /// <summary>A row whose video could not be featurized: trainers skip it, predictions report the error.</summary>
    public static VisualFeatures Failed(string? videoPath, Exception error) => new(videoPath, error);

    public string? VideoPath { get; }

    /// <summary>Why the features could not be computed (e.g. a corrupt video), or null.</summary>
    public Exception? Error { get; }

    public Tensor Load() => _load();

    /// <summary>Wraps a tensor kept in memory as float16 (the tensor is copied; the original stays the caller's).</summary>
    public static VisualFeatures InMemory(string? videoPath, Tensor features)
    {
        var kept = features.To(Device.Cpu, DType.Float16).DetachFromScope().TrackMemoryPressure();
        return new VisualFeatures(videoPath, () => kept.To(DType.Float32));
    }

    public override string ToString() => $"Features({VideoPath})";
}
