using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.ML.VideoCaptioning.Data;
using Microsoft.ML.VideoCaptioning.Features;
using Microsoft.ML.VideoCaptioning.Models;
using Microsoft.ML.VideoCaptioning.Models.Qwen2;

namespace Microsoft.ML.VideoCaptioning.Tests.Cli;

/// <summary>
/// A Kubernetes Indexed Job in miniature, run once for <see cref="DistributedFeaturizeTests"/>: three
/// <c>vidcap featurize --shard auto</c> processes with <c>JOB_COMPLETION_INDEX</c> 0, 1 and 2 start together on one
/// clip folder and one shared cache. One shard is killed mid-way — its last video is a named pipe nobody writes, so its
/// decoder blocks after every earlier video of the shard is written — and restarted once the real clip is back. Then one
/// process featurizes the same folder into its own cache, for comparison. The folder also holds a broken video.
/// </summary>
public sealed class DistributedFeaturizeFixture : IDisposable
{
    public const int Shards = 3;

    public string Dir { get; } = Directory.CreateTempSubdirectory("vidcap-dist-").FullName;
    public string Data => Path.Combine(Dir, "data");
    public string Videos => Path.Combine(Data, "videos");
    /// <summary>A tiny random V-JEPA 2 (<see cref="TinyEncoder"/>).</summary>
    public string Encoder { get; }
    public string LanguageModel => Path.Combine(Dir, "lm");
    public string SharedCache => Path.Combine(Dir, "shared-cache");
    public string SingleCache => Path.Combine(Dir, "single-cache");
    public string Broken => Path.Combine(Videos, "a_broken.mp4");

    /// <summary>Every video file in the folder (full paths), the broken one included.</summary>
    public List<string> AllVideos { get; }
    /// <summary>The shard that was killed, its videos, and the one it was blocked on.</summary>
    public int KilledShard { get; }
    public List<string> KilledShardVideos { get; }
    public string BlockedVideo { get; }
    /// <summary>Exit codes and JSON reports of the first runs (the killed shard has no report).</summary>
    public (int Code, string Out, string Err)[] FirstRuns { get; } = new (int, string, string)[Shards];
    public int KilledExitCode { get; }
    /// <summary>Cache files the killed shard had written, with their modification times when it was killed.</summary>
    public Dictionary<string, DateTime> WrittenBeforeKill { get; }
    public (int Code, string Out, string Err) Restart { get; }
    public (int Code, string Out, string Err) SingleRun { get; }

    [DllImport("libc", SetLastError = true)]
    private static extern int mkfifo(string path, uint mode);

    public DistributedFeaturizeFixture()
    {
        Encoder = TinyEncoder.Write(Path.Combine(Dir, "encoder"));
        SyntheticWorld.Generate(Data, new SyntheticWorldOptions { Count = 7, Seed = 4, MinFrames = 4, MaxFrames = 6, MinSize = 64, MaxSize = 64 });
        File.WriteAllBytes(Broken, new byte[300]);
        RandomModels.WriteQwen2(LanguageModel, new Qwen2Config { HiddenSize = 32, NumHiddenLayers = 1, NumAttentionHeads = 2, NumKeyValueHeads = 1, IntermediateSize = 64, VocabSize = 151936, RopeTheta = 1e6, TieWordEmbeddings = true, EosTokenIds = [151643] }, seed: 5);
        AllVideos = Directory.GetFiles(Videos).Select(Path.GetFullPath).Order(StringComparer.Ordinal).ToList();

        // The shard with the most clips is killed while blocked on its last one (the broken video sorts first).
        var owned = Enumerable.Range(0, Shards).Select(i => new ShardAssignment(i, Shards).Select(AllVideos)).ToList();
        KilledShard = Enumerable.Range(0, Shards).MaxBy(i => owned[i].Count(v => v != Broken));
        KilledShardVideos = owned[KilledShard];
        BlockedVideo = KilledShardVideos[^1];
        var aside = Path.Combine(Dir, "aside.mp4");
        File.Move(BlockedVideo, aside);
        if (mkfifo(BlockedVideo, Convert.ToUInt32("600", 8)) != 0) throw new IOException($"mkfifo {BlockedVideo} failed: errno {Marshal.GetLastWin32Error()}");

        var cache = new FeatureCache(SharedCache);
        var before = KilledShardVideos.Where(v => v != Broken && v != BlockedVideo).Select(cache.PathFor).ToList();
        var processes = Enumerable.Range(0, Shards).Select(i => new VidcapProcess(FeaturizeArgs(SharedCache, "--shard", "auto", "--shard-count", "3", "--json"),
            new Dictionary<string, string> { ["JOB_COMPLETION_INDEX"] = i.ToString() })).ToList();
        try
        {
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (!before.All(File.Exists))
            {
                if (processes[KilledShard].HasExited || DateTime.UtcNow > deadline)
                    throw new InvalidOperationException($"Shard {KilledShard} did not write {before.Count} videos and block: {processes[KilledShard].Wait().Err}");
                Thread.Sleep(50);
            }
            KilledExitCode = processes[KilledShard].Kill();
            WrittenBeforeKill = before.ToDictionary(f => f, File.GetLastWriteTimeUtc);
            for (int i = 0; i < Shards; i++)
                if (i != KilledShard) FirstRuns[i] = processes[i].Wait();
        }
        finally
        {
            foreach (var p in processes) p.Dispose();
        }

        File.Delete(BlockedVideo);
        File.Move(aside, BlockedVideo);
        Restart = VidcapProcess.Run(FeaturizeArgs(SharedCache, "--shard", "auto", "--json"),
            new Dictionary<string, string> { ["JOB_COMPLETION_INDEX"] = KilledShard.ToString(), ["VIDCAP_SHARD_COUNT"] = "3" });
        SingleRun = VidcapProcess.Run(FeaturizeArgs(SingleCache));
    }

    /// <summary><c>featurize</c> of the clip folder with the tiny encoder (4 frames) into <paramref name="cache"/>.</summary>
    public string[] FeaturizeArgs(string cache, params string[] extra) =>
        ["featurize", Videos, "--encoder", Encoder, "--cache", cache, "--frames", "4", .. extra];

    /// <summary>The JSON report printed by <c>featurize --json</c>.</summary>
    public static FeaturizeReport Report(string stdout) => JsonSerializer.Deserialize<FeaturizeReport>(stdout)!;

    public void Dispose() => Directory.Delete(Dir, true);
}
