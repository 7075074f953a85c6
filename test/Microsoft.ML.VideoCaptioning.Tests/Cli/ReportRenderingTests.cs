using System.Diagnostics;
using Microsoft.ML.VideoCaptioning.Cli.Demo;
using Microsoft.ML.VideoCaptioning.Data;
using Microsoft.ML.VideoCaptioning.Training;

namespace Microsoft.ML.VideoCaptioning.Tests.Cli;

/// <summary>A fact that needs Debian's chromium; skipped (with the reason) where it is not installed.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public const string Chromium = "/usr/bin/chromium";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(Chromium)) Skip = "chromium is not installed (apt-get install chromium; ./build.sh test installs it)";
    }
}

public sealed class ReportRenderingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vidcap-report-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string WriteReport()
    {
        var clips = SyntheticWorld.Generate(Path.Combine(_dir, "data"), new SyntheticWorldOptions { Count = 4, MinFrames = 6, MaxFrames = 6, MinSize = 64, MaxSize = 64 });
        var rows = DatasetLoaders.Jsonl(Path.Combine(_dir, "data", "train.jsonl")).ToList();
        var predictions = rows.Select((r, i) => i == 0 ? r.Captions[0] : "a <b>red</b> circle & \"quotes\"").ToList();
        var metrics = new Dictionary<string, double> { ["CIDEr"] = 1.5, ["baseline_CIDEr"] = 0.5, ["accuracy_color"] = 0.75, ["seconds"] = 12 };
        var history = new List<EpochSummary> { new(0, 3.0, 3.2, null, true), new(1, 1.5, 1.9, null, true), new(2, 0.9, 1.4, null, true) };
        // a timeline strip of two windows, thumbnails made by ffmpeg
        Directory.CreateDirectory(Path.Combine(_dir, "timeline"));
        foreach (var (name, colour) in new[] { ("w000.png", "red"), ("w001.png", "blue") })
        {
            using var ffmpeg = Process.Start(new ProcessStartInfo("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", $"color=c={colour}:s=128x128", "-frames:v", "1", Path.Combine(_dir, "timeline", name)]))!;
            ffmpeg.WaitForExit();
        }
        DemoTimelineWindow[] strip =
        [
            new(0, 4, "a red circle moving up", "a red circle moving up", "timeline/w000.png"),
            new(4, 8, "a <i>blue</i> square & more", "a blue square moving down", "timeline/w001.png"),
        ];
        return DemoReport.Write(_dir, rows, predictions, metrics, history, clips: rows.Count, log: _ => { }, timeline: strip);
    }

    [Fact]
    public void ReportIsSelfContainedAndEscapesCaptions()
    {
        var html = File.ReadAllText(WriteReport());
        Assert.Contains("<svg", html);
        Assert.Contains("&lt;b&gt;red&lt;/b&gt; circle &amp; &quot;quotes&quot;", html);
        Assert.DoesNotContain("<script", html);
        // the timeline strip: each window's thumbnail and caption, escaped, marked right or wrong against what it shows
        Assert.Contains("<img src=\"timeline/w000.png\"", html);
        Assert.Contains("<span class=\"ok\">a red circle moving up</span>", html);
        Assert.Contains("<span class=\"bad\">a &lt;i&gt;blue&lt;/i&gt; square &amp; more</span>", html);
        Assert.Contains("4.0–8.0 s", html);
        foreach (var gif in Directory.GetFiles(Path.Combine(_dir, "gifs"), "*.gif"))
        {
            Assert.Contains($"gifs/{Path.GetFileName(gif)}", html);
            Assert.True(new FileInfo(gif).Length > 1000);
            Assert.Equal("GIF89a", System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(gif).AsSpan(0, 6)));
        }
    }

    [ChromiumFact]
    public void RendersInHeadlessChromiumWithoutConsoleErrors()
    {
        var report = WriteReport();
        var png = Path.Combine(_dir, "report.png");
        var psi = new ProcessStartInfo(ChromiumFactAttribute.Chromium,
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", $"--user-data-dir={Path.Combine(_dir, "profile")}", "--enable-logging=stderr", "--v=0",
            "--window-size=1100,1400", $"--screenshot={png}", "file://" + report,
        ]) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(120_000), "chromium did not finish within 2 minutes");
        var log = stderr.Result;
        Assert.True(File.Exists(png), "no screenshot: " + log);
        Assert.True(new FileInfo(png).Length > 20_000, "the screenshot is nearly empty");
        var consoleLines = log.Split('\n').Where(l => l.Contains("CONSOLE", StringComparison.Ordinal) || l.Contains("Failed to load resource", StringComparison.Ordinal)).ToList();
        Assert.True(consoleLines.Count == 0, "console messages: " + string.Join("\n", consoleLines));
    }
}
