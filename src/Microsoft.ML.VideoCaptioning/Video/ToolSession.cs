using System.Diagnostics;
using System.Globalization;

namespace Microsoft.ML.VideoCaptioning.Video;

/// <summary>
/// Everything the ffprobe/ffmpeg runs for one video share: the video path, one time budget for all of them,
/// and the caller's cancellation token.
/// </summary>
internal sealed class ToolSession
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public ToolSession(string videoPath, TimeSpan timeout, CancellationToken token)
    {
        VideoPath = videoPath;
        Timeout = timeout;
        Token = token;
    }

    /// <summary>The video, as the caller named it.</summary>
    public string VideoPath { get; }

    /// <summary>The video as an ffmpeg input: an absolute <c>file:</c> URL, so that names with ':' or a leading '-' are safe.</summary>
    public string InputArgument => "file:" + Path.GetFullPath(VideoPath);

    /// <summary>Total time allowed for all runs on this video.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>The caller's cancellation token.</summary>
    public CancellationToken Token { get; }

    /// <summary>Time left of <see cref="Timeout"/>.</summary>
    public TimeSpan Remaining => Timeout - _clock.Elapsed;

    /// <summary>Starts ffmpeg with the given arguments (see <see cref="ToolProcess.Start"/> for the optional input text and line hook).</summary>
    public ToolProcess StartFFmpeg(IEnumerable<string> arguments, string? standardInput = null, Func<string, bool>? consumeLine = null) =>
        ToolProcess.Start(this, "ffmpeg", MediaTools.FFmpeg(VideoPath), arguments, standardInput, consumeLine);

    /// <summary>Runs ffprobe to completion and returns what it printed.</summary>
    public ToolOutput RunFFprobe(IEnumerable<string> arguments) => Run("ffprobe", MediaTools.FFprobe(VideoPath), arguments);

    /// <summary>Runs ffmpeg to completion and returns what it printed.</summary>
    public ToolOutput RunFFmpeg(IEnumerable<string> arguments) => Run("ffmpeg", MediaTools.FFmpeg(VideoPath), arguments);

    private ToolOutput Run(string tool, string executable, IEnumerable<string> arguments)
    {
        using var process = ToolProcess.Start(this, tool, executable, arguments);
        string text = process.ReadOutputText();
        var (exitCode, errors) = process.WaitForExit();
        return new ToolOutput(exitCode, text, errors);
    }

    /// <summary>The error for a run stopped because the budget ran out.</summary>
    public VideoDecodeException TimeoutError(string tool) =>
        new(VideoDecodeReason.Timeout, VideoPath,
            $"Reading video '{VideoPath}' took longer than the {Timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s " +
            $"limit and {tool} was stopped. Raise VideoFrameSampler.Options.Timeout for long or high-resolution videos.");
}
