using Microsoft.ML.VideoCaptioning.Data;
using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Features;
using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning.Tests.Features;

/// <summary>The feature cache and the featurize job on a tiny random encoder and generated clips.</summary>
public sealed class FeaturizeJobTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vidcap-feat-").FullName;
    private readonly List<string> _videos;
    private readonly VideoFrameSampler.Options _sampling = new() { FrameCount = 4, CropSize = TinyEncoder.Config.CropSize };
    private readonly string _encoder;

    public FeaturizeJobTests()
    {
        _encoder = TinyEncoder.Write(Path.Combine(_dir, "encoder"));
        SyntheticWorld.Generate(Path.Combine(_dir, "data"), new SyntheticWorldOptions { Count = 5, MinFrames = 4, MaxFrames = 5, MinSize = 64, MaxSize = 64 });
        _videos = Directory.GetFiles(Path.Combine(_dir, "data", "videos"), "*.mp4").Order().ToList();
    }

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void CachesSkipsRedoesStaleAndReportsFailures()
    {
        using var f = new VJepaFeaturizer(_encoder, new VJepaEncoderOptions { BatchSize = 2 });
        var cache = new FeatureCache(Path.Combine(_dir, "cache"));
        var broken = Path.Combine(_dir, "broken.mp4");
        File.WriteAllBytes(broken, new byte[100]);
        var inputs = _videos.Append(broken).ToList();

        var first = FeaturizeJob.Run(inputs, f, _sampling, cache);
        Assert.Equal((6, 5, 0, 1), (first.Total, first.Computed, first.Skipped, first.Failed));
        Assert.Equal(Path.GetFullPath(broken), first.Failures[0].Video);
        // the cached features equal a direct encoder run, up to float16 storage
        var sampled = new VideoFrameSampler(_sampling).Sample(_videos[0]);
        using (var scope = TensorScope.Open())
            Fixture.AssertClose(f.Featurize([sampled]).Select(0, 0), cache.Read(_videos[0]), tol: 2e-3, what: "cached vs direct");

        var again = FeaturizeJob.Run(inputs, f, _sampling, cache);
        Assert.Equal((0, 5, 1), (again.Computed, again.Skipped, again.Failed));

        // other preprocessing → stale → recomputed; a changed video → stale
        var otherSampling = new VideoFrameSampler.Options { FrameCount = 2, CropSize = _sampling.CropSize };
        Assert.Equal(CacheEntryState.Stale, cache.Check(_videos[0], f.EncoderIdentity, VJepaFeaturizer.DescribePreprocessing(otherSampling)).State);
        File.SetLastWriteTimeUtc(_videos[1], DateTime.UtcNow.AddMinutes(5));
        var third = FeaturizeJob.Run(inputs, f, _sampling, cache);
        Assert.Equal((1, 4), (third.Computed, third.Skipped));

        var report = Path.Combine(_dir, "failures.json");
        FeaturizeJob.WriteFailures(report, first);
        Assert.Contains("broken.mp4", File.ReadAllText(report));
        Assert.Empty(Directory.GetFiles(cache.Directory, "*.tmp"));
    }

    [Fact]
    public void AVideoReachedThroughASymbolicLinkIsStampedByItsTarget()
    {
        using var f = new VJepaFeaturizer(_encoder, new VJepaEncoderOptions { BatchSize = 2 });
        var cache = new FeatureCache(Path.Combine(_dir, "cache"));
        string target = Path.Combine(_dir, "target.mp4"), link = Path.Combine(_dir, "link.mp4");
        File.Copy(_videos[0], target);
        File.CreateSymbolicLink(link, target);
        string preprocessing = VJepaFeaturizer.DescribePreprocessing(_sampling);
        Assert.Equal(1, FeaturizeJob.Run([link], f, _sampling, cache).Computed);
        Assert.Equal(CacheEntryState.Valid, cache.Check(link, f.EncoderIdentity, preprocessing).State);

        // replacing the target (same link, same link time stamp) makes the entry stale
        File.Copy(_videos[1], target, overwrite: true);
        File.SetLastWriteTimeUtc(target, DateTime.UtcNow.AddMinutes(5));
        Assert.Equal((CacheEntryState.Stale, "vidcap.video_size changed"), cache.Check(link, f.EncoderIdentity, preprocessing));

        // an empty file behind a link is named as empty, not sent to ffprobe
        File.WriteAllBytes(target, []);
        var e = Assert.Throws<VideoDecodeException>(() => new VideoFrameSampler(_sampling).Sample(link));
        Assert.Contains("is empty (0 bytes)", e.Message);
    }

    [Fact]
    public void DefaultComputeTypeFollowsTheCpuAndTheCacheKeepsTypesApart()
    {
        Assert.Equal(DType.BFloat16, VJepaFeaturizer.DefaultComputeType(Device.Cuda(0)));
        Assert.Equal(CpuFeatures.HasBfloat16 ? DType.BFloat16 : DType.Float32, VJepaFeaturizer.DefaultComputeType(Device.Cpu));
        if (OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64)
        {
            var flags = File.ReadLines("/proc/cpuinfo").First(l => l.StartsWith("flags", StringComparison.Ordinal)).Split(' ');
            Assert.Equal(flags.Contains("avx512_bf16"), CpuFeatures.HasBfloat16);
        }
        using var auto = new VJepaFeaturizer(_encoder);
        Assert.Equal(VJepaFeaturizer.DefaultComputeType(Device.Cpu), auto.ComputeType);

        using var fp32 = new VJepaFeaturizer(_encoder, new VJepaEncoderOptions { ComputeType = DType.Float32 });
        using var bf16 = new VJepaFeaturizer(_encoder, new VJepaEncoderOptions { ComputeType = DType.BFloat16 });
        Assert.EndsWith(":float32", fp32.EncoderIdentity);
        Assert.EndsWith(":bfloat16", bf16.EncoderIdentity);
        var cache = new FeatureCache(Path.Combine(_dir, "cache"));
        var prep = VJepaFeaturizer.DescribePreprocessing(_sampling);
        FeaturizeJob.Run(_videos.Take(1).ToList(), fp32, _sampling, cache);
        Assert.Equal(CacheEntryState.Valid, cache.Check(_videos[0], fp32.EncoderIdentity, prep).State);
        var (state, reason) = cache.Check(_videos[0], bf16.EncoderIdentity, prep);
        Assert.Equal(CacheEntryState.Stale, state);
        Assert.Contains("computed in float32, now bfloat16", reason);

        var sampled = new VideoFrameSampler(_sampling).Sample(_videos[0]);
        using var scope = TensorScope.Open();
        Fixture.AssertClose(fp32.Featurize([sampled]), bf16.Featurize([sampled]), tol: 2e-2, what: "bf16 vs fp32 features");
    }

    [Fact]
    public void ShardsPartitionTheDataset()
    {
        using var f = new VJepaFeaturizer(_encoder);
        var caches = Enumerable.Range(0, 2).Select(i => new FeatureCache(Path.Combine(_dir, $"shard{i}"))).ToArray();
        var reports = Enumerable.Range(0, 2).Select(i => FeaturizeJob.Run(_videos, f, _sampling, caches[i], new FeaturizeJobOptions { Shard = (i, 2) })).ToArray();
        Assert.Equal(_videos.Count, reports.Sum(r => r.Computed));
        var files = caches.SelectMany(c => Directory.GetFiles(c.Directory, "*.safetensors").Select(Path.GetFileName)).ToList();
        Assert.Equal(files.Count, files.Distinct().Count());
        Assert.Throws<ArgumentException>(() => FeaturizeJob.Run(_videos, f, _sampling, caches[0], new FeaturizeJobOptions { Shard = (2, 2) }));
    }

    [Fact]
    public void EncoderIdentityChangesWithTheWeights()
    {
        using var a = new VJepaFeaturizer(_encoder);
        var copy = Path.Combine(_dir, "enc");
        Directory.CreateDirectory(copy);
        File.Copy(Path.Combine(_encoder, "config.json"), Path.Combine(copy, "config.json"));
        var bytes = File.ReadAllBytes(Path.Combine(_encoder, "model.safetensors"));
        bytes[^1] ^= 1;   // one bit of the last weight
        File.WriteAllBytes(Path.Combine(copy, "model.safetensors"), bytes);
        using var b = new VJepaFeaturizer(copy);
        Assert.NotEqual(a.EncoderIdentity, b.EncoderIdentity);
    }
}
