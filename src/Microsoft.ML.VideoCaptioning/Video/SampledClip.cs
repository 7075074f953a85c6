namespace Microsoft.ML.VideoCaptioning.Video;

/// <summary>A preprocessed clip, ready for the V-JEPA 2 encoder (one element of <c>pixel_values_videos</c>).</summary>
public sealed class SampledClip
{
    /// <summary>The video file.</summary>
    public required string Path { get; init; }

    /// <summary>What ffprobe reported about the video.</summary>
    public required VideoInfo Info { get; init; }

    /// <summary>Normalised pixels laid out (<see cref="FrameCount"/>, 3, <see cref="Height"/>, <see cref="Width"/>), RGB, float32.</summary>
    public required float[] Pixels { get; init; }

    /// <summary>Number of frames, padding included (<see cref="VideoFrameSampler.Options.FrameCount"/>).</summary>
    public required int FrameCount { get; init; }

    /// <summary>Frame height (the crop size).</summary>
    public required int Height { get; init; }

    /// <summary>Frame width (the crop size).</summary>
    public required int Width { get; init; }

    /// <summary>
    /// Per frame: true for a frame of the video, false for a black padding frame. (The seed project's mask is
    /// the opposite: True marks padding to ignore.)
    /// </summary>
    public required bool[] ValidMask { get; init; }

    /// <summary>Per frame: its index among all frames of the video (in presentation order), −1 for padding.</summary>
    public required int[] SourceFrameIndices { get; init; }
}
