using System.Text.Json;
using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Features;

namespace Microsoft.ML.VideoCaptioning.Tests.Cli;

/// <summary>Shards of <c>vidcap featurize</c> in separate processes on one shared cache (see <see cref="DistributedFeaturizeFixture"/>).</summary>
public sealed class DistributedFeaturizeTests(DistributedFeaturizeFixture f) : IClassFixture<DistributedFeaturizeFixture>
{
    private static Dictionary<string, DateTime> Snapshot(string dir) =>
        Directory.GetFiles(dir).ToDictionary(Path.GetFileName, File.GetLastWriteTimeUtc)!;

    private static List<string> Entries(string cache) =>
        Directory.GetFiles(cache, "*.safetensors").Select(p => Path.GetFileName(p)!).Order(StringComparer.Ordinal).ToList();

    private int OwnerOfBroken => ShardAssignment.OwnerOf(f.Broken, DistributedFeaturizeFixture.Shards);

    [Fact]
    public void ParallelShardsProduceExactlyTheSingleProcessCache()
    {
        int computed = f.WrittenBeforeKill.Count;
        for (int i = 0; i < DistributedFeaturizeFixture.Shards; i++)
        {
            var (code, output, err) = i == f.KilledShard ? f.Restart : f.FirstRuns[i];
            Assert.True(code == (i == OwnerOfBroken ? 1 : 0), $"shard {i} exited with {code}: {err}");
            var r = DistributedFeaturizeFixture.Report(output);
            var mine = new ShardAssignment(i, DistributedFeaturizeFixture.Shards).Select(f.AllVideos);
            Assert.Equal(mine.Count, r.Total);
            Assert.Equal(mine.Count(v => v != f.Broken), r.Computed + r.Skipped);
            computed += r.Computed;
        }
        Assert.Equal(f.AllVideos.Count - 1, computed);   // every clip encoded exactly once across the shards
        Assert.Equal(1, f.SingleRun.Code);               // the broken video fails in one process too

        var shared = Entries(f.SharedCache);
        Assert.Equal(Entries(f.SingleCache), shared);
        Assert.Equal(f.AllVideos.Count - 1, shared.Count);
        foreach (var name in shared)
            Assert.True(File.ReadAllBytes(Path.Combine(f.SingleCache, name)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(f.SharedCache, name))), name);

        // one failure report per shard that had failures; nothing half-written is left behind
        Assert.Equal([$"failures.shard-{OwnerOfBroken}-of-3.json"], Directory.GetFiles(f.SharedCache, "failures*").Select(Path.GetFileName));
        Assert.Equal([f.Broken], FeaturizeJob.ReadFailures(Path.Combine(f.SharedCache, $"failures.shard-{OwnerOfBroken}-of-3.json")).Select(x => x.Video));
        Assert.Equal([f.Broken], FeaturizeJob.ReadFailures(Path.Combine(f.SingleCache, "failures.json")).Select(x => x.Video));
        Assert.Empty(Directory.GetFiles(f.SharedCache, "*.tmp"));
    }

    [Fact]
    public void AKilledShardResumesWithoutRecomputingWhatItHadWritten()
    {
        Assert.NotEqual(0, f.KilledExitCode);
        Assert.NotEmpty(f.WrittenBeforeKill);
        var r = DistributedFeaturizeFixture.Report(f.Restart.Out);
        int broken = f.KilledShardVideos.Contains(f.Broken) ? 1 : 0;
        // only the video it was blocked on is encoded; what it had written is skipped and left untouched
        Assert.Equal((f.KilledShardVideos.Count, 1, f.WrittenBeforeKill.Count, broken), (r.Total, r.Computed, r.Skipped, r.Failed));
        foreach (var (file, written) in f.WrittenBeforeKill) Assert.Equal(written, File.GetLastWriteTimeUtc(file));
        Assert.True(File.Exists(new FeatureCache(f.SharedCache).PathFor(f.BlockedVideo)));
    }

    [Fact]
    public void StatusCountsDoneFailedStaleAndMissing()
    {
        var (code, output, err) = VidcapProcess.Run(f.FeaturizeArgs(f.SharedCache, "--status", "--json"));
        Assert.True(code == 1, err);   // not complete: the broken video failed
        var s = JsonDocument.Parse(output).RootElement;
        int clips = f.AllVideos.Count - 1;
        Assert.Equal((f.AllVideos.Count, clips, 1, 0, 0), (s.GetProperty("total").GetInt32(), s.GetProperty("done").GetInt32(),
            s.GetProperty("failed").GetInt32(), s.GetProperty("stale").GetInt32(), s.GetProperty("missing").GetInt32()));
        Assert.Equal(f.Broken, s.GetProperty("failed_videos")[0].GetProperty("video").GetString());
        Assert.EndsWith($"failures.shard-{OwnerOfBroken}-of-3.json", s.GetProperty("failure_reports")[0].GetString());

        var one = JsonDocument.Parse(VidcapProcess.Run(f.FeaturizeArgs(f.SharedCache, "--status", "--json", "--shard", "1/3")).Out).RootElement;
        Assert.Equal(new ShardAssignment(1, 3).Select(f.AllVideos).Count, one.GetProperty("total").GetInt32());

        // a copy of the cache with one entry gone and a temporary file left by a killed writer
        var copy = Directory.CreateDirectory(Path.Combine(f.Dir, "status-copy")).FullName;
        foreach (var file in Directory.GetFiles(f.SharedCache)) File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        var gone = f.AllVideos.First(v => v != f.Broken);
        File.Delete(new FeatureCache(copy).PathFor(gone));
        File.WriteAllText(Path.Combine(copy, ".x.safetensors.node7.42.0a1b.tmp"), "");
        var (code2, text, _) = VidcapProcess.Run(f.FeaturizeArgs(copy, "--status"));
        Assert.Equal(1, code2);
        Assert.Contains($"{f.AllVideos.Count} videos: {clips - 1} done, 1 failed, 0 stale, 1 missing", text);
        Assert.Contains($"missing: {gone}", text);
        Assert.Contains("1 temporary files", text);

        // other preprocessing (2 frames): every entry is stale
        var stale = JsonDocument.Parse(VidcapProcess.Run(["featurize", f.Videos, "--encoder", f.Encoder,
            "--cache", copy, "--frames", "2", "--status", "--json"]).Out).RootElement;
        Assert.Equal((0, clips - 1, 1), (stale.GetProperty("done").GetInt32(), stale.GetProperty("stale").GetInt32(), stale.GetProperty("missing").GetInt32()));
        Assert.Equal("vidcap.preprocessing changed", stale.GetProperty("stale_videos")[0].GetProperty("reason").GetString());

        // the shards computed in the default type (--compute auto); asked for the other type, every entry is stale
        string made = VJepaFeaturizer.DefaultComputeType(Device.Cpu).Name(), other = made == "float32" ? "bfloat16" : "float32";
        var otherType = JsonDocument.Parse(VidcapProcess.Run([.. f.FeaturizeArgs(copy, "--status", "--json"), "--compute", other]).Out).RootElement;
        Assert.Equal((0, clips - 1), (otherType.GetProperty("done").GetInt32(), otherType.GetProperty("stale").GetInt32()));
        Assert.Equal($"vidcap.encoder changed: computed in {made}, now {other}; compute in {made} (--compute {made}) to use it",
            otherType.GetProperty("stale_videos")[0].GetProperty("reason").GetString());
        var (badCode, _, badErr) = VidcapProcess.Run([.. f.FeaturizeArgs(copy, "--status"), "--compute", "int8"]);
        Assert.Equal(2, badCode);
        Assert.Contains("--compute", badErr);
    }

    [Fact]
    public void TrainReadsTheShardedCache()
    {
        var before = Snapshot(f.SharedCache);
        var zip = Path.Combine(f.Dir, "captioner.zip");
        var (code, _, err) = VidcapProcess.Run(["train", "--train", Path.Combine(f.Data, "train.jsonl"), "--encoder", f.Encoder,
            "--language-model", f.LanguageModel, "--out", zip, "--cache", f.SharedCache, "--frames", "4",
            "--epochs", "1", "--batch-size", "4", "--accumulation", "1"]);
        Assert.True(code == 0, err);
        Assert.True(new FileInfo(zip).Length > 0);
        Assert.Equal(before, Snapshot(f.SharedCache));   // every entry was used as written: none added, none rewritten
    }
}
