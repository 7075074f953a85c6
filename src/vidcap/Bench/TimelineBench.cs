using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.VideoCaptioning.Cli.Commands;
using Microsoft.ML.VideoCaptioning.Timeline;
using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning.Cli.Bench;

/// <summary>
/// <c>vidcap bench timeline</c>: real-time factor of timeline captioning on a long 1280×720 H.264 video (generated once
/// with ffmpeg's testsrc2 unless one is given): the decoding pass alone, then decoding + featurizing + captioning with the
/// given model or, without one, the demo's model shapes with random weights (whose captions run to the full 16 tokens,
/// the slowest case). Resident memory is printed before and after, and at its peak.
/// </summary>
public static class TimelineBench
{
    public static List<BenchRow> Run(string? video, double minutes, string? modelPath, double window, Action<string> log)
    {
        var rows = new List<BenchRow> { new("resident memory at start", Rss(), "MB") };
        string path = video ?? Generate(minutes, log);
        using var pieces = modelPath != null ? BenchCaptioner.From(LoadedCaptioner.Load(modelPath, "cpu")) : BenchCaptioner.DemoShapes(log);
        var reader = new VideoTimelineReader(pieces.Sampling, new TimelineOptions { WindowSeconds = window, Prefetch = 8 });

        var clock = Stopwatch.StartNew();
        var timeline = reader.Open(path);
        int windows = timeline.ReadClips().Count(c => c.Succeeded);
        double decode = clock.Elapsed.TotalSeconds;
        rows.Add(new($"decode pass, {windows} windows of {window:G} s × {pieces.Sampling.FrameCount} frames", timeline.DurationSeconds / decode, "× real time"));
        rows.Add(new("resident memory after the decode pass", Rss(), "MB"));

        clock.Restart();
        var result = new TimelineCaptioner(reader, pieces.Featurize, pieces.Generator, batchSize: 8).Caption(path);
        double caption = clock.Elapsed.TotalSeconds;
        rows.Add(new($"timeline captions ({pieces.Description}), {result.Segments.Count} segments", result.DurationSeconds / caption, "× real time"));
        rows.Add(new("windows captioned", result.Windows.Count / caption, "windows/s"));
        rows.Add(new("resident memory at end", Rss(), "MB"));
        rows.Add(new("resident memory, peak", Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0, "MB"));
        return rows;
    }

    private static double Rss()
    {
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64 / 1048576.0;
    }

    private static string Generate(double minutes, Action<string> log)
    {
        string path = Path.Combine(Path.GetTempPath(), string.Create(CultureInfo.InvariantCulture, $"vidcap-bench-timeline-{minutes:G}min-720p.mp4"));
        if (File.Exists(path)) return path;
        log($"generating {minutes:G} minutes of 1280×720 H.264 (testsrc2, 30 fps) → {path}");
        var info = new ProcessStartInfo(MediaToolsPath()) { RedirectStandardError = true };
        foreach (string a in new[] { "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
                     "-t", (minutes * 60).ToString(CultureInfo.InvariantCulture), "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", path + ".tmp.mp4" })
            info.ArgumentList.Add(a);
        using var ffmpeg = Process.Start(info)!;
        string errors = ffmpeg.StandardError.ReadToEnd();
        ffmpeg.WaitForExit();
        if (ffmpeg.ExitCode != 0) throw new InvalidOperationException($"ffmpeg could not make the benchmark video: {errors}");
        File.Move(path + ".tmp.mp4", path);
        return path;
    }

    private static string MediaToolsPath() => Environment.GetEnvironmentVariable("VIDCAP_FFMPEG") is { Length: > 0 } configured ? configured : "ffmpeg";
}
