using Microsoft.ML.VideoCaptioning.Engine;

namespace Microsoft.ML.VideoCaptioning.Tests.Engine;

/// <summary>Each op against values computed by hand.</summary>
[Collection(nameof(GlobalRng))]
public class TensorOpsTests
{
    private static void Close(double[] expected, float[] got, double tol = 1e-6)
    {
        Assert.Equal(expected.Length, got.Length);
        for (int i = 0; i < got.Length; i++) Assert.True(Math.Abs(expected[i] - got[i]) <= tol, $"[{i}] expected {expected[i]} got {got[i]}");
    }

    [Fact]
    public void ArithmeticAndMatmul()
    {
        using var s = TensorScope.Open();
        var a = Tensor.From(new float[] { 1, 2, 3, 4 }, 2, 2);
        var b = Tensor.From(new float[] { 5, 6, 7, 8 }, 2, 2);
        Close([6, 8, 10, 12], (a + b).ToFloatArray());
        Close([-4, -4, -4, -4], (a - b).ToFloatArray());
        Close([5, 12, 21, 32], (a * b).ToFloatArray());
        Close([19, 22, 43, 50], a.MatMul(b).ToFloatArray());
        Close([3, 5, 7, 9], (a * 2 + 1).ToFloatArray());
        Close([0, -1, -2, -3], (1 - a).ToFloatArray());
        // linear: x·Wᵀ + b
        var bias = Tensor.From(new float[] { 1, -1 }, 2);
        Close([1 * 5 + 2 * 6 + 1, 1 * 7 + 2 * 8 - 1, 3 * 5 + 4 * 6 + 1, 3 * 7 + 4 * 8 - 1], F.Linear(a, b, bias).ToFloatArray());
        Assert.Equal(new long[] { 2, 2 }, a.Shape);
        Assert.Equal(DType.Float32, a.DType);
    }

    [Fact]
    public void ActivationsAndNorms()
    {
        using var s = TensorScope.Open();
        double[] xs = [-2, -0.5, 0, 1.5];
        var x = Tensor.From(xs.Select(v => (float)v).ToArray(), 4);
        Close(xs.Select(v => 0.5 * v * (1 + Erf(v / Math.Sqrt(2)))).ToArray(), x.Gelu().ToFloatArray());
        Close(xs.Select(v => v / (1 + Math.Exp(-v))).ToArray(), x.Silu().ToFloatArray());
        double max = xs.Max(), sum = xs.Sum(v => Math.Exp(v - max));
        Close(xs.Select(v => Math.Exp(v - max) / sum).ToArray(), x.Softmax(0).ToFloatArray());
        Close(xs.Select(v => v - max - Math.Log(sum)).ToArray(), x.LogSoftmax(0).ToFloatArray());
        double mean = xs.Average(), variance = xs.Sum(v => (v - mean) * (v - mean)) / xs.Length;
        var w = Tensor.From(new float[] { 1, 2, 3, 4 }, 4);
        var b = Tensor.From(new float[] { 0, 1, 0, 1 }, 4);
        Close(xs.Select((v, i) => (v - mean) / Math.Sqrt(variance + 1e-5) * (i + 1) + (i % 2)).ToArray(), F.LayerNorm(x, w, b, 1e-5).ToFloatArray(), 1e-5);
        double rms = Math.Sqrt(xs.Sum(v => v * v) / xs.Length + 1e-6);
        Close(xs.Select((v, i) => v / rms * (i + 1)).ToArray(), F.RmsNorm(x, w, 1e-6).ToFloatArray(), 1e-5);
    }

    // Abramowitz-Stegun 7.1.26 is too coarse for 1e-6; use the series/continued fraction via Math on doubles.
    internal static double Erf(double x)
    {
        double t = 0, term = x, n = 0;
        while (Math.Abs(term) > 1e-17 && n < 200)
        {
            t += term / (2 * n + 1);
            n++;
            term *= -x * x / n;
        }
        return 2 / Math.Sqrt(Math.PI) * t;
    }

    [Fact]
    public void CrossEntropyIgnoresIndex()
    {
        using var s = TensorScope.Open();
        var logits = Tensor.From(new float[] { 1, 2, 3, 1, 1, 1, 0, 5, 0 }, 3, 3);
        var target = Tensor.From(new long[] { 2, -100, 1 }, 3);
        double l0 = -(3 - Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3)));
        double l2 = -(5 - Math.Log(2 + Math.Exp(5)));
        Assert.Equal((l0 + l2) / 2, F.CrossEntropy(logits, target).Item(), 6);
        Assert.Equal(l0 + l2, F.CrossEntropy(logits, target, reduction: F.Reduction.Sum).Item(), 5);
    }

    [Fact]
    public void ShapesIndexingAndSelection()
    {
        using var s = TensorScope.Open();
        var x = Tensor.Arange(0, 24, dtype: DType.Float32).Reshape(2, 3, 4);
        Assert.Equal(new long[] { 4, 2, 3 }, x.Permute(2, 0, 1).Shape);
        Close([12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23], x.Narrow(0, 1, 1).ToFloatArray());
        Close([1, 5, 9, 13, 17, 21], x.Select(2, 1).ToFloatArray());
        Assert.Equal(new long[] { 2, 6, 4 }, Tensor.Cat([x, x], 1).Shape);
        Assert.Equal(new long[] { 2, 2, 3, 4 }, Tensor.Stack([x, x], 1).Shape);
        Close([0, 0, 1, 1], Tensor.From(new float[] { 0, 1 }, 2).RepeatInterleave(2, 0).ToFloatArray());
        var ids = Tensor.From(new long[] { 2, 0 }, 2);
        var table = Tensor.From(new float[] { 1, 2, 3, 4, 5, 6 }, 3, 2);
        Close([5, 6, 1, 2], F.Embedding(table, ids).ToFloatArray());
        Close([5, 6, 1, 2], table.IndexSelect(0, ids).ToFloatArray());
        var v = Tensor.From(new float[] { 3, 9, 1, 9 }, 4);
        Assert.Equal(1, v.ArgMax(0).Item());   // first index on ties, as torch.argmax
        var (vals, idx) = v.TopK(2);
        Close([9, 9], vals.ToFloatArray());
        Assert.Equal(new long[] { 1, 3 }, idx.ToLongArray().OrderBy(i => i).ToArray());
        var mask = v.Gt(5);
        Close([3, -1, 1, -1], v.MaskedFill(mask, -1).ToFloatArray());
        Close([0, 9, 0, 9], Tensor.Where(mask, v, Tensor.Zeros([4])).ToFloatArray());
        Close([3, 12, 13, 22], v.CumSum(0).ToFloatArray());
        Close([0, 1, 1, 0, 0, 1, 0, 0, 0], Tensor.Ones([3, 3]).Triu(1).ToFloatArray());
        Assert.Equal(22, v.Sum().Item(), 5);
        Assert.Equal(5.5, v.Mean().Item(), 5);
    }

    [Fact]
    public void DtypeConversionsRoundTrip()
    {
        using var s = TensorScope.Open();
        var x = Tensor.From(new float[] { 1.5f, -2.25f, 3e-3f }, 3);
        Close([1.5, -2.25, 3e-3], x.To(DType.BFloat16).ToFloatArray(), 2e-5);
        Close([1.5, -2.25, 3e-3], x.To(DType.Float16).ToFloatArray(), 2e-6);
        // bf16 is the upper 16 bits of an f32: 1.5f = 0x3FC00000 → 0x3FC0
        var raw = Tensor.From(new float[] { 1.5f }, 1).To(DType.BFloat16).ToBytes();
        Assert.Equal(new byte[] { 0xC0, 0x3F }, raw);
        var back = Tensor.FromBytes(raw, DType.BFloat16, [1]);
        Assert.Equal(1.5f, back.ToFloatArray()[0]);
    }

    [Fact]
    public void Conv3dMatchesTheTubeletMatmul()
    {
        // A tubelet conv (kernel = stride) equals W.reshape(out, C·t·y·x) times each flattened cube (docs/ARCHITECTURE.md §1.3).
        using var s = TensorScope.Open();
        Torch.ManualSeed(3);
        var x = Tensor.Randn([1, 2, 4, 4, 4]);
        var w = Tensor.Randn([3, 2, 2, 2, 2]);
        var b = Tensor.Randn([3]);
        var conv = F.Conv3d(x, w, b, (2, 2, 2)).ToFloatArray();  // (1, 3, 2, 2, 2)
        var xv = x.ToFloatArray();
        var wv = w.ToFloatArray();
        var bv = b.ToFloatArray();
        for (int o = 0; o < 3; o++)
            for (int t = 0; t < 2; t++)
                for (int h = 0; h < 2; h++)
                    for (int ww = 0; ww < 2; ww++)
                    {
                        double acc = bv[o];
                        for (int c = 0; c < 2; c++)
                            for (int dt = 0; dt < 2; dt++)
                                for (int dy = 0; dy < 2; dy++)
                                    for (int dx = 0; dx < 2; dx++)
                                        acc += wv[(((o * 2 + c) * 2 + dt) * 2 + dy) * 2 + dx] * xv[((c * 4 + t * 2 + dt) * 4 + h * 2 + dy) * 4 + ww * 2 + dx];
                        Assert.Equal(acc, conv[((o * 2 + t) * 2 + h) * 2 + ww], 4);
                    }
    }

    [Fact]
    public void AttentionMatchesTheFormula()
    {
        using var s = TensorScope.Open();
        Torch.ManualSeed(5);
        var q = Tensor.Randn([2, 3, 5, 8]);
        var k = Tensor.Randn([2, 3, 7, 8]);
        var v = Tensor.Randn([2, 3, 7, 8]);
        var mask = Tensor.Randn([2, 1, 5, 7]);
        double scale = 1 / Math.Sqrt(8);
        var manual = (q.MatMul(k.Transpose(-2, -1)) * scale + mask).Softmax(-1).MatMul(v).ToFloatArray();
        var sdpa = F.ScaledDotProductAttention(q, k, v, mask).ToFloatArray();
        var eager = F.EagerAttention(q, k, v, mask, scale).ToFloatArray();
        for (int i = 0; i < manual.Length; i++)
        {
            Assert.Equal(manual[i], sdpa[i], 4);
            Assert.Equal(manual[i], eager[i], 5);
        }
    }

    [Fact]
    public void ErrorsNameTheOpAndShapes()
    {
        using var s = TensorScope.Open();
        var a = Tensor.Zeros([2, 3]);
        var b = Tensor.Zeros([4, 5]);
        var e = Assert.Throws<TorchException>(() => a.MatMul(b));
        Assert.Contains("matmul(float32[2, 3] cpu, float32[4, 5] cpu)", e.Message);
        Assert.Throws<ArgumentException>(() => Tensor.From(new float[] { 1, 2, 3 }, 2, 2));
    }

    [Fact]
    public void ScopesFreeWhatTheyOwnAndKeepWhatMovesOut()
    {
        Tensor inner, kept, outer;
        using (var s1 = TensorScope.Open())
        {
            outer = Tensor.Zeros([1]);
            using (var s2 = TensorScope.Open())
            {
                inner = Tensor.Zeros([1]);
                kept = (inner + 1).MoveToOuterScope();
            }
            Assert.True(inner.IsDisposed);
            Assert.False(kept.IsDisposed);
            Assert.Equal(1, kept.Item());
        }
        Assert.True(kept.IsDisposed);
        Assert.True(outer.IsDisposed);
        var free = Tensor.Zeros([1]);
        using (TensorScope.Open()) { }
        Assert.False(free.IsDisposed);
        free.Dispose();
    }

    [Fact]
    public void GradModeIsScoped()
    {
        Assert.True(Torch.IsGradEnabled);
        using (Torch.NoGrad())
        {
            Assert.False(Torch.IsGradEnabled);
            using var s = TensorScope.Open();
            var p = Tensor.Ones([2]);
            p.RequiresGrad = true;
            Assert.False((p * 2).RequiresGrad);
        }
        Assert.True(Torch.IsGradEnabled);
    }

    [Fact]
    public void SeededRngIsReproducibleAndStateRestores()
    {
        using var s = TensorScope.Open();
        Torch.ManualSeed(42);
        var a = Tensor.Randn([5]).ToFloatArray();
        var state = Torch.GetRngState(Device.Cpu);
        var b = Tensor.Randn([5]).ToFloatArray();
        Torch.ManualSeed(42);
        Assert.Equal(a, Tensor.Randn([5]).ToFloatArray());
        Torch.SetRngState(Device.Cpu, state);
        Assert.Equal(b, Tensor.Randn([5]).ToFloatArray());
    }

    [Fact]
    public void AskingForCudaWithoutItIsAClearError()
    {
        if (Torch.CudaIsAvailable) return;
        var e = Assert.Throws<InvalidOperationException>(() => Device.Cuda(0).EnsureAvailable());
        Assert.Contains("CUDA", e.Message);
        Assert.Equal(Device.Cpu, Device.Parse("auto"));
    }
}
