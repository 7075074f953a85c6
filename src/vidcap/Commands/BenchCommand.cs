using System.CommandLine;
using System.Text.Json;
using Microsoft.ML.VideoCaptioning.Cli.Bench;
using Spectre.Console;

namespace Microsoft.ML.VideoCaptioning.Cli.Commands;

using Command = System.CommandLine.Command;

/// <summary><c>vidcap bench …</c>: speed figures with a reference measured in the same run where one exists.</summary>
public static class BenchCommand
{

    public static Command Create()
    {
        var bench = new Command("bench", "Measure speed; prints a table (or JSON) with ratios against a reference measured in the same run.");
        bench.Subcommands.Add(Engine());
        var small = new Option<bool>("--small") { Description = "Skip the real-size (Qwen2-0.5B-shaped) workloads" };
        bench.Subcommands.Add(Rows("featurize", "Featurizer clips/s (tiny model) and ViT-L layer/encoder time in float32 and bfloat16 (same run) against the 20 s target", _ => ModelBench.Featurize()));
        bench.Subcommands.Add(Rows("generate", "Greedy generation tokens/s at batch 1 and 32 (tiny and Qwen2-0.5B shape)", p => ModelBench.Generate(large: !p.GetValue(small)), small));
        bench.Subcommands.Add(Rows("train", "Seconds per training sample (tiny, and the seed Q-Former over a Qwen2-0.5B shape)", p => ModelBench.Train(large: !p.GetValue(small)), small));
        var clips = new Option<string[]>("--clips") { Description = "Real clips to sample (default: none, only the generated 1080p clip)", AllowMultipleArgumentsPerToken = true };
        bench.Subcommands.Add(Rows("video", "Frame sampling clips/s: given clips and a generated 1080p clip", p => ModelBench.Video(p.GetValue(clips) ?? []), clips));
        var timelineVideo = new Option<string?>("--video") { Description = "Long video to caption (default: a generated 1280×720 H.264 video)" };
        var minutes = new Option<double>("--minutes") { Description = "Length of the generated video", DefaultValueFactory = _ => 10 };
        var timelineModel = new Option<string?>("--model") { Description = "Model zip (default: the demo's model shapes with random weights)" };
        var window = new Option<double>("--window") { Description = "Window length in seconds", DefaultValueFactory = _ => 4 };
        bench.Subcommands.Add(Rows("timeline", "Timeline captioning real-time factor on a long 720p video, and resident memory before, after and at peak",
            p => TimelineBench.Run(p.GetValue(timelineVideo), p.GetValue(minutes), p.GetValue(timelineModel), p.GetValue(window), Console.Error.WriteLine),
            timelineVideo, minutes, timelineModel, window));
        var entries = new Option<int>("--entries") { Description = "Entries in the generated index", DefaultValueFactory = _ => 10_000 };
        bench.Subcommands.Add(Rows("search", "Index search latency over a generated index (--like and --text)", p => SearchBench.Run(p.GetValue(entries), Console.Error.WriteLine), entries));
        var baseline = new Option<string?>("--baseline") { Description = "Another vidcap executable or vidcap.dll to time the same evaluate command with (before/after in one run)" };
        var repeats = new Option<int>("--repeats") { Description = "Runs of the whole evaluate command (median reported)", DefaultValueFactory = _ => 3 };
        bench.Subcommands.Add(Rows("metrics", "Caption evaluator items/s (2,000 items × 20 references) and the whole `vidcap evaluate` command at MSR-VTT size", p =>
        {
            var r = EvaluationBenchmark.Run(2000, 20, 42);
            var (ours, before, oursScores, beforeScores) = EvaluateCommandBenchmark.Run(p.GetValue(repeats), p.GetValue(baseline));
            if (beforeScores != null && beforeScores != oursScores)
                throw new InvalidOperationException($"The baseline's scores differ from this build's:\n{beforeScores}\n{oursScores}");
            return
            [
                new BenchRow($"evaluator, {r.Items} items × {r.ReferencesPerItem} refs (in process, warm)", r.ItemsPerSecond, "items/s"),
                new BenchRow($"vidcap evaluate, {EvaluateCommandBenchmark.Items} items × {EvaluateCommandBenchmark.ReferencesPerItem} refs, whole command (median)",
                    ours, "s", before, before != null ? "baseline build, same run" : null, "≤ 2.6 s"),
            ];
        }, baseline, repeats));
        bench.Subcommands.Add(Rows("tokenizer", "Qwen2 tokenizer encode MB/s and load time", _ =>
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var tok = Text.Qwen2Tokenizer.LoadDefault();
            double load = sw.Elapsed.TotalSeconds;
            return [new BenchRow("tokenizer.json load", load, "s"), new BenchRow("encode, 4 MB generated text", TokenizerBenchmark.Run(tok), "MB/s")];
        }));
        return bench;
    }

    private static Command Rows(string name, string description, Func<ParseResult, List<BenchRow>> run, params Option[] extra)
    {
        var json = CliOptions.Json();
        var cmd = new Command(name, description) { json };
        foreach (var o in extra) cmd.Options.Add(o);
        cmd.SetAction(p =>
        {
            var rows = run(p);
            if (p.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(rows, CliOptions.Indented));
                return ExitCodes.Ok;
            }
            AnsiConsole.MarkupLine($"libtorch {Markup.Escape(Microsoft.ML.VideoCaptioning.Engine.Torch.Version)}, {Microsoft.ML.VideoCaptioning.Engine.Torch.NumThreads} threads, {Environment.ProcessorCount} cores");
            var t = new Table().AddColumns("workload", "value", "unit", "target", "reference", "ratio");
            foreach (var r in rows)
                t.AddRow(Markup.Escape(r.Workload), r.Value.ToString("G4"), r.Unit, Markup.Escape(r.Target ?? "-"), r.Reference is { } v ? $"{v:G4} ({Markup.Escape(r.ReferenceName ?? "")})" : "-", r.Ratio?.ToString("F2") ?? "-");
            AnsiConsole.Write(t);
            return ExitCodes.Ok;
        });
        return cmd;
    }


    private static Command Engine()
    {
        var json = CliOptions.Json();
        var seqVit = new Option<int>("--seq-vit") { Description = "ViT-L block sequence length", DefaultValueFactory = _ => 4096 };
        var seqQwen = new Option<int>("--seq-qwen") { Description = "Qwen2 layer sequence length", DefaultValueFactory = _ => 80 };
        var repeats = new Option<int>("--repeats") { Description = "Timed repetitions (median reported)", DefaultValueFactory = _ => 3 };
        var python = new Option<string?>("--python") { Description = "Python with torch for the reference (default: /usr/bin/python3 if it imports torch)" };
        var cmd = new Command("engine", "Per-op overhead, ViT-L block forward and Qwen2-1.5B layer forward+backward vs PyTorch on the same libtorch.")
        {
            json, seqVit, seqQwen, repeats, python,
        };
        cmd.SetAction(p =>
        {
            bool asJson = p.GetValue(json);
            var r = EngineBench.Run(p.GetValue(seqVit), p.GetValue(seqQwen), p.GetValue(repeats), p.GetValue(python),
                asJson ? null : s => AnsiConsole.MarkupLine($"[grey]… {Markup.Escape(s)}[/]"));
            if (asJson)
            {
                Console.WriteLine(JsonSerializer.Serialize(r, CliOptions.Indented));
                return ExitCodes.Ok;
            }
            AnsiConsole.MarkupLine($"libtorch {r.Libtorch}, {r.Threads} intra-op threads, OMP_WAIT_POLICY={Markup.Escape(r.OmpWaitPolicy)}, OPENBLAS_CORETYPE={Markup.Escape(r.OpenblasCoretype)}");
            AnsiConsole.MarkupLine($"BLAS: {Markup.Escape(r.Blas)}");
            AnsiConsole.MarkupLine(r.Python != null ? $"reference: PyTorch via {Markup.Escape(r.Python)}" : "[yellow]no Python with torch found: no reference column (apt-get install python3-torch)[/]");
            var t = new Table().AddColumns("workload", "vidcap (C#)", "PyTorch", "ratio C#/PyTorch");
            foreach (var row in r.Rows)
                t.AddRow(Markup.Escape(row.Workload), row.OursMs.ToString("F2"), row.PyTorchMs?.ToString("F2") ?? "-", row.Ratio?.ToString("F3") ?? "-");
            AnsiConsole.Write(t);
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
