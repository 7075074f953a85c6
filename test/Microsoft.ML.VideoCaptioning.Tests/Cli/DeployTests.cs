using Microsoft.ML.VideoCaptioning.Data;
using Microsoft.ML.VideoCaptioning.Features;
using YamlDotNet.RepresentationModel;

namespace Microsoft.ML.VideoCaptioning.Tests.Cli;

/// <summary>
/// The launchers in deploy/: the Kubernetes Indexed Job's container command and the Slurm array script, each run for one
/// shard with the real vidcap on generated clips, as the launcher would start it (the image itself is not built here).
/// </summary>
public sealed class DeployTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vidcap-deploy-").FullName;
    private readonly string _videos;
    private readonly List<string> _clips;

    public DeployTests()
    {
        SyntheticWorld.Generate(Path.Combine(_dir, "data"), new SyntheticWorldOptions { Count = 4, Seed = 6, MinFrames = 4, MaxFrames = 4, MinSize = 64, MaxSize = 64 });
        _videos = Path.Combine(_dir, "data", "videos");
        _clips = Directory.GetFiles(_videos).Select(Path.GetFullPath).ToList();
    }

    public void Dispose() => Directory.Delete(_dir, true);

    private static string Encoder => Path.Combine(TestPaths.Fixtures, "vjepa2_tiny_f32");

    private static string Deploy(params string[] parts) => Path.Combine([TestPaths.RepoRoot, "deploy", .. parts]);

    private static YamlNode At(YamlNode node, params string[] keys) =>
        keys.Aggregate(node, (n, k) => ((YamlMappingNode)n).Children.TryGetValue(new YamlScalarNode(k), out var child) ? child
            : throw new KeyNotFoundException($"no '{k}' in the manifest"));

    private static string Scalar(YamlNode node) => ((YamlScalarNode)node).Value!;

    private static IEnumerable<YamlNode> Items(YamlNode node) => ((YamlSequenceNode)node).Children;

    /// <summary>The cache entries written, as the videos they belong to.</summary>
    private List<string> Cached(string cache)
    {
        var c = new FeatureCache(cache);
        return _clips.Where(v => File.Exists(c.PathFor(v))).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The shard of <paramref name="count"/> that owns the most clips (so the run has work).</summary>
    private int BusiestShard(int count) => Enumerable.Range(0, count).MaxBy(i => new ShardAssignment(i, count).Select(_clips).Count);

    [Fact]
    public void KubernetesIndexedJobRunsItsShardInEachPod()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Deploy("kubernetes", "featurize-job.yaml"))));
        var job = yaml.Documents.Single().RootNode;
        Assert.Equal(("batch/v1", "Job", "Indexed"), (Scalar(At(job, "apiVersion")), Scalar(At(job, "kind")), Scalar(At(job, "spec", "completionMode"))));
        var pod = At(job, "spec", "template", "spec");
        Assert.Equal("Never", Scalar(At(pod, "restartPolicy")));
        var container = Items(At(pod, "containers")).Single();
        var env = Items(At(container, "env")).ToDictionary(e => Scalar(At(e, "name")), e => Scalar(At(e, "value")));
        int completions = int.Parse(Scalar(At(job, "spec", "completions")));
        Assert.Equal(completions.ToString(), env[ShardAssignment.CountVariable]);

        // every mount has a volume; the pod's paths become local folders
        var volumes = Items(At(pod, "volumes")).Select(v => Scalar(At(v, "name"))).ToHashSet();
        var cache = Path.Combine(_dir, "features");
        var models = Directory.CreateDirectory(Path.Combine(_dir, "models")).FullName;
        var local = new Dictionary<string, string> { ["videos"] = _videos, ["features"] = cache, ["models"] = models };
        var mounts = Items(At(container, "volumeMounts")).Select(m => (Name: Scalar(At(m, "name")), Path: Scalar(At(m, "mountPath")))).ToList();
        Assert.All(mounts, m => Assert.Contains(m.Name, volumes));
        var args = Items(At(container, "args")).Select(Scalar).ToList();
        Assert.Equal(["featurize", "--shard", "auto"], args.Where(a => a is "featurize" or "--shard" or "auto"));
        var encoderArg = args[args.IndexOf("--encoder") + 1];
        Directory.CreateSymbolicLink(Path.Combine(models, Path.GetFileName(encoderArg)), Encoder);
        string Localize(string a) => mounts.OrderByDescending(m => m.Path.Length).FirstOrDefault(m => a.StartsWith(m.Path, StringComparison.Ordinal)) is { Name: not null } m
            ? local[m.Name] + a[m.Path.Length..] : a;

        int index = BusiestShard(completions);
        var (code, output, err) = VidcapProcess.Run([.. args.Select(Localize), "--frames", "4", "--json"],
            new Dictionary<string, string>(env) { ["JOB_COMPLETION_INDEX"] = index.ToString() });
        Assert.True(code == 0, err);
        var mine = new ShardAssignment(index, completions).Select(_clips);
        Assert.Equal(mine.Count, DistributedFeaturizeFixture.Report(output).Computed);
        Assert.Equal(mine, Cached(cache));
    }

    [Fact]
    public void SlurmArrayScriptRunsTheTaskItsIdsMapTo()
    {
        var script = Deploy("slurm", "featurize.sbatch");
        Assert.Contains(File.ReadLines(script), l => l.StartsWith("#SBATCH --array=", StringComparison.Ordinal));
        var cache = Path.Combine(_dir, "features");
        int shard = BusiestShard(3);
        var env = new Dictionary<string, string>
        {
            ["VIDCAP"] = VidcapProcess.Launcher, ["VIDEOS"] = _videos, ["ENCODER"] = Encoder, ["CACHE"] = cache, ["FRAMES"] = "4",
            // sbatch --array=1-3: task ids start at 1
            ["SLURM_ARRAY_TASK_ID"] = (shard + 1).ToString(), ["SLURM_ARRAY_TASK_MIN"] = "1", ["SLURM_ARRAY_TASK_MAX"] = "3",
            ["SLURM_ARRAY_TASK_COUNT"] = "3", ["SLURM_ARRAY_TASK_STEP"] = "1", ["SLURM_CPUS_PER_TASK"] = "1",
        };
        var (code, output, err) = VidcapProcess.RunScript(script, ["--json"], env);
        Assert.True(code == 0, err);
        var mine = new ShardAssignment(shard, 3).Select(_clips);
        Assert.Equal(mine.Count, DistributedFeaturizeFixture.Report(output).Computed);
        Assert.Equal(mine, Cached(cache));

        // sbatch --array=1,3,7: refused before any work, with the reason
        env["SLURM_ARRAY_TASK_MAX"] = "7";
        var (badCode, _, badErr) = VidcapProcess.RunScript(script, [], env);
        Assert.Equal(2, badCode);
        Assert.Contains("not one contiguous range", badErr);
    }
}
