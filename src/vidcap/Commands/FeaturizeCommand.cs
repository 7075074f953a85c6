using System.CommandLine;
using System.Text.Json;
using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Features;
using Microsoft.ML.VideoCaptioning.Video;
using Spectre.Console;

namespace Microsoft.ML.VideoCaptioning.Cli.Commands;

/// <summary><c>vidcap featurize</c>: fills a feature cache, one shard of a dataset per process.</summary>
public static class FeaturizeCommand
{
    private static (int, int) ParseShard(string s)
    {
        var parts = s.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], out var i) && int.TryParse(parts[1], out var n) && n > 0 && i >= 0 && i < n) return (i, n);
        throw new UsageException($"--shard '{s}' must be i/N with 0 ≤ i < N, e.g. 0/4.");
    }

    public static Command Create()
    {
        var inputs = new Argument<string[]>("inputs") { Description = "Videos, folders of videos, or .jsonl/.csv datasets", Arity = ArgumentArity.OneOrMore };
        var encoder = new Option<string>("--encoder") { Description = "V-JEPA 2 model directory (Hugging Face layout)", Required = true };
        var cache = new Option<string>("--cache") { Description = "Feature cache directory", Required = true };
        var frames = new Option<int>("--frames") { Description = "Frames sampled per clip", DefaultValueFactory = _ => 32 };
        var dtype = new Option<string>("--dtype") { Description = "Storage type of cached features: float16 or bfloat16", DefaultValueFactory = _ => "float16" };
        var shard = new Option<string>("--shard") { Description = "Process only shard i of N (i/N)", DefaultValueFactory = _ => "0/1" };
        var batch = new Option<int>("--batch-size") { Description = "Clips per encoder call", DefaultValueFactory = _ => 1 };
        var compute = new Option<string>("--compute") { Description = "Encoder compute type: float32, bfloat16 or float16", DefaultValueFactory = _ => "float32" };
        var report = new Option<string?>("--report") { Description = "Write failed videos to this JSON file (default: <cache>/failures.json)" };
        var seedSquash = new Option<bool>("--seed-squash") { Description = "Reproduce the seed's preprocessing (squash to 256×256 first)" };
        var device = PipelineCommands.DeviceOption();
        var json = BenchCommand.JsonOption();
        var cmd = new Command("featurize", "Encode videos with the frozen V-JEPA 2 into a feature cache (one safetensors file per video; skips done, redoes stale).")
        {
            inputs, encoder, cache, frames, dtype, shard, batch, compute, report, seedSquash, device, json,
        };
        cmd.SetAction((p, ct) =>
        {
            var videos = PipelineCommands.ExpandInputs(p.GetValue(inputs)!);
            if (videos.Count == 0) throw new UsageException("No videos found in the inputs.");
            using var featurizer = new VJepaFeaturizer(p.GetValue(encoder)!, new VJepaFeaturizerOptions
            {
                Device = Device.Parse(p.GetValue(device)!), BatchSize = p.GetValue(batch), ComputeType = DTypes.Parse(p.GetValue(compute)!),
            });
            var sampling = new VideoFrameSampler.Options { FrameCount = p.GetValue(frames), CropSize = featurizer.CropSize, SeedSquashTo256 = p.GetValue(seedSquash) };
            var cacheDir = new FeatureCache(p.GetValue(cache)!);
            var jobOptions = new FeaturizeJobOptions { Shard = ParseShard(p.GetValue(shard)!), StorageType = DTypes.Parse(p.GetValue(dtype)!) };
            FeaturizeReport r = null!;
            if (CliRunner.Interactive && !p.GetValue(json))
                AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                    .Start(c =>
                    {
                        var task = c.AddTask("featurizing", maxValue: 1);
                        r = FeaturizeJob.Run(videos, featurizer, sampling, cacheDir, jobOptions, new Progress<FeaturizeProgress>(pr =>
                        {
                            task.MaxValue = Math.Max(1, pr.Total);
                            task.Value = pr.Done + pr.Failed;
                            task.Description = $"featurizing {pr.ClipsPerSecond:F2} clips/s, {pr.Failed} failed";
                        }), ct);
                    });
            else r = FeaturizeJob.Run(videos, featurizer, sampling, cacheDir, jobOptions, null, ct);
            var reportPath = p.GetValue(report) ?? Path.Combine(cacheDir.Directory, "failures.json");
            if (r.Failed > 0) FeaturizeJob.WriteFailures(reportPath, r);
            if (p.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(r));
            else
            {
                Console.WriteLine($"{r.Computed} computed, {r.Skipped} already cached, {r.Failed} failed of {r.Total} ({r.ClipsPerSecond:F2} clips/s)");
                foreach (var f in r.Failures.Take(10)) Console.Error.WriteLine($"  failed: {f.Video}: {f.Error}");
                if (r.Failed > 0) Console.Error.WriteLine($"  all failures: {reportPath}");
            }
            return Task.FromResult(r.Failed == 0 ? ExitCodes.Ok : ExitCodes.Failure);
        });
        return cmd;
    }
}
