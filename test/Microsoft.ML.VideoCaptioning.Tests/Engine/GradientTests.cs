using Microsoft.ML.VideoCaptioning.Engine;

namespace Microsoft.ML.VideoCaptioning.Tests.Engine;

/// <summary>Autograd gradients of every op used in training against central finite differences, in float64.</summary>
public class GradientTests
{
    private static void CheckGradient(long[] shape, Func<Tensor, Tensor> f, int seed = 1, double tol = 1e-6)
    {
        using var scope = TensorScope.Open();
        var rng = new Random(seed);
        long n = shape.Aggregate(1L, (a, b) => a * b);
        var x0 = Enumerable.Range(0, (int)n).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        var x = Tensor.From<double>(x0, shape);
        x.RequiresGrad = true;
        var y = f(x);
        var r = Tensor.From<double>(Enumerable.Range(0, (int)y.NumEl).Select(_ => rng.NextDouble() * 2 - 1).ToArray(), y.Shape);
        (y * r).Sum().Backward();
        var analytic = x.Grad!.ToArray<double>();
        const double h = 1e-6;
        using var noGrad = Torch.NoGrad();
        for (int i = 0; i < n; i++)
        {
            using var inner = TensorScope.Open();
            double Eval(double delta)
            {
                var xp = (double[])x0.Clone();
                xp[i] += delta;
                return (f(Tensor.From<double>(xp, shape)) * r).Sum().Item();
            }
            double numeric = (Eval(h) - Eval(-h)) / (2 * h);
            Assert.True(Math.Abs(numeric - analytic[i]) <= tol * Math.Max(1, Math.Abs(numeric)),
                $"d/dx[{i}]: finite difference {numeric}, autograd {analytic[i]}");
        }
    }

    private static Tensor Fixed(long[] shape, int seed)
    {
        var rng = new Random(seed);
        long n = shape.Aggregate(1L, (a, b) => a * b);
        return Tensor.From<double>(Enumerable.Range(0, (int)n).Select(_ => rng.NextDouble() * 2 - 1).ToArray(), shape);
    }

    [Fact] public void Linear() => CheckGradient([3, 4], x => F.Linear(x, Fixed([5, 4], 7), Fixed([5], 8)));
    [Fact] public void LinearWeight() => CheckGradient([5, 4], w => F.Linear(Fixed([3, 4], 7), w, Fixed([5], 8)));
    [Fact] public void MatMulBatched() => CheckGradient([2, 3, 4], x => x.MatMul(Fixed([2, 4, 2], 3)));
    [Fact] public void LayerNorm() => CheckGradient([3, 6], x => F.LayerNorm(x, Fixed([6], 2), Fixed([6], 3), 1e-5));
    [Fact] public void LayerNormWeight() => CheckGradient([6], w => F.LayerNorm(Fixed([3, 6], 1), w, Fixed([6], 3), 1e-5));
    [Fact] public void RmsNorm() => CheckGradient([3, 6], x => F.RmsNorm(x, Fixed([6], 2), 1e-6));
    [Fact] public void Gelu() => CheckGradient([10], x => x.Gelu());
    [Fact] public void Silu() => CheckGradient([10], x => x.Silu());
    [Fact] public void Softmax() => CheckGradient([2, 5], x => x.Softmax(-1));
    [Fact] public void LogSoftmax() => CheckGradient([2, 5], x => x.LogSoftmax(-1));
    [Fact] public void ElementwiseChain() => CheckGradient([8], x => (x * x + x.Exp() / (x.Abs() + 1)).Tanh() - (x * x + 1).Sqrt().Rsqrt() + x.Pow(3) + x.Sigmoid() * x.MaskedFill(x.Lt(0), 0));

    [Fact]
    public void CrossEntropyWithIgnoredTargets() =>
        CheckGradient([4, 6], x => F.CrossEntropy(x, Tensor.From(new long[] { 1, -100, 5, 0 }, 4)));

    [Fact]
    public void EagerAttention() => CheckGradient([1, 2, 3, 4], q =>
        F.EagerAttention(q, Fixed([1, 2, 5, 4], 4), Fixed([1, 2, 5, 4], 5), Fixed([1, 1, 3, 5], 6), 0.5));

    [Fact]
    public void ScaledDotProductAttentionKeysAndValues() => CheckGradient([1, 2, 5, 4], kv =>
        F.ScaledDotProductAttention(Fixed([1, 2, 3, 4], 4), kv, kv * 2, null));

    [Fact]
    public void ShapeOps() => CheckGradient([2, 3, 4], x =>
        Tensor.Cat([x.Permute(2, 0, 1).Reshape(4, 6), x.Narrow(1, 1, 2).Reshape(4, 4).Expand(1, 4, 4).Reshape(4, 4)], 1).Transpose(0, 1).Contiguous()
            .RepeatInterleave(2, 0));

    [Fact]
    public void EmbeddingRows() => CheckGradient([5, 3], w => F.Embedding(w, Tensor.From(new long[] { 4, 0, 4, 2 }, 4)));

    [Fact]
    public void DropoutScalesKeptElements()
    {
        using var scope = TensorScope.Open();
        Torch.ManualSeed(11);
        var x = Tensor.Ones([1000], DType.Float64);
        x.RequiresGrad = true;
        var y = F.Dropout(x, 0.25, training: true);
        y.Sum().Backward();
        var g = x.Grad!.ToArray<double>();
        var yv = y.ToArray<double>();
        for (int i = 0; i < g.Length; i++) Assert.Equal(yv[i], g[i], 12);   // d(kept·x/0.75)/dx = y/x
        Assert.All(yv, v => Assert.True(v == 0 || Math.Abs(v - 1 / 0.75) < 1e-12));
        Assert.InRange(yv.Count(v => v == 0), 180, 320);
        Assert.Equal(x.ToArray<double>(), F.Dropout(x, 0.25, training: false).ToArray<double>());
    }
}
