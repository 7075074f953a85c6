using System.CommandLine;
using System.Text.Json;
using Microsoft.ML.VideoCaptioning.Cli.Bench;
using Spectre.Console;

namespace Microsoft.ML.VideoCaptioning.Cli.Commands;

/// <summary><c>vidcap bench …</c>: speed figures with a reference measured in the same run where one exists.</summary>
public static class BenchCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create()
    {
        var bench = new Command("bench", "Measure speed; prints a table (or JSON) with ratios against a reference measured in the same run.");
        bench.Subcommands.Add(Engine());
        return bench;
    }

    internal static Option<bool> JsonOption() => new("--json") { Description = "Print the figures as JSON" };

    private static Command Engine()
    {
        var json = JsonOption();
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
                Console.WriteLine(JsonSerializer.Serialize(r, Indented));
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
