using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML.VideoCaptioning.Subtitles;
using Microsoft.ML.VideoCaptioning.Timeline;
using Microsoft.ML.VideoCaptioning.Video;
using Spectre.Console;

namespace Microsoft.ML.VideoCaptioning.Cli.Commands;

using Command = System.CommandLine.Command;

/// <summary>
/// <c>vidcap timeline VIDEO… --model M</c>: captions of long videos window by window, as a table, JSON, SRT and WebVTT
/// (what <c>vidcap caption --timeline</c> does).
/// </summary>
public static class TimelineCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The options shared by <c>timeline</c> and <c>index --timeline</c>.</summary>
    internal sealed class WindowOptions
    {
        public Option<double> Window { get; } = new("--window") { Description = "Window length in seconds", DefaultValueFactory = _ => 4 };
        public Option<double?> Stride { get; } = new("--stride") { Description = "Seconds between window starts (default: the window length)" };
        public Option<bool> Scenes { get; } = new("--scenes") { Description = "Cut at shot changes (ffmpeg scene detection); longer scenes are split" };

        public IEnumerable<Option> All => [Window, Stride, Scenes];

        public TimelineOptions Read(ParseResult p) => new() { WindowSeconds = p.GetValue(Window), StrideSeconds = p.GetValue(Stride), Scenes = p.GetValue(Scenes) };
    }

    public static Command Create()
    {
        var inputs = new Argument<string[]>("videos") { Description = "Videos to caption", Arity = ArgumentArity.OneOrMore };
        var model = new Option<string>("--model") { Description = "Model zip written by vidcap train or vidcap demo", Required = true };
        var windows = new WindowOptions();
        var srt = new Option<string?>("--srt") { Description = "Write SubRip subtitles (a file; a folder when captioning several videos)" };
        var vtt = new Option<string?>("--vtt") { Description = "Write WebVTT subtitles (a file; a folder when captioning several videos)" };
        var batch = new Option<int>("--batch-size") { Description = "Windows per encoder and generation call", DefaultValueFactory = _ => 8 };
        var json = CliOptions.Json();
        var device = CliOptions.Device();
        var cmd = new Command("timeline", "Caption long videos window by window: merged segments as a table, --json, --srt and --vtt. A video that fails is named and the others still get captions.")
        {
            inputs, model, srt, vtt, batch, json, device,
        };
        foreach (var o in windows.All) cmd.Options.Add(o);
        cmd.SetAction((p, ct) =>
        {
            var videos = p.GetValue(inputs)!;
            using var loaded = LoadedCaptioner.Load(p.GetValue(model)!, p.GetValue(device)!);
            var captioner = new TimelineCaptioner(new VideoTimelineReader(loaded.Sampling, windows.Read(p)), loaded.Featurizer, loaded.Generator, p.GetValue(batch));
            var output = new List<object>();
            int failed = 0;
            foreach (string video in videos)
            {
                TimelineResult result;
                try
                {
                    result = captioner.Caption(video, ct);
                }
                catch (VideoDecodeException e)
                {
                    failed++;
                    string message = e.Reason == VideoDecodeReason.FileNotFound ? "not found" : e.Message;
                    Console.Error.WriteLine($"{video}: {message}");
                    output.Add(new { video, error = message });
                    continue;
                }
                WriteSubtitles(p.GetValue(srt), video, videos.Length, result, SubtitleFormat.Srt);
                WriteSubtitles(p.GetValue(vtt), video, videos.Length, result, SubtitleFormat.WebVtt);
                output.Add(new { video, duration = result.DurationSeconds, segments = result.Segments, damaged = result.Damage, errors = result.DecodeErrors });
                if (!p.GetValue(json)) Print(result);
            }
            if (p.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(output, Indented));
            return Task.FromResult(failed == 0 ? ExitCodes.Ok : failed == videos.Length ? ExitCodes.BadInput : ExitCodes.Failure);
        });
        return cmd;
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

    internal static string Time(double seconds) => TimeSpan.FromSeconds(seconds).ToString(@"h\:mm\:ss\.fff", CultureInfo.InvariantCulture);
}
