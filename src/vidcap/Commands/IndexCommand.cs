using System.CommandLine;
using System.Text.Json;
using Microsoft.ML.VideoCaptioning.Indexing;

namespace Microsoft.ML.VideoCaptioning.Cli.Commands;

using Command = System.CommandLine.Command;

/// <summary><c>vidcap index INPUTS --model M --out DIR</c>: a resumable index of captions, embeddings and visual prefixes.</summary>
public static class IndexCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create()
    {
        var inputs = new Argument<string[]>("inputs") { Description = "Videos, folders of videos, or .jsonl/.csv datasets", Arity = ArgumentArity.OneOrMore };
        var model = new Option<string>("--model") { Description = "Model zip written by vidcap train or vidcap demo", Required = true };
        var output = new Option<string>("--out") { Description = "Index directory (created, or resumed when it exists)", Required = true };
        var timeline = new Option<bool>("--timeline") { Description = "One entry per window of each video (with its times) instead of one per video" };
        var windows = new TimelineCaptions.WindowOptions();
        var format = new Option<string>("--format") { Description = "index, or parquet to also write entries.parquet (video, start, end, caption, confidence, embedding)", DefaultValueFactory = _ => "index" };
        var batch = new Option<int>("--batch-size") { Description = "Clips per encoder and generation call", DefaultValueFactory = _ => 8 };
        var json = CliOptions.Json();
        var device = CliOptions.Device();
        var cmd = new Command("index", "Index videos for search: per clip (or per window with --timeline) the caption, its confidence, the embedding and the visual prefix. Rerunning skips what is current.")
        {
            inputs, model, output, timeline, format, batch, json, device,
        };
        foreach (var o in windows.All) cmd.Options.Add(o);
        cmd.SetAction((p, ct) =>
        {
            string fmt = p.GetValue(format)!;
            if (fmt is not ("index" or "parquet")) throw new UsageException($"--format '{fmt}' must be index or parquet.");
            // Paths that do not exist are left to the indexer, which reports them and goes on.
            var given = p.GetValue(inputs)!;
            var videos = CliInputs.ExpandInputs(given.Where(i => File.Exists(i) || Directory.Exists(i))).Concat(given.Where(i => !File.Exists(i) && !Directory.Exists(i))).ToList();
            using var loaded = LoadedCaptioner.Load(p.GetValue(model)!, p.GetValue(device)!);
            var store = new VideoIndexStore(p.GetValue(output)!, create: true);
            var indexer = new VideoIndexer(store, loaded.Identity, loaded.Featurizer.Featurize, loaded.Generator, loaded.Sampling, new VideoIndexerOptions
            {
                BatchSize = p.GetValue(batch), Timeline = p.GetValue(timeline) ? windows.Read(p) : null,
            });
            var report = indexer.Run(videos, p.GetValue(json) ? null : Console.WriteLine, ct);
            foreach (var f in report.Failures)
                Console.Error.WriteLine($"{f.Video}: {f.Error}");
            string? parquet = null;
            if (fmt == "parquet")
                VideoIndex.Open(store.Directory).ExportParquet(parquet = Path.Combine(store.Directory, "entries.parquet"));
            if (p.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(new { report.Total, report.Indexed, report.Skipped, failed = report.Failures, report.Entries, report.DamagedWindows, report.Seconds, report.EntriesPerSecond, parquet }, Indented));
            else
                Console.WriteLine($"{report.Indexed} indexed, {report.Skipped} already current, {report.Failures.Count} failed; {report.Entries} entries at {report.EntriesPerSecond:F2}/s{(parquet != null ? $"; {parquet}" : "")}");
            return Task.FromResult(report.Failures.Count == 0 ? ExitCodes.Ok : ExitCodes.Failure);
        });
        return cmd;
    }
}
