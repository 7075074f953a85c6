using Microsoft.ML.VideoCaptioning.Features;

namespace Microsoft.ML.VideoCaptioning.Tests.Features;

/// <summary><c>--shard auto</c> resolution over environment dictionaries, and which shard owns which video.</summary>
public sealed class ShardAssignmentTests
{
    private static Dictionary<string, string> Env(params (string Name, string Value)[] vars) => vars.ToDictionary(v => v.Name, v => v.Value);

    private static Dictionary<string, string> SlurmArray(int id, int min, int max, int count, int? step = null)
    {
        var env = Env(("SLURM_ARRAY_TASK_ID", id.ToString()), ("SLURM_ARRAY_TASK_MIN", min.ToString()), ("SLURM_ARRAY_TASK_MAX", max.ToString()),
            ("SLURM_ARRAY_TASK_COUNT", count.ToString()), ("SLURM_JOB_ID", "812"));
        if (step != null) env["SLURM_ARRAY_TASK_STEP"] = step.ToString()!;
        return env;
    }

    private static (int, int) Pair(ShardAssignment s) => (s.Index, s.Count);

    private static string Fails(Func<ShardAssignment> resolve) => Assert.Throws<ShardAssignmentException>(resolve).Message;

    [Fact]
    public void KubernetesIndexWithTheCountFromTheOptionOrTheEnvironment()
    {
        var byOption = ShardAssignment.FromEnvironment(Env(("JOB_COMPLETION_INDEX", "2")), count: 3);
        Assert.Equal((2, 3, "kubernetes"), (byOption.Index, byOption.Count, byOption.Source));
        Assert.Equal((0, 5), Pair(ShardAssignment.FromEnvironment(Env(("JOB_COMPLETION_INDEX", "0"), ("VIDCAP_SHARD_COUNT", "5")))));
        Assert.Equal((0, 5), Pair(ShardAssignment.FromEnvironment(Env(("JOB_COMPLETION_INDEX", "0"), ("VIDCAP_SHARD_COUNT", "5")), 5)));
    }

    [Fact]
    public void KubernetesErrorsSayWhatToSet()
    {
        var noCount = Fails(() => ShardAssignment.FromEnvironment(Env(("JOB_COMPLETION_INDEX", "1"))));
        Assert.Contains("--shard-count", noCount);
        Assert.Contains("VIDCAP_SHARD_COUNT", noCount);
        Assert.Contains("completions", Fails(() => ShardAssignment.FromEnvironment(Env(("JOB_COMPLETION_INDEX", "3")), count: 3)));
        Assert.Contains("disagrees", Fails(() => ShardAssignment.FromEnvironment(Env(("JOB_COMPLETION_INDEX", "0"), ("VIDCAP_SHARD_COUNT", "4")), count: 3)));
        Assert.Contains("JOB_COMPLETION_INDEX='-1'", Fails(() => ShardAssignment.FromEnvironment(Env(("JOB_COMPLETION_INDEX", "-1")), count: 3)));
        Assert.Contains("VIDCAP_SHARD_COUNT='0'", Fails(() => ShardAssignment.FromEnvironment(Env(("JOB_COMPLETION_INDEX", "0"), ("VIDCAP_SHARD_COUNT", "0")))));
        Assert.Contains("at least 1", Fails(() => ShardAssignment.FromEnvironment(Env(("JOB_COMPLETION_INDEX", "0")), count: 0)));
    }

    [Theory]
    [InlineData(0, 0, 3, 4, 0)]   // --array=0-3
    [InlineData(3, 0, 3, 4, 3)]
    [InlineData(1, 1, 4, 4, 0)]   // --array=1-4: ids start at 1
    [InlineData(4, 1, 4, 4, 3)]
    [InlineData(12, 10, 14, 5, 2)] // --array=10-14
    [InlineData(7, 7, 7, 1, 0)]   // --array=7: one task
    public void SlurmTaskIdsMapFromTheirMinimum(int id, int min, int max, int count, int expected)
    {
        var s = ShardAssignment.FromEnvironment(SlurmArray(id, min, max, count));
        Assert.Equal((expected, count, "slurm"), (s.Index, s.Count, s.Source));
        Assert.Equal((expected, count), Pair(ShardAssignment.FromEnvironment(SlurmArray(id, min, max, count, step: 1), count)));
    }

    [Fact]
    public void SlurmArraysThatCannotBeMappedSafelyAreRejected()
    {
        Assert.Contains("step 2", Fails(() => ShardAssignment.FromEnvironment(SlurmArray(2, 0, 6, 4, step: 2))));      // --array=0-6:2
        Assert.Contains("contiguous", Fails(() => ShardAssignment.FromEnvironment(SlurmArray(3, 1, 7, 3))));           // --array=1,3,7
        Assert.Contains("contiguous", Fails(() => ShardAssignment.FromEnvironment(SlurmArray(5, 0, 5, 5))));           // --array=0-3,5
        Assert.Contains("outside", Fails(() => ShardAssignment.FromEnvironment(SlurmArray(9, 1, 4, 4))));
        Assert.Contains("disagrees", Fails(() => ShardAssignment.FromEnvironment(SlurmArray(1, 0, 3, 4), count: 8)));
        var noMin = SlurmArray(1, 0, 3, 4);
        noMin.Remove("SLURM_ARRAY_TASK_MIN");
        Assert.Contains("SLURM_ARRAY_TASK_MIN", Fails(() => ShardAssignment.FromEnvironment(noMin)));
        Assert.Contains("SLURM_ARRAY_TASK_ID='x'", Fails(() => ShardAssignment.FromEnvironment(new Dictionary<string, string>(SlurmArray(1, 0, 3, 4)) { ["SLURM_ARRAY_TASK_ID"] = "x" })));
    }

    [Fact]
    public void BothLaunchersMustAgreeAndOneMustBePresent()
    {
        var agree = SlurmArray(2, 1, 3, 3);
        agree["JOB_COMPLETION_INDEX"] = "1";
        Assert.Equal((1, 3), Pair(ShardAssignment.FromEnvironment(agree, 3)));
        agree["JOB_COMPLETION_INDEX"] = "0";
        Assert.Contains("Kubernetes says shard 0/3 but Slurm says 1/3", Fails(() => ShardAssignment.FromEnvironment(agree, 3)));
        var none = Fails(() => ShardAssignment.FromEnvironment(Env(("HOSTNAME", "node1"), ("JOB_COMPLETION_INDEX", " ")), 3));
        Assert.Contains("JOB_COMPLETION_INDEX", none);
        Assert.Contains("SLURM_ARRAY_TASK_ID", none);
        Assert.Contains("--shard i/N", none);
    }

    [Fact]
    public void ParseTakesExplicitShardsOrAuto()
    {
        var env = Env(("JOB_COMPLETION_INDEX", "1"));
        Assert.Equal((2, 4), Pair(ShardAssignment.Parse("2/4", null, env)));
        Assert.Equal((2, 4), Pair(ShardAssignment.Parse("2/4", 4, env)));
        var auto = ShardAssignment.Parse("auto", 2, env);
        Assert.Equal((1, 2, "kubernetes"), (auto.Index, auto.Count, auto.Source));
        Assert.Contains("i/N", Fails(() => ShardAssignment.Parse("4/4", null, env)));
        Assert.Contains("i/N", Fails(() => ShardAssignment.Parse("x", null, env)));
        Assert.Contains("--shard-count says 3", Fails(() => ShardAssignment.Parse("1/4", 3, env)));
    }

    [Fact]
    public void OwnershipIsTheFirst64BitsOfSha256OfTheFullPath()
    {
        // Expected values from Python: int.from_bytes(hashlib.sha256(path.encode()).digest()[:8], "big") % n
        Assert.Equal((2, 5), (ShardAssignment.OwnerOf("/data/videos/a.mp4", 3), ShardAssignment.OwnerOf("/data/videos/a.mp4", 7)));
        Assert.Equal((0, 3), (ShardAssignment.OwnerOf("/data/videos/b.webm", 3), ShardAssignment.OwnerOf("/data/videos/b.webm", 7)));
        Assert.Equal((1, 58), (ShardAssignment.OwnerOf("/data/videos/sub/c.mp4", 3), ShardAssignment.OwnerOf("/data/videos/sub/c.mp4", 1000)));
        Assert.Equal(ShardAssignment.OwnerOf("/data/videos/a.mp4", 3), ShardAssignment.OwnerOf("/data/videos/sub/../a.mp4", 3));
    }

    [Fact]
    public void EveryVideoHasExactlyOneOwnerWhateverTheListingOrder()
    {
        var videos = Enumerable.Range(0, 300).Select(i => $"/data/ssv2/{i}.webm").ToList();
        var shuffled = videos.OrderBy(v => v.GetHashCode()).Concat(videos.Take(10)).ToList();   // another order, with duplicates
        const int n = 4;
        var shards = Enumerable.Range(0, n).Select(i => new ShardAssignment(i, n)).ToList();
        var parts = shards.Select(s => s.Select(videos)).ToList();
        Assert.Equal(videos.Order(StringComparer.Ordinal), parts.SelectMany(p => p).Order(StringComparer.Ordinal));
        Assert.Equal(parts, shards.Select(s => s.Select(shuffled)));
        // a shard that sees only part of the dataset still owns exactly its videos of that part
        Assert.Equal(parts[1].Where(v => v.EndsWith("7.webm")), shards[1].Select(videos.Where(v => v.EndsWith("7.webm"))));
        Assert.All(parts, p => Assert.InRange(p.Count, 50, 100));
    }

    [Fact]
    public void FailureReportsAreNamedPerShard()
    {
        Assert.Equal("failures.json", ShardAssignment.Single.FailuresFileName);
        Assert.Equal("failures.shard-2-of-3.json", new ShardAssignment(2, 3).FailuresFileName);
        Assert.Throws<ShardAssignmentException>(() => new ShardAssignment(3, 3));
    }
}
