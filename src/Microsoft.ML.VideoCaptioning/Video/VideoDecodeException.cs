namespace Microsoft.ML.VideoCaptioning.Video;

/// <summary>
/// A video could not be probed or decoded. <see cref="Reason"/> says why; the message names the file and what
/// to do about it.
/// </summary>
public sealed class VideoDecodeException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="reason">Why the video could not be read.</param>
    /// <param name="path">The video file.</param>
    /// <param name="message">Full message, naming the file and the remedy.</param>
    /// <param name="innerException">The underlying exception, if any.</param>
    public VideoDecodeException(VideoDecodeReason reason, string path, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Reason = reason;
        Path = path;
    }

    /// <summary>Why the video could not be read.</summary>
    public VideoDecodeReason Reason { get; }

    /// <summary>The video file.</summary>
    public string Path { get; }
}
