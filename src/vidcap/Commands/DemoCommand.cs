using System.CommandLine;
using System.Text.Json;
using Microsoft.ML.VideoCaptioning.Cli.Demo;
using Microsoft.ML.VideoCaptioning.Data;
using Spectre.Console;

namespace Microsoft.ML.VideoCaptioning.Cli.Commands;

using Command = System.CommandLine.Command;

/// <summary><c>vidcap demo</c> and <c>vidcap synth</c>.</summary>
public static class DemoCommand
{
    public static Command Demo()
    {
        var outDir = new Option<string>("--out") { Description = "Output folder", DefaultValueFactory = _ => Path.Combine("artifacts", "demo") };
        var clips = new Option<int>("--clips") { Description = "Synthetic clips to render", DefaultValueFactory = _ => new DemoOptions().Clips };
        var testClips = new Option<int>("--test-clips") { Description = "Of those, held-out test clips (half of held-out combinations)", DefaultValueFactory = _ => new DemoOptions().TestClips };
        var epochs = new Option<int>("--epochs") { Description = "Q-Former training epochs", DefaultValueFactory = _ => new DemoOptions().Epochs };
        var seed = new Option<int>("--seed") { Description = "Seed of the world and of training", DefaultValueFactory = _ => new DemoOptions().Seed };
        var scstEpochs = new Option<int>("--scst-epochs") { Description = "Self-critical (SCST, CIDEr-D reward) epochs after cross-entropy", DefaultValueFactory = _ => new DemoOptions().ScstEpochs };
        var scstLr = new Option<double>("--scst-lr") { Description = "Learning rate of the SCST epochs", DefaultValueFactory = _ => new DemoOptions().ScstLearningRate };
        var json = CliOptions.Json();
        var cmd = new Command("demo", "Synthetic world end to end: render → featurize (tiny V-JEPA 2) → train the Q-Former (tiny Qwen2) → evaluate on held-out combinations → report.html, metrics.json, captioner.zip.")
        {
            outDir, clips, testClips, epochs, seed, scstEpochs, scstLr, json,
        };
        cmd.SetAction((p, ct) =>
        {
            var o = new DemoOptions { OutputDirectory = p.GetValue(outDir)!, Clips = p.GetValue(clips), TestClips = p.GetValue(testClips), Epochs = p.GetValue(epochs), Seed = p.GetValue(seed),
                ScstEpochs = p.GetValue(scstEpochs), ScstLearningRate = p.GetValue(scstLr) };
            bool asJson = p.GetValue(json);
            var r = DemoRunner.Run(o, s => { if (!asJson) AnsiConsole.MarkupLine($"[grey]{DateTime.Now:HH:mm:ss}[/] {Markup.Escape(s)}"); }, ct);
            if (asJson)
            {
                Console.WriteLine(JsonSerializer.Serialize(r.Metrics));
                return Task.FromResult(ExitCodes.Ok);
            }
            var t = new Table().AddColumns("held-out metric", "value");
            foreach (var (k, v) in r.Metrics) t.AddRow(k, v.ToString("F3"));
            AnsiConsole.Write(t);
            AnsiConsole.MarkupLine($"report: [link]{Markup.Escape(r.ReportPath)}[/]\nmodel:  {Markup.Escape(r.ModelPath)}\n{r.Seconds:F0} s");
            return Task.FromResult(ExitCodes.Ok);
        });
        return cmd;
    }

    public static Command Synth()
    {
        var outDir = new Option<string>("--out") { Description = "Output folder", Required = true };
        var count = new Option<int>("--count") { Description = "Number of clips", DefaultValueFactory = _ => 240 };
        var seed = new Option<int>("--seed") { Description = "Seed", DefaultValueFactory = _ => 0 };
        var heldOut = new Option<int>("--held-out") { Description = "Colour×shape×motion combinations kept for the test split", DefaultValueFactory = _ => 8 };
        var cmd = new Command("synth", "Render synthetic clips (shapes in colours moving left/right/up/down) with captions and paraphrases; held-out combinations form the test split.")
        {
            outDir, count, seed, heldOut,
        };
        cmd.SetAction((p, ct) =>
        {
            var o = new SyntheticWorldOptions { Count = p.GetValue(count), Seed = p.GetValue(seed), HeldOutCombinations = p.GetValue(heldOut) };
            var dir = p.GetValue(outDir)!;
            IReadOnlyList<SyntheticClip> clips = [];
            AnsiConsole.Progress().AutoClear(true).Start(c =>
            {
                var task = c.AddTask("rendering", maxValue: o.Count);
                clips = SyntheticWorld.Generate(dir, o, new Progress<int>(n => task.Value = n), ct);
            });
            Console.WriteLine($"{clips.Count(c => c.Split == "train")} train and {clips.Count(c => c.Split == "test")} test clips in {dir} (train.jsonl, test.jsonl)");
            return Task.FromResult(ExitCodes.Ok);
        });
        return cmd;
    }
}
