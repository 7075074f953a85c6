using System.CommandLine;
using System.Text.Json;
using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Features;
using Microsoft.ML.VideoCaptioning.Models.VJepa2;
using Microsoft.ML.VideoCaptioning.Video;
using Spectre.Console;

namespace Microsoft.ML.VideoCaptioning.Cli.Commands;

using Command = System.CommandLine.Command;

/// <summary>
/// <c>vidcap featurize</c>: fills a feature cache, one shard of a dataset per process (<c>--shard i/N</c>, or
/// <c>--shard auto</c> under a Kubernetes Indexed Job or a Slurm job array); <c>--status</c> summarises the cache.
/// </summary>
public static class FeaturizeCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Create()
    {
        var inputs = new Argument<string[]>("inputs") { Description = "Videos, folders of videos, or .jsonl/.csv datasets", Arity = ArgumentArity.OneOrMore };
        var encoder = new Option<string>("--encoder") { Description = "V-JEPA 2 model directory (Hugging Face layout)", Required = true };
        var cache = new Option<string>("--cache") { Description = "Feature cache directory (may be shared by every shard, e.g. on a network volume)", Required = true };
        var frames = new Option<int>("--frames") { Description = "Frames sampled per clip", DefaultValueFactory = _ => 32 };
        var dtype = new Option<string>("--dtype") { Description = "Storage type of cached features: float16 or bfloat16", DefaultValueFactory = _ => "float16" };
        var shard = new Option<string>("--shard")
        {
            Description = "Process only shard i of N (i/N), or auto: the shard of this Kubernetes Indexed Job pod (JOB_COMPLETION_INDEX) " +
                "or Slurm array task (SLURM_ARRAY_TASK_ID)",
            DefaultValueFactory = _ => "0/1",
        };
        var shardCount = new Option<int?>("--shard-count") { Description = $"Number of shards for --shard auto in Kubernetes: the Job's completions (or set {ShardAssignment.CountVariable})" };
        var status = new Option<bool>("--status") { Description = "Summarise the cache for the inputs (done / failed / stale / missing) instead of featurizing; exit code 0 only when all are done" };
        var batch = new Option<int>("--batch-size") { Description = "Clips per encoder call", DefaultValueFactory = _ => 1 };
        var compute = new Option<string>("--compute")
        {
            Description = "Encoder compute type: auto (bfloat16 on CUDA and on CPUs with bf16 instructions, else float32), float32, bfloat16 or float16. " +
                "The cache key includes it: features computed in another type count as stale",
            DefaultValueFactory = _ => "auto",
        };
        var report = new Option<string?>("--report") { Description = "Write failed videos to this JSON file (default: <cache>/failures.json, or failures.shard-I-of-N.json for a shard)" };
        var seedSquash = new Option<bool>("--seed-squash") { Description = "Reproduce the seed's preprocessing (squash to 256×256 first)" };
        var device = CliOptions.Device();
        var json = CliOptions.Json();
        var cmd = new Command("featurize", "Encode videos with the frozen V-JEPA 2 into a feature cache (one safetensors file per video; skips done, redoes stale).")
        {
            inputs, encoder, cache, frames, dtype, shard, shardCount, status, batch, compute, report, seedSquash, device, json,
        };
        cmd.SetAction((p, ct) =>
        {
            var assignment = ShardAssignment.Parse(p.GetValue(shard)!, p.GetValue(shardCount), ShardAssignment.ProcessEnvironment());
            var videos = CliInputs.ExpandInputs(p.GetValue(inputs)!);
            if (videos.Count == 0) throw new UsageException("No videos found in the inputs.");
            var computeArg = p.GetValue(compute)!;
            DType? computeType = computeArg.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase) ? null : ParseComputeType(computeArg);
            VideoFrameSampler.Options Sampling(int crop) => new() { FrameCount = p.GetValue(frames), CropSize = crop, SeedSquashTo256 = p.GetValue(seedSquash) };
            if (p.GetValue(status))
            {
                var encoderPath = p.GetValue(encoder)!;
                var resolved = computeType ?? VJepaFeaturizer.DefaultComputeType(CliOptions.ParseDevice(p.GetValue(device)!));
                var s = FeatureCacheStatus.Compute(assignment.Select(videos), new FeatureCache(p.GetValue(cache)!),
                    VJepaFeaturizer.IdentityOf(encoderPath, resolved), VJepaFeaturizer.DescribePreprocessing(Sampling(VJepa2Config.Load(encoderPath).CropSize)));
                PrintStatus(s, assignment, p.GetValue(json));
                return Task.FromResult(s.Complete ? ExitCodes.Ok : ExitCodes.Failure);
            }
            using var featurizer = new VJepaFeaturizer(p.GetValue(encoder)!, new VJepaEncoderOptions
            {
                Device = CliOptions.ParseDevice(p.GetValue(device)!), BatchSize = p.GetValue(batch), ComputeType = computeType,
            });
            var sampling = Sampling(featurizer.CropSize);
            var cacheDir = new FeatureCache(p.GetValue(cache)!);
            var jobOptions = new FeaturizeJobOptions { Shard = (assignment.Index, assignment.Count), StorageType = DTypes.Parse(p.GetValue(dtype)!) };
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
            else r = FeaturizeJob.Run(videos, featurizer, sampling, cacheDir, jobOptions, p.GetValue(json) ? null : new ProgressLines(assignment), ct);
            var reportPath = p.GetValue(report) ?? Path.Combine(cacheDir.Directory, assignment.FailuresFileName);
            // The report describes the shard's latest run: a rerun retries every failed video.
            if (r.Failed > 0) FeaturizeJob.WriteFailures(reportPath, r);
            else File.Delete(reportPath);
            if (p.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(r));
            else
            {
                Console.WriteLine($"{r.Computed} computed in {featurizer.ComputeType.Name()}, {r.Skipped} already cached, {r.Failed} failed of {r.Total} ({r.ClipsPerSecond:F2} clips/s)");
                foreach (var f in r.Failures.Take(10)) Console.Error.WriteLine($"  failed: {f.Video}: {f.Error}");
                if (r.Failed > 0) Console.Error.WriteLine($"  all failures: {reportPath}");
            }
            return Task.FromResult(r.Failed == 0 ? ExitCodes.Ok : ExitCodes.Failure);
        });
        return cmd;
    }

    private static DType ParseComputeType(string value)
    {
        try
        {
            return DTypes.Parse(value);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--compute: {e.Message} Or auto.");
        }
    }

    private static void PrintStatus(FeatureCacheStatus s, ShardAssignment shard, bool json)
    {
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                Shard = shard.ToString(), s.Total, Done = s.Done.Count, Failed = s.Failed.Count, Stale = s.Stale.Count, Missing = s.Missing.Count,
                s.TemporaryFiles, s.FailureReports,
                FailedVideos = s.Failed.Select(f => new { f.Video, f.Error }), StaleVideos = s.Stale.Select(e => new { e.Video, e.Reason }), MissingVideos = s.Missing,
            }, Indented));
            return;
        }
        string of = shard.Count == 1 ? "" : $" (shard {shard})";
        Console.WriteLine($"{s.Total} videos{of}: {s.Done.Count} done, {s.Failed.Count} failed, {s.Stale.Count} stale, {s.Missing.Count} missing");
        foreach (var f in s.Failed.Take(10)) Console.WriteLine($"  failed: {f.Video}: {f.Error}");
        foreach (var e in s.Stale.Take(10)) Console.WriteLine($"  stale: {e.Video}: {e.Reason}");
        foreach (var m in s.Missing.Take(10)) Console.WriteLine($"  missing: {m}");
        if (s.FailureReports.Count > 0) Console.WriteLine($"  failure reports: {string.Join(", ", s.FailureReports.Select(Path.GetFileName))}");
        if (s.TemporaryFiles > 0) Console.WriteLine($"  {s.TemporaryFiles} temporary files (writes in progress, or left by killed shards: safe to delete when no shard runs)");
    }

    /// <summary>Progress as plain lines (at most one every 10 s) for logs: Kubernetes pods, Slurm output files.</summary>
    private sealed class ProgressLines(ShardAssignment shard) : IProgress<FeaturizeProgress>
    {
        private DateTime _last = DateTime.MinValue;

        private string Name => shard.Count > 1 ? $"shard {shard}" : "featurizing";

        public void Report(FeaturizeProgress p)
        {
            bool first = _last == DateTime.MinValue;
            if (!first && DateTime.UtcNow - _last < TimeSpan.FromSeconds(10)) return;
            _last = DateTime.UtcNow;
            if (first)
            {
                Console.WriteLine($"{Name}{(shard.Count > 1 ? $" ({shard.Source})" : "")}: {p.Total} videos, {p.Skipped} already cached");
                return;
            }
            string eta = p.Eta is { } e ? $", ETA {e:hh\\:mm\\:ss}" : "";
            Console.WriteLine($"{Name}: {p.Done}/{p.Total} done, {p.Failed} failed, {p.ClipsPerSecond:F2} clips/s{eta}");
        }
    }
}
