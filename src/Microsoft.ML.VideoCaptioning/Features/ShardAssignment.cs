using System.Buffers.Binary;
using System.Collections;
using System.Security.Cryptography;
using System.Text;

namespace Microsoft.ML.VideoCaptioning.Features;

/// <summary>
/// Which share of a dataset one process featurizes: shard <see cref="Index"/> of <see cref="Count"/>. A video belongs to
/// exactly one shard, decided by the video alone — the first 8 bytes of SHA-256 over its full path (UTF-8), read as a
/// big-endian integer, modulo <see cref="Count"/> — so the split does not depend on the order files are listed in, nor
/// on which other videos a process sees: two shards never own the same video even when their listings differ. Every
/// shard must see the videos under the same path (the feature cache is keyed on it too).
/// </summary>
public sealed record ShardAssignment
{
    /// <summary>Kubernetes Indexed Jobs: the pod's completion index (0 … completions − 1).</summary>
    public const string KubernetesIndexVariable = "JOB_COMPLETION_INDEX";
    /// <summary>The number of shards, for launchers that do not tell it (a Kubernetes pod does not see its Job's completions).</summary>
    public const string CountVariable = "VIDCAP_SHARD_COUNT";
    public const string SlurmIdVariable = "SLURM_ARRAY_TASK_ID";
    public const string SlurmCountVariable = "SLURM_ARRAY_TASK_COUNT";
    public const string SlurmMinVariable = "SLURM_ARRAY_TASK_MIN";
    public const string SlurmMaxVariable = "SLURM_ARRAY_TASK_MAX";
    public const string SlurmStepVariable = "SLURM_ARRAY_TASK_STEP";

    /// <summary>This shard, 0 ≤ Index &lt; Count.</summary>
    public int Index { get; }
    /// <summary>The number of shards.</summary>
    public int Count { get; }
    /// <summary>Where the numbers came from (for logs): "--shard", "kubernetes" or "slurm".</summary>
    public string Source { get; }

    public ShardAssignment(int index, int count, string source = "--shard")
    {
        if (count < 1 || index < 0 || index >= count)
            throw new ShardAssignmentException($"Shard {index}/{count} is invalid: use i/N with 0 ≤ i < N.");
        (Index, Count, Source) = (index, count, source);
    }

    /// <summary>The whole dataset in one process.</summary>
    public static ShardAssignment Single { get; } = new(0, 1);

    /// <summary>The failure report of this shard in the cache directory: <c>failures.json</c>, or <c>failures.shard-I-of-N.json</c> when sharded.</summary>
    public string FailuresFileName => Count == 1 ? "failures.json" : $"failures.shard-{Index}-of-{Count}.json";

    public override string ToString() => $"{Index}/{Count}";

    /// <summary>The shard (0 … <paramref name="count"/> − 1) that owns a video.</summary>
    public static int OwnerOf(string videoPath, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(videoPath)));
        return (int)(BinaryPrimitives.ReadUInt64BigEndian(hash) % (ulong)count);
    }

    /// <summary>Whether this shard owns the video.</summary>
    public bool Owns(string videoPath) => OwnerOf(videoPath, Count) == Index;

    /// <summary>This shard's videos: full paths, duplicates removed, in ordinal order.</summary>
    public List<string> Select(IEnumerable<string> videos) =>
        videos.Select(Path.GetFullPath).Distinct().Where(Owns).Order(StringComparer.Ordinal).ToList();

    /// <summary>
    /// Parses <c>--shard</c>: <c>i/N</c>, or <c>auto</c> to read the launcher's environment (<see cref="FromEnvironment"/>).
    /// <paramref name="count"/> (<c>--shard-count</c>), when given, must agree with N.
    /// </summary>
    public static ShardAssignment Parse(string spec, int? count, IReadOnlyDictionary<string, string> environment)
    {
        if (spec.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase)) return FromEnvironment(environment, count);
        var parts = spec.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], out var i) || !int.TryParse(parts[1], out var n) || n < 1 || i < 0 || i >= n)
            throw new ShardAssignmentException($"--shard '{spec}' must be i/N with 0 ≤ i < N (e.g. 0/4), or auto.");
        if (count is { } c && c != n) throw new ShardAssignmentException($"--shard {spec} says {n} shards but --shard-count says {c}.");
        return new ShardAssignment(i, n);
    }

    /// <summary>
    /// The shard of this process from a Kubernetes Indexed Job (<c>JOB_COMPLETION_INDEX</c>, with the count from
    /// <paramref name="count"/> or <c>VIDCAP_SHARD_COUNT</c>) or a Slurm job array (<c>SLURM_ARRAY_TASK_ID</c> − <c>SLURM_ARRAY_TASK_MIN</c>
    /// of <c>SLURM_ARRAY_TASK_COUNT</c>; the array must be one contiguous range with step 1, such as <c>--array=1-8</c>).
    /// Throws <see cref="ShardAssignmentException"/> when neither is present, a value is malformed, or the sources disagree.
    /// </summary>
    public static ShardAssignment FromEnvironment(IReadOnlyDictionary<string, string> environment, int? count = null)
    {
        var explicitCount = ExplicitCount(environment, count);
        var kubernetes = Get(environment, KubernetesIndexVariable) != null ? FromKubernetes(environment, explicitCount) : null;
        var slurm = Get(environment, SlurmIdVariable) != null ? FromSlurm(environment, explicitCount) : null;
        if (kubernetes != null && slurm != null && (kubernetes.Index, kubernetes.Count) != (slurm.Index, slurm.Count))
            throw new ShardAssignmentException($"--shard auto: Kubernetes says shard {kubernetes} but Slurm says {slurm}; unset one of " +
                $"{KubernetesIndexVariable} and {SlurmIdVariable}, or pass --shard i/N.");
        return kubernetes ?? slurm ?? throw new ShardAssignmentException(
            $"--shard auto needs a Kubernetes Indexed Job ({KubernetesIndexVariable}) or a Slurm job array ({SlurmIdVariable}), and neither " +
            "is set; run under one of them or pass --shard i/N.");
    }

    /// <summary>The process's environment variables.</summary>
    public static IReadOnlyDictionary<string, string> ProcessEnvironment() =>
        Environment.GetEnvironmentVariables().Cast<DictionaryEntry>().ToDictionary(e => (string)e.Key, e => e.Value as string ?? "");

    private static int? ExplicitCount(IReadOnlyDictionary<string, string> env, int? count)
    {
        if (count is < 1) throw new ShardAssignmentException($"--shard-count {count} must be at least 1.");
        int? fromEnv = Get(env, CountVariable) is { } s ? Integer(CountVariable, s, min: 1) : null;
        if (count != null && fromEnv != null && count != fromEnv)
            throw new ShardAssignmentException($"--shard-count {count} disagrees with {CountVariable}={fromEnv}.");
        return count ?? fromEnv;
    }

    private static ShardAssignment FromKubernetes(IReadOnlyDictionary<string, string> env, int? count)
    {
        int index = Integer(KubernetesIndexVariable, Get(env, KubernetesIndexVariable)!, min: 0);
        if (count == null)
            throw new ShardAssignmentException($"{KubernetesIndexVariable}={index} is set but not the number of shards (a pod does not see its " +
                $"Job's completions): pass --shard-count N or set {CountVariable} to the Job's spec.completions in the manifest.");
        if (index >= count)
            throw new ShardAssignmentException($"{KubernetesIndexVariable}={index} is not below the shard count {count}: " +
                "the shard count must equal the Job's spec.completions.");
        return new ShardAssignment(index, count.Value, "kubernetes");
    }

    private static ShardAssignment FromSlurm(IReadOnlyDictionary<string, string> env, int? count)
    {
        int Required(string name) => Get(env, name) is { } s ? Integer(name, s, min: 0)
            : throw new ShardAssignmentException($"{SlurmIdVariable} is set but {name} is not; is this a Slurm job array (sbatch --array)?");
        int id = Required(SlurmIdVariable), n = Required(SlurmCountVariable), min = Required(SlurmMinVariable), max = Required(SlurmMaxVariable);
        if (Get(env, SlurmStepVariable) is { } step && Integer(SlurmStepVariable, step, min: 1) != 1)
            throw new ShardAssignmentException($"The Slurm array has step {step} ({SlurmStepVariable}); task ids cannot be mapped to shards safely. " +
                "Use a contiguous range such as --array=0-" + (n - 1) + ", or pass --shard i/N.");
        if (n < 1 || max - min + 1 != n)
            throw new ShardAssignmentException($"The Slurm array is not one contiguous range (ids {min}…{max} but {n} tasks); task ids cannot be " +
                $"mapped to shards safely. Use a range such as --array={min}-{min + n - 1}, or pass --shard i/N.");
        if (id < min || id > max)
            throw new ShardAssignmentException($"{SlurmIdVariable}={id} lies outside {SlurmMinVariable}={min}…{SlurmMaxVariable}={max}.");
        if (count != null && count != n)
            throw new ShardAssignmentException($"The shard count {count} disagrees with {SlurmCountVariable}={n}.");
        return new ShardAssignment(id - min, n, "slurm");
    }

    private static string? Get(IReadOnlyDictionary<string, string> env, string name) =>
        env.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

    private static int Integer(string name, string value, int min) =>
        int.TryParse(value, System.Globalization.NumberStyles.None, null, out var v) && v >= min ? v
            : throw new ShardAssignmentException($"{name}='{value}' is not an integer ≥ {min}.");
}

/// <summary>The shard of a process cannot be determined, or is inconsistent; the message says what to set.</summary>
public sealed class ShardAssignmentException(string message) : ArgumentException(message);
