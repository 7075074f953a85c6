namespace Microsoft.ML.VideoCaptioning.Video;

/// <summary>What ffprobe reports about a video file's (first) video stream.</summary>
public sealed class VideoInfo
{
    /// <summary>The file, as given to <see cref="VideoProbe.Probe"/>.</summary>
    public required string Path { get; init; }

    /// <summary>Container format as ffprobe names it (e.g. <c>matroska,webm</c>, <c>mov,mp4,m4a,3gp,3g2,mj2</c>, <c>gif</c>).</summary>
    public required string ContainerFormat { get; init; }

    /// <summary>Index of the video stream in the container.</summary>
    public required int StreamIndex { get; init; }

    /// <summary>Codec name (e.g. <c>vp9</c>, <c>h264</c>, <c>gif</c>).</summary>
    public required string Codec { get; init; }

    /// <summary>Pixel format of the decoded stream (e.g. <c>yuv420p</c>); empty when ffprobe does not know it.</summary>
    public required string PixelFormat { get; init; }

    /// <summary>Stored frame width, before rotation.</summary>
    public required int Width { get; init; }

    /// <summary>Stored frame height, before rotation.</summary>
    public required int Height { get; init; }

    /// <summary>
    /// Clockwise rotation, in degrees (0, 90, 180 or 270), that turns a stored frame upright for display: from the
    /// stream's display matrix (ffprobe's <c>rotation</c>, which is counter-clockwise, so negated), else from the
    /// legacy <c>rotate</c> tag. Decoded frames are delivered already rotated.
    /// </summary>
    public required int Rotation { get; init; }

    /// <summary>Width of the frames as delivered (after <see cref="Rotation"/>).</summary>
    public int DisplayWidth => Rotation is 90 or 270 ? Height : Width;

    /// <summary>Height of the frames as delivered (after <see cref="Rotation"/>).</summary>
    public int DisplayHeight => Rotation is 90 or 270 ? Width : Height;

    /// <summary>Average frame rate (<c>avg_frame_rate</c>, else <c>r_frame_rate</c>); 0 when unknown.</summary>
    public required double FrameRate { get; init; }

    /// <summary>Stream duration (else container duration) in seconds; null when unknown.</summary>
    public required double? DurationSeconds { get; init; }

    /// <summary>Container start time in seconds (what ffmpeg's <c>-ss</c> counts from); 0 when unknown.</summary>
    public required double StartTimeSeconds { get; init; }

    /// <summary>
    /// Number of frames: the stream's <c>nb_frames</c> when the container records it, otherwise the number of
    /// packets counted by <c>ffprobe -count_packets</c> (WebM, GIF, ...).
    /// </summary>
    public required long FrameCount { get; init; }
}
