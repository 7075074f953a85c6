using System.CommandLine;
using System.Globalization;
using Microsoft.ML.VideoCaptioning.Subtitles;
using Microsoft.ML.VideoCaptioning.Timeline;
using Microsoft.ML.VideoCaptioning.Video;
using Spectre.Console;

namespace Microsoft.ML.VideoCaptioning.Cli.Commands;

/// <summary>
/// <c>vidcap caption VIDEO… --model M --timeline</c>: captions of long videos window by window
/// (<see cref="VideoCaptioningCatalog.CaptionTimeline(ITransformer, string, TimelineOptions?, int, CancellationToken)"/>),
/// as a table, JSON, SRT and WebVTT.
/// </summary>
internal sealed class TimelineCaptions
{
    /// <summary>How windows are cut; shared by <c>caption --timeline</c> and <c>index --timeline</c>.</summary>
    internal sealed class WindowOptions
    {
        public Option<double> Window { get; } = new("--window") { Description = "Window length in seconds (with --timeline)", DefaultValueFactory = _ => 4 };
        public Option<double?> Stride { get; } = new("--stride") { Description = "Seconds between window starts (default: the window length)" };
        public Option<bool> Scenes { get; } = new("--scenes") { Description = "Cut at shot changes (ffmpeg scene detection); longer scenes are split" };

        public IEnumerable<Option> All => [Window, Stride, Scenes];

        public TimelineOptions Read(ParseResult p) => new() { WindowSeconds = p.GetValue(Window), StrideSeconds = p.GetValue(Stride), Scenes = p.GetValue(Scenes) };
    }

    public WindowOptions Windows { get; } = new();
    public Option<string?> Srt { get; } = new("--srt") { Description = "With --timeline: write SubRip subtitles (a file; a folder when captioning several videos)" };
    public Option<string?> Vtt { get; } = new("--vtt") { Description = "With --timeline: write WebVTT subtitles (a file; a folder when captioning several videos)" };
    public Option<int> BatchSize { get; } = new("--batch-size") { Description = "With --timeline: windows per encoder and generation call", DefaultValueFactory = _ => 8 };

    /// <summary>The options that only mean something with <c>--timeline</c>.</summary>
    public IEnumerable<Option> All => Windows.All.Concat([Srt, Vtt, BatchSize]);

    /// <summary>The first of <see cref="All"/> given on the command line, if any.</summary>
    public string? FirstGiven(ParseResult p) => All.FirstOrDefault(o => p.GetResult(o) is { Implicit: false })?.Name;

    /// <summary>
    /// Captions each video's timeline; a video that is missing or unreadable is named on stderr and in the JSON, and the
    /// others still get captions. Returns the number of videos that failed.
    /// </summary>
    public int Run(MLContext ml, ITransformer model, IReadOnlyList<string> videos, ParseResult p, bool json, List<object> output, CancellationToken ct)
    {
        var options = Windows.Read(p);
        int failed = 0;
        foreach (string video in videos)
        {
            TimelineResult result;
            try
            {
                result = ml.VideoCaptioning().CaptionTimeline(model, video, options, p.GetValue(BatchSize), ct);
            }
            catch (VideoDecodeException e)
            {
                failed++;
                string message = e.Reason == VideoDecodeReason.FileNotFound ? "not found" : e.Message;
                Console.Error.WriteLine($"{video}: {message}");
                output.Add(new { video, error = message });
                continue;
            }
            WriteSubtitles(p.GetValue(Srt), video, videos.Count, result, SubtitleFormat.Srt);
            WriteSubtitles(p.GetValue(Vtt), video, videos.Count, result, SubtitleFormat.WebVtt);
            output.Add(new { video, duration = result.DurationSeconds, segments = result.Segments, damaged = result.Damage, errors = result.DecodeErrors });
            if (!json) Print(result);
        }
        return failed;
    }

    private static void WriteSubtitles(string? target, string video, int videoCount, TimelineResult result, SubtitleFormat format)
    {
        if (target == null) return;
        string path = videoCount == 1 && !Directory.Exists(target) ? target
            : Path.Combine(Directory.CreateDirectory(target).FullName, Path.GetFileNameWithoutExtension(video) + (format == SubtitleFormat.Srt ? ".srt" : ".vtt"));
        SubtitleWriter.WriteFile(path, TimelineSegment.ToCues(result.Segments), format);
    }

    private static void Print(TimelineResult result)
    {
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(result.VideoPath)}[/] ({Time(result.DurationSeconds)}, {result.Windows.Count} windows)");
        var table = new Table().AddColumns("start", "end", "caption", "confidence");
        foreach (var s in result.Segments)
            table.AddRow(Time(s.Start), Time(s.End), Markup.Escape(s.Caption ?? $"(damaged: {s.Damage?.Reason})"), s.Confidence?.ToString("F3", CultureInfo.InvariantCulture) ?? "-");
        AnsiConsole.Write(table);
        foreach (var d in result.Damage)
            Console.Error.WriteLine($"{result.VideoPath}: damaged between {Time(d.Start)} and {Time(d.End)}: {d.Reason}");
    }

    /// <summary>Seconds as h:mm:ss.fff.</summary>
    internal static string Time(double seconds) => TimeSpan.FromSeconds(seconds).ToString(@"h\:mm\:ss\.fff", CultureInfo.InvariantCulture);
}
