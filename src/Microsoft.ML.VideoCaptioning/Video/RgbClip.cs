namespace Microsoft.ML.VideoCaptioning.Video;

/// <summary>
/// The sampled frames of a video as decoded, before any resizing: uint8 RGB at the display size (rotation
/// applied). Padding slots are left out.
/// </summary>
public sealed class RgbClip
{
    /// <summary>The video file.</summary>
    public required string Path { get; init; }

    /// <summary>What ffprobe reported about the video.</summary>
    public required VideoInfo Info { get; init; }

    /// <summary>Frame width (<see cref="VideoInfo.DisplayWidth"/>).</summary>
    public required int Width { get; init; }

    /// <summary>Frame height (<see cref="VideoInfo.DisplayHeight"/>).</summary>
    public required int Height { get; init; }

    /// <summary>
    /// The frames in sampling order, each interleaved RGB (Height, Width, 3). A frame sampled twice (frame-rate
    /// sampling faster than the video) appears twice, as the same array.
    /// </summary>
    public required IReadOnlyList<byte[]> Frames { get; init; }

    /// <summary>Per frame in <see cref="Frames"/>: its index among all frames of the video.</summary>
    public required int[] SourceFrameIndices { get; init; }
}
