namespace Microsoft.ML.VideoCaptioning.Features;

/// <summary>A cache entry that featurization would recompute, and why.</summary>
public sealed record StaleEntry(string Video, string Reason);

/// <summary>
/// How far a (possibly shared, sharded) feature cache is for a list of videos: each video is <b>done</b> (valid entry),
/// <b>failed</b> (no valid entry, and named in a failure report of the cache: <c>failures.json</c> or
/// <c>failures.shard-I-of-N.json</c>), <b>stale</b> (an entry written with another encoder, other preprocessing or from
/// an older version of the video) or <b>missing</b>. Temporary files are writes in progress, or left by killed writers.
/// </summary>
public sealed record FeatureCacheStatus(
    IReadOnlyList<string> Done, IReadOnlyList<FeaturizeFailure> Failed, IReadOnlyList<StaleEntry> Stale, IReadOnlyList<string> Missing,
    IReadOnlyList<string> FailureReports, int TemporaryFiles)
{
    /// <summary>Distinct videos examined.</summary>
    public int Total => Done.Count + Failed.Count + Stale.Count + Missing.Count;

    /// <summary>Whether every video has valid features.</summary>
    public bool Complete => Done.Count == Total;

    /// <summary>The failure reports in a cache directory, in ordinal order.</summary>
    public static IReadOnlyList<string> FindFailureReports(string cacheDirectory) =>
        Directory.EnumerateFiles(cacheDirectory, "failures*.json")
            .Where(f => Path.GetFileName(f) is "failures.json" || Path.GetFileName(f).StartsWith("failures.shard-", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();

    /// <summary>Examines the cache entry of every video (the metadata only; features are not read).</summary>
    public static FeatureCacheStatus Compute(IEnumerable<string> videos, FeatureCache cache, string encoderIdentity, string preprocessing)
    {
        var reports = FindFailureReports(cache.Directory);
        var recorded = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var report in reports)
            foreach (var f in FeaturizeJob.ReadFailures(report))
                recorded[Path.GetFullPath(f.Video)] = f.Error;
        List<string> done = [], missing = [];
        List<FeaturizeFailure> failed = [];
        List<StaleEntry> stale = [];
        foreach (var video in videos.Select(Path.GetFullPath).Distinct().Order(StringComparer.Ordinal))
        {
            var (state, reason) = cache.Check(video, encoderIdentity, preprocessing);
            if (state == CacheEntryState.Valid) done.Add(video);
            else if (recorded.TryGetValue(video, out var error)) failed.Add(new FeaturizeFailure(video, error));
            else if (state == CacheEntryState.Stale) stale.Add(new StaleEntry(video, reason ?? "stale"));
            else missing.Add(video);
        }
        int temporary = Directory.EnumerateFiles(cache.Directory, ".*.tmp").Count();
        return new FeatureCacheStatus(done, failed, stale, missing, reports, temporary);
    }
}
