using System.Diagnostics;
using System.Text.Json;

namespace Microsoft.ML.VideoCaptioning.Cli.Bench;

/// <summary>
/// Wall time of the whole <c>vidcap evaluate</c> command (process start-up, JSON, Meteor data, PTB, all metrics) on
/// MSR-VTT-sized synthetic data, optionally alternated with another vidcap build so before/after come from one run.
/// </summary>
public static class EvaluateCommandBenchmark
{
    /// <summary>MSR-VTT test split: 2,990 clips with 19–20 references each (the workload).</summary>
    public const int Items = 2990, ReferencesPerItem = 19;

    /// <summary>
    /// Writes the data set to a temporary folder and runs <c>evaluate</c> <paramref name="repeats"/> times with this
    /// build (and with <paramref name="baseline"/>, interleaved, when given); returns the medians in seconds.
    /// </summary>
    /// <param name="baseline">Path to another vidcap executable or vidcap.dll to compare with, or null.</param>
    public static (double Ours, double? Baseline, string OursScores, string? BaselineScores) Run(int repeats, string? baseline)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        var dir = Directory.CreateTempSubdirectory("vidcap-evalbench-");
        try
        {
            var (references, candidates) = EvaluationBenchmark.Generate(Items, ReferencesPerItem, 42);
            string refs = Path.Combine(dir.FullName, "refs.json"), cands = Path.Combine(dir.FullName, "cands.json");
            File.WriteAllText(refs, JsonSerializer.Serialize(references));
            File.WriteAllText(cands, JsonSerializer.Serialize(candidates.ToDictionary(kv => kv.Key, kv => new[] { kv.Value })));
            string self = Path.Combine(AppContext.BaseDirectory, "vidcap.dll");
            var ours = new List<double>();
            var theirs = new List<double>();
            string oursScores = "", baselineScores = "";
            for (int i = 0; i < repeats; i++)
            {
                (double t, oursScores) = Time(self, refs, cands);
                ours.Add(t);
                if (baseline != null)
                {
                    (t, baselineScores) = Time(baseline, refs, cands);
                    theirs.Add(t);
                }
            }
            return (Median(ours), baseline != null ? Median(theirs) : null, oursScores, baseline != null ? baselineScores : null);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static (double Seconds, string Output) Time(string vidcap, string refs, string cands)
    {
        bool dll = vidcap.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        var info = new ProcessStartInfo(dll ? "dotnet" : vidcap) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (dll) info.ArgumentList.Add(vidcap);
        foreach (var a in new[] { "evaluate", "--references", refs, "--candidates", cands, "--json" }) info.ArgumentList.Add(a);
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start '{vidcap}'.");
        var stderr = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        watch.Stop();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"'{vidcap} evaluate' exited with {process.ExitCode}: {stderr.Result}");
        return (watch.Elapsed.TotalSeconds, output.Trim());
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
