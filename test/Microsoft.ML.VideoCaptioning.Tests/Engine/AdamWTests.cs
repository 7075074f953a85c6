using Microsoft.ML.VideoCaptioning.Engine;

namespace Microsoft.ML.VideoCaptioning.Tests.Engine;

public class AdamWTests
{
    /// <summary>Two AdamW steps on f(p) = Σ c·p² against the update rule of torch.optim.AdamW written out by hand.</summary>
    [Fact]
    public void StepsMatchTheHandComputedUpdate()
    {
        using var scope = TensorScope.Open();
        double[] p0 = [0.5, -1.0, 2.0];
        double[] c = [1.0, 3.0, -0.5];
        var p = Tensor.From<double>(p0, [3]).DetachFromScope();
        p.RequiresGrad = true;
        var coef = Tensor.From<double>(c, [3]);
        double lr = 0.1, wd = 0.03, b1 = 0.9, b2 = 0.999, eps = 1e-8;
        using var opt = new AdamW([p], lr, wd, b1, b2, eps);
        var expected = (double[])p0.Clone();
        var m = new double[3];
        var v = new double[3];
        for (int t = 1; t <= 2; t++)
        {
            opt.ZeroGrad();
            (coef * p * p).Sum().Backward();
            opt.Step();
            for (int i = 0; i < 3; i++)
            {
                double g = 2 * c[i] * expected[i];
                expected[i] *= 1 - lr * wd;
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                double mh = m[i] / (1 - Math.Pow(b1, t));
                double denom = Math.Sqrt(v[i]) / Math.Sqrt(1 - Math.Pow(b2, t)) + eps;
                expected[i] -= lr * mh / denom;
            }
            var got = p.ToArray<double>();
            for (int i = 0; i < 3; i++) Assert.Equal(expected[i], got[i], 12);
        }
        p.Dispose();
    }

    [Fact]
    public void StateRoundTripsAndContinuesIdentically()
    {
        using var scope = TensorScope.Open();
        Tensor MakeParam() { var t = Tensor.From(new float[] { 1, 2, 3 }, 3).DetachFromScope(); t.RequiresGrad = true; return t; }
        var a = MakeParam();
        var b = MakeParam();
        using var optA = new AdamW([a], 0.01, 0.1);
        using var optB = new AdamW([b], 0.01, 0.1);
        void Step(AdamW o, Tensor p) { o.ZeroGrad(); (p * p * p).Sum().Backward(); o.Step(); }
        Step(optA, a);
        Step(optA, a);
        Step(optB, b);
        Step(optB, b);
        var saved = optA.StateTensors().ToDictionary(kv => kv.Key, kv => kv.Value);
        using var optC = new AdamW([a], 0.01, 0.1);
        optC.LoadState(k => saved.GetValueOrDefault(k));
        Step(optC, a);
        Step(optB, b);
        Assert.Equal(b.ToFloatArray(), a.ToFloatArray());
        a.Dispose();
        b.Dispose();
    }

    [Fact]
    public void ClipGradNormScalesToTheBound()
    {
        using var scope = TensorScope.Open();
        var p = Tensor.From(new float[] { 3, 4 }, 2);
        p.RequiresGrad = true;
        (p * p).Sum().Backward();   // grad (6, 8), norm 10
        double norm = Gradients.ClipGradNorm([p], 5);
        Assert.Equal(10, norm, 5);
        var g = p.Grad!.ToFloatArray();
        Assert.Equal(3, g[0], 4);
        Assert.Equal(4, g[1], 4);
    }
}
