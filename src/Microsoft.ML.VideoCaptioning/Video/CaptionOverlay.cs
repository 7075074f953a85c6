using System.Diagnostics;

namespace Microsoft.ML.VideoCaptioning.Video;

/// <summary>
/// Writes a clip with its caption drawn under the picture (ffmpeg drawtext with a Debian DejaVu font), like the seed
/// project's README GIFs. The output format follows the extension (.gif, .mp4, .webm).
/// </summary>
public static class CaptionOverlay
{
    /// <summary>Fonts tried in order (Debian's fonts-dejavu-core first).</summary>
    public static readonly string[] FontCandidates =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    ];

    /// <summary>Renders <paramref name="video"/> at <paramref name="width"/> pixels wide with <paramref name="caption"/> below it.</summary>
    public static void Write(string video, string caption, string output, int width = 320, int maxSeconds = 10)
    {
        if (!File.Exists(video)) throw new FileNotFoundException($"Video not found: {video}", video);
        var font = FontCandidates.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException("No DejaVu font found for the caption overlay: apt-get install fonts-dejavu-core.");
        var textFile = Path.GetTempFileName();
        try
        {
            File.WriteAllText(textFile, caption.ReplaceLineEndings(" "));
            int fontSize = Math.Max(10, width / 22);
            // The text file avoids any escaping of the caption; the filter's own paths use no special characters.
            string draw = $"drawtext=fontfile={font}:textfile={textFile}:fontcolor=white:fontsize={fontSize}:x=(w-text_w)/2:y=h-{fontSize * 2}+({fontSize}/2)";
            string scale = $"scale={width}:-2:flags=neighbor,pad=iw:ih+{fontSize * 2}:0:0:black,{draw}";
            string vf = output.EndsWith(".gif", StringComparison.OrdinalIgnoreCase)
                ? $"{scale},split[a][b];[a]palettegen=max_colors=64[p];[b][p]paletteuse"
                : scale;
            RunFFmpeg(video, ["-v", "error", "-y", "-t", maxSeconds.ToString(), "-i", video, "-vf", vf, "-an", output], output);
        }
        finally
        {
            File.Delete(textFile);
        }
    }

    /// <summary>Writes the frame of <paramref name="video"/> at <paramref name="seconds"/>, <paramref name="width"/> pixels wide, as an image (format from the extension, e.g. .png).</summary>
    public static void WriteThumbnail(string video, double seconds, string output, int width = 128)
    {
        if (!File.Exists(video)) throw new FileNotFoundException($"Video not found: {video}", video);
        RunFFmpeg(video, ["-v", "error", "-y", "-ss", seconds.ToString("F3", System.Globalization.CultureInfo.InvariantCulture), "-i", video,
            "-frames:v", "1", "-vf", $"scale={width}:-2:flags=neighbor", output], output);
    }

    private static void RunFFmpeg(string video, string[] arguments, string output)
    {
        var psi = new ProcessStartInfo(MediaTools.FFmpeg(video), arguments) { RedirectStandardError = true };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("ffmpeg did not start");
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"ffmpeg could not write {output}: {err.Trim()}");
    }
}
