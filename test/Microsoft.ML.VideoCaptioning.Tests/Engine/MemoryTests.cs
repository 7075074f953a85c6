using Microsoft.ML.VideoCaptioning.Engine;

namespace Microsoft.ML.VideoCaptioning.Tests.Engine;

/// <summary>Tests that measure process-wide memory: they run alone, not beside other test classes.</summary>
[CollectionDefinition(nameof(ProcessMemory), DisableParallelization = true)]
public sealed class ProcessMemory;

[Collection(nameof(ProcessMemory))]
public class MemoryTests
{
    private static long RssBytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        throw new InvalidOperationException("no VmRSS");
    }

    /// <summary>
    /// 10,000 forward+backward+AdamW iterations of a small MLP, each in a scope: the process RSS after the loop stays
    /// within 32 MB of its value after a 500-iteration warm-up (a leak of one 64×64 float tensor per iteration would
    /// add 160 MB).
    /// </summary>
    [Fact]
    public void TrainingLoopInScopesKeepsRssFlat()
    {
        Torch.ManualSeed(0);
        using var l1 = new Linear(64, 64, true, TensorOptions.CpuFloat32);
        using var l2 = new Linear(64, 8, true, TensorOptions.CpuFloat32);
        l1.ResetParameters();
        l2.ResetParameters();
        var ps = l1.Parameters().Concat(l2.Parameters()).ToList();
        foreach (var p in ps) p.RequiresGrad = true;
        using var opt = new AdamW(ps, 1e-3);
        using var x = Tensor.Randn([64, 64]);
        using var y = Tensor.From(Enumerable.Range(0, 64).Select(i => (long)(i % 8)).ToArray(), 64);
        void Iteration()
        {
            using var scope = TensorScope.Open();
            opt.ZeroGrad();
            var loss = F.CrossEntropy(l2.Forward(l1.Forward(x).Gelu()), y);
            loss.Backward();
            opt.Step();
        }
        for (int i = 0; i < 500; i++) Iteration();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long before = RssBytes();
        for (int i = 0; i < 10_000; i++) Iteration();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long growth = RssBytes() - before;
        Assert.True(growth < 32L << 20, $"RSS grew by {growth >> 20} MB over 10,000 iterations");
    }

    /// <summary>
    /// A freed large block serves the next temporary of a slightly different size (same size class: 8 per power of
    /// two), the way per-batch logits vary with the captions' lengths, instead of a fresh page-faulted allocation.
    /// </summary>
    [Fact]
    public void CpuCacheReusesBlocksAcrossNearbySizes()
    {
        Torch.ClearCpuCache();
        var (_, hits0, misses0) = Torch.CpuCacheStats;
        using (var scope = TensorScope.Open()) Tensor.Zeros([40 << 20 >> 2]);   // 40 MiB of float32
        var (_, hits1, misses1) = Torch.CpuCacheStats;
        Assert.Equal((hits0, misses0 + 1), (hits1, misses1));
        using (var scope = TensorScope.Open()) Tensor.Zeros([39 << 20 >> 2]);   // 39 MiB: same class (36 < n ≤ 40 MiB)
        var (_, hits2, misses2) = Torch.CpuCacheStats;
        Assert.Equal(misses1, misses2);
        Assert.Equal(hits1 + 1, hits2);
        using (var scope = TensorScope.Open()) Tensor.Zeros([35 << 20 >> 2]);   // 35 MiB: the class below, a new block
        Assert.Equal(misses2 + 1, Torch.CpuCacheStats.Misses);
    }
}
