using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning.Features;

/// <summary>Settings of <see cref="FeaturizeJob"/>.</summary>
public sealed record FeaturizeJobOptions
{
    /// <summary>
    /// Process only the videos that shard <c>Index</c> of <c>Count</c> owns (<see cref="ShardAssignment.OwnerOf"/>: a hash
    /// of the video's full path): split a dataset across machines.
    /// </summary>
    public (int Index, int Count) Shard { get; init; } = (0, 1);
    /// <summary>Storage type of cached features (float16 like the seed, or bfloat16).</summary>
    public DType StorageType { get; init; } = DType.Float16;
    /// <summary>Videos decoded in parallel while the encoder runs (0 = number of cores).</summary>
    public int DecodeParallelism { get; init; }
}

/// <summary>Progress of a featurization run.</summary>
public sealed record FeaturizeProgress(int Total, int Done, int Skipped, int Failed, double ClipsPerSecond, TimeSpan? Eta, string? Current);

/// <summary>What a featurization run did; failures name the video and the reason.</summary>
public sealed record FeaturizeReport(int Total, int Computed, int Skipped, int Failed, IReadOnlyList<FeaturizeFailure> Failures, double Seconds)
{
    public double ClipsPerSecond => Computed / Math.Max(1e-9, Seconds);
}

public sealed record FeaturizeFailure(string Video, string Error);

/// <summary>
/// Fills a <see cref="FeatureCache"/> for a list of videos: skips what is valid, recomputes what is stale, decodes in
/// parallel while the encoder runs, records failed videos and goes on. Re-running after an interruption continues where
/// it stopped (every finished video is already on disk).
/// </summary>
public static class FeaturizeJob
{
    public static FeaturizeReport Run(IReadOnlyList<string> videos, VJepaFeaturizer featurizer, VideoFrameSampler.Options sampling,
        FeatureCache cache, FeaturizeJobOptions? options = null, IProgress<FeaturizeProgress>? progress = null, CancellationToken cancellation = default)
    {
        var o = options ?? new FeaturizeJobOptions();
        if (o.Shard.Count < 1 || o.Shard.Index < 0 || o.Shard.Index >= o.Shard.Count)
            throw new ArgumentException($"Shard {o.Shard.Index}/{o.Shard.Count} is invalid: use i/N with 0 ≤ i < N.");
        if (sampling.CropSize != featurizer.CropSize)
            throw new ArgumentException($"Sampling crop {sampling.CropSize} differs from the encoder's crop_size {featurizer.CropSize}.");
        var mine = new ShardAssignment(o.Shard.Index, o.Shard.Count).Select(videos);
        string encoderId = featurizer.EncoderIdentity;
        string prep = VJepaFeaturizer.DescribePreprocessing(sampling);
        var todo = mine.Where(v => cache.Check(v, encoderId, prep).State != CacheEntryState.Valid).ToList();
        int skipped = mine.Count - todo.Count, done = 0;
        var failures = new List<FeaturizeFailure>();
        var clock = Stopwatch.StartNew();
        void Report(string? current)
        {
            double rate = done / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
            int left = todo.Count - done - failures.Count;
            progress?.Report(new FeaturizeProgress(mine.Count, done + skipped, skipped, failures.Count, rate, done > 0 ? TimeSpan.FromSeconds(left / rate) : null, current));
        }
        Report(null);
        foreach (var r in Encode(todo, featurizer, sampling, o.DecodeParallelism, cancellation))
        {
            if (r.Error != null)
            {
                failures.Add(new FeaturizeFailure(r.Video, r.Error));
                Report(r.Video);
                continue;
            }
            using (r.Features)
                Write(cache, r.Clip!, r.Features!, encoderId, prep, o.StorageType);
            done++;
            Report(r.Video);
            cancellation.ThrowIfCancellationRequested();
        }
        return new FeaturizeReport(mine.Count, done, skipped, failures.Count, failures, clock.Elapsed.TotalSeconds);
    }

    /// <summary>One video's result in <see cref="Encode"/>: its clip and features (owned by the caller), or its error.</summary>
    public sealed record EncodedVideo(string Video, SampledClip? Clip, Tensor? Features, string? Error);

    /// <summary>
    /// Decodes <paramref name="videos"/> (several at a time, while the encoder runs) and encodes them in the featurizer's
    /// batches. A video that cannot be decoded yields its error and the others go on. The one place where features are
    /// computed from video files: <see cref="Run"/> and the ML.NET featurizer both use it.
    /// </summary>
    public static IEnumerable<EncodedVideo> Encode(IReadOnlyList<string> videos, VJepaFeaturizer featurizer, VideoFrameSampler.Options sampling,
        int decodeParallelism = 0, CancellationToken cancellation = default)
    {
        var failed = new Queue<EncodedVideo>();
        var clips = new VideoFrameSampler(sampling).SampleMany(videos, decodeParallelism, cancellation)
            .Where(r =>
            {
                if (!r.Succeeded) failed.Enqueue(new EncodedVideo(r.Path, null, null, r.Error!.Message));
                return r.Succeeded;
            })
            .Select(r => r.Clip!);
        foreach (var (clip, features) in featurizer.FeaturizeAll(clips))
        {
            while (failed.Count > 0) yield return failed.Dequeue();
            yield return new EncodedVideo(clip.Path, clip, features, null);
        }
        while (failed.Count > 0) yield return failed.Dequeue();
    }

    /// <summary>Writes one video's features to the cache with the clip's frame counts as metadata.</summary>
    public static void Write(FeatureCache cache, SampledClip clip, Tensor features, string encoderIdentity, string preprocessing, DType storage) =>
        cache.Write(clip.Path, features, encoderIdentity, preprocessing, storage, new Dictionary<string, string>
        {
            ["vidcap.frame_count"] = clip.FrameCount.ToString(),
            ["vidcap.valid_frames"] = clip.ValidMask.Count(v => v).ToString(),
            ["vidcap.video_frames"] = clip.Info.FrameCount.ToString(),
        });

    /// <summary>
    /// Writes the failures as JSON (atomically, through a temporary name unique to this host and process, so writers
    /// sharing a network volume never collide) so a long run's problems can be reviewed.
    /// </summary>
    public static void WriteFailures(string path, FeaturizeReport report)
    {
        var full = Path.GetFullPath(path);
        var tmp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.MachineName}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllText(tmp, JsonSerializer.Serialize(report.Failures, new JsonSerializerOptions { WriteIndented = true }));
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            File.Delete(tmp);
        }
    }

    /// <summary>The failures recorded in a report written by <see cref="WriteFailures"/>.</summary>
    public static IReadOnlyList<FeaturizeFailure> ReadFailures(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<List<FeaturizeFailure>>(File.ReadAllText(path)) ?? [];
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a failure report written by vidcap featurize ({e.Message}); delete it and rerun the shard.", e);
        }
    }
}
