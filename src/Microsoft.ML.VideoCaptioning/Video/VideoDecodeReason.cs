namespace Microsoft.ML.VideoCaptioning.Video;

/// <summary>Why a video could not be read (<see cref="VideoDecodeException.Reason"/>).</summary>
public enum VideoDecodeReason
{
    /// <summary>The file does not exist.</summary>
    FileNotFound,

    /// <summary>ffprobe cannot read the file as a media container (not a video, or damaged beyond reading).</summary>
    NotAVideo,

    /// <summary>The file is a readable media file without a video stream (e.g. audio only; cover art does not count).</summary>
    NoVideoStream,

    /// <summary>The video stream holds no frame that can be decoded (or none inside the requested time window).</summary>
    NoDecodableFrames,

    /// <summary>The decoder reported errors or delivered fewer frames than the container declares.</summary>
    CorruptData,

    /// <summary>ffmpeg or ffprobe could not be found or started.</summary>
    ToolMissing,

    /// <summary>Reading the video took longer than the configured timeout.</summary>
    Timeout,
}
