using System.CommandLine;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning.Cli.Commands;

using Command = System.CommandLine.Command;

/// <summary>
/// <c>vidcap caption</c>: caption videos with a trained model zip, one caption per clip, or with <c>--timeline</c> window by
/// window (<see cref="TimelineCaptions"/>).
/// </summary>
public static class CaptionCommand
{
    private sealed class VideoInput
    {
        public string VideoPath { get; set; } = "";
    }

    public static Command Create()
    {
        var inputs = new Argument<string[]>("videos") { Description = "Videos (or folders, .jsonl/.csv datasets) to caption", Arity = ArgumentArity.OneOrMore };
        var model = new Option<string>("--model") { Description = "Model zip written by vidcap train or vidcap demo", Required = true };
        var overlay = new Option<string?>("--overlay") { Description = "Write the clip with its caption drawn on (OUT.gif; a folder when captioning several videos)" };
        var encoder = new Option<string?>("--encoder") { Description = "Use this encoder directory instead of the one recorded in the model" };
        var lm = new Option<string?>("--language-model") { Description = "Use this language-model directory instead of the recorded one" };
        var noVerify = new Option<bool>("--no-verify") { Description = "Accept frozen models whose hashes differ from the recorded ones" };
        var timeline = new Option<bool>("--timeline") { Description = "Caption long videos window by window: merged segments as a table or --json, --srt and --vtt subtitles" };
        var timelineOptions = new TimelineCaptions();
        var json = CliOptions.Json();
        var device = CliOptions.Device();
        var cmd = new Command("caption", "Caption videos with a trained model (one caption per clip, or per window with --timeline); a video that is missing or fails is reported and the others still get captions.")
        {
            inputs, model, overlay, encoder, lm, noVerify, timeline, json, device,
        };
        foreach (var o in timelineOptions.All) cmd.Options.Add(o);
        cmd.SetAction((p, ct) =>
        {
            bool byWindow = p.GetValue(timeline);
            if (!byWindow && timelineOptions.FirstGiven(p) is { } stray) throw new UsageException($"{stray} goes with --timeline.");
            if (byWindow && p.GetValue(overlay) != null) throw new UsageException("--overlay draws one caption on a clip; with --timeline write subtitles (--srt, --vtt).");
            var ml = new MLContext { GpuDeviceId = CliOptions.GpuId(p.GetValue(device)!) };
            var output = new List<object>();
            int failed = 0;
            var videos = new List<string>();
            foreach (var input in p.GetValue(inputs)!)
            {
                if (File.Exists(input) || Directory.Exists(input)) videos.AddRange(CliInputs.ExpandInputs([input]));
                else
                {
                    failed++;
                    Console.Error.WriteLine($"{input}: not found");
                    output.Add(new { video = input, error = "not found" });
                }
            }
            using var failures = new VideoFailureLog(ml);
            if (videos.Count > 0)
            {
                using var loaded = (IDisposable)ml.VideoCaptioning().LoadModel(p.GetValue(model)!, out _, new VideoCaptioningLoadOptions
                {
                    EncoderPath = p.GetValue(encoder), LanguageModelPath = p.GetValue(lm), SkipFrozenModelVerification = p.GetValue(noVerify),
                });
                var captioner = (ITransformer)loaded;
                failed += byWindow ? timelineOptions.Run(ml, captioner, videos, p, p.GetValue(json), output, ct)
                    : CaptionClips(ml, captioner, videos, p.GetValue(overlay), p.GetValue(json), failures, output, ct);
            }
            if (p.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(output, CliOptions.Indented));
            int total = output.Count;
            return Task.FromResult(failed == 0 ? ExitCodes.Ok : failed == total ? ExitCodes.BadInput : ExitCodes.Failure);
        });
        return cmd;
    }

    /// <summary>One caption per video; a video that fails is named with its reason. Returns the number that failed.</summary>
    private static int CaptionClips(MLContext ml, ITransformer captioner, IReadOnlyList<string> videos, string? overlayPath, bool json,
        VideoFailureLog failures, List<object> output, CancellationToken ct)
    {
        var scored = captioner.Transform(ml.Data.LoadFromEnumerable(videos.Select(v => new VideoInput { VideoPath = v }).ToList()));
        var captions = scored.GetColumn<string>("Caption").ToList();
        int failed = 0;
        for (int i = 0; i < videos.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            if (string.IsNullOrEmpty(captions[i]))
            {
                failed++;
                var err = failures.Take(videos[i]) ?? "could not be captioned";
                Console.Error.WriteLine($"{videos[i]}: failed: {err}");
                output.Add(new { video = videos[i], error = err });
                continue;
            }
            output.Add(new { video = videos[i], caption = captions[i] });
            if (!json) Console.WriteLine($"{videos[i]}\t{captions[i]}");
            if (overlayPath != null)
            {
                var target = videos.Count == 1 && !Directory.Exists(overlayPath) ? overlayPath
                    : Path.Combine(Directory.CreateDirectory(overlayPath).FullName, Path.GetFileNameWithoutExtension(videos[i]) + ".gif");
                CaptionOverlay.Write(videos[i], captions[i], target);
            }
        }
        return failed;
    }
}
