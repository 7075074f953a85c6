namespace Microsoft.ML.VideoCaptioning.Video;

/// <summary>
/// Locates the <c>ffmpeg</c> and <c>ffprobe</c> executables: the path in <c>VIDCAP_FFMPEG</c> /
/// <c>VIDCAP_FFPROBE</c> when set, otherwise the first match on <c>PATH</c>. Looked up on every use, so a changed
/// environment takes effect at once.
/// </summary>
internal static class MediaTools
{
    /// <summary>Environment variable holding the path of the ffmpeg executable.</summary>
    public const string FFmpegVariable = "VIDCAP_FFMPEG";

    /// <summary>Environment variable holding the path of the ffprobe executable.</summary>
    public const string FFprobeVariable = "VIDCAP_FFPROBE";

    /// <summary>Full path of ffmpeg; throws <see cref="VideoDecodeReason.ToolMissing"/> when absent.</summary>
    public static string FFmpeg(string videoPath) => Resolve("ffmpeg", FFmpegVariable, videoPath);

    /// <summary>Full path of ffprobe; throws <see cref="VideoDecodeReason.ToolMissing"/> when absent.</summary>
    public static string FFprobe(string videoPath) => Resolve("ffprobe", FFprobeVariable, videoPath);

    /// <summary>The exception for a tool that cannot be found or started.</summary>
    public static VideoDecodeException Missing(string tool, string detail, string videoPath, Exception? inner = null)
    {
        string variable = tool == "ffmpeg" ? FFmpegVariable : FFprobeVariable;
        return new VideoDecodeException(VideoDecodeReason.ToolMissing, videoPath,
            $"Cannot read video '{videoPath}': {detail}. Install FFmpeg (Debian/Ubuntu: 'apt-get install ffmpeg'), " +
            $"or set {FFmpegVariable} and {FFprobeVariable} to the paths of the ffmpeg and ffprobe executables " +
            $"({variable} is the one needed here).", inner);
    }

    private static string Resolve(string tool, string variable, string videoPath)
    {
        string? configured = Environment.GetEnvironmentVariable(variable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return File.Exists(configured)
                ? configured
                : throw Missing(tool, $"{variable} is set to '{configured}', which does not exist", videoPath);
        }
        string fileName = OperatingSystem.IsWindows() ? tool + ".exe" : tool;
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(directory, fileName);
            if (File.Exists(candidate))
                return candidate;
        }
        throw Missing(tool, $"'{tool}' was not found on PATH and {variable} is not set", videoPath);
    }
}
