using System.Text.Json;
using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Models;
using Microsoft.ML.VideoCaptioning.Models.QFormer;
using Microsoft.ML.VideoCaptioning.Models.Qwen2;
using Microsoft.ML.VideoCaptioning.Training;
using Xunit.Abstractions;

namespace Microsoft.ML.VideoCaptioning.Tests.Training;

/// <summary>
/// The trainer's step against torch.optim.AdamW (fixture qformer_train_step, on captioner_e2e's models and inputs): the
/// masked-label caption loss, the gradient of every Q-Former parameter through the frozen Qwen2, the loss before each
/// AdamW step and every parameter after them, computed by the trainer's own micro-batch and optimizer-step methods.
/// </summary>
public class TrainStepGoldenTests(ITestOutputHelper output)
{
    /// <summary>The fixture with the expected values.</summary>
    public const string FixtureName = "qformer_train_step";

    /// <summary>The fixture whose models and inputs the train step uses (its params.uses says so).</summary>
    public const string InputsFixture = "captioner_e2e";

    /// <summary>
    /// Tolerance: 10 times the reference's own fp32-vs-fp64 error of each tensor (its stated floor), and at least 1e-6
    /// relative (about 8 fp32 ulps). Measured: at most 2.6 floors (the scalar loss, 1.6e-7: one or two ulps); the
    /// gradients at most 0.9 floors, the parameters after the steps at most 1.0.
    /// </summary>
    private const double FloorMultiple = 10, MinTolerance = 1e-6;

    [Fact]
    public void LossGradientsAndAdamWStepsMatchTorch() => Check(TestPaths.Fixtures, output.WriteLine);

    /// <summary>Runs the whole check against the fixtures in <paramref name="directory"/>; throws on the first mismatch.</summary>
    public static void Check(string directory, Action<string>? log = null)
    {
        using var f = Fixture.Open(FixtureName, directory);
        using var e2e = Fixture.Open(InputsFixture, directory);
        var adamw = f.Params.GetProperty("adamw");
        double lr = adamw.GetProperty("lr").GetDouble(), weightDecay = adamw.GetProperty("weight_decay").GetDouble();
        double eps = adamw.GetProperty("eps").GetDouble();
        double[] betas = adamw.GetProperty("betas").EnumerateArray().Select(b => b.GetDouble()).ToArray();
        int steps = adamw.GetProperty("steps").GetInt32();

        using var qformer = QFormerModel.FromPretrained(e2e.Dir("qformer_dir"));
        using var lm = Qwen2ForCausalLM.FromPretrained(e2e.Dir("qwen2_dir"));
        lm.EagerAttention = true;
        qformer.Eval();   // the reference trains without dropout
        qformer.RequiresGrad(true);
        var names = qformer.NamedParameters().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(names, f.TensorNames.Where(t => t.StartsWith("grad.")).Select(t => t["grad.".Length..]).ToArray());
        Assert.Equal(names, f.TensorNames.Where(t => t.StartsWith("adamw.final.")).Select(t => t["adamw.final.".Length..]).ToArray());

        using var scope = TensorScope.Open();
        var model = new VideoCaptionModel(qformer, lm, e2e.T("prompt_ids").ToLongArray());
        var features = e2e.T("vision_features");
        var ids = e2e.T("caption_ids");
        var mask = e2e.T("caption_mask");
        using var optimizer = new AdamW(qformer.Parameters(), lr, weightDecay, betas[0], betas[1], eps);
        var losses = new float[steps];
        for (int step = 0; step < steps; step++)
        {
            losses[step] = (float)QFormerTrainingLoop.AccumulateGradients(model, features, ids, mask, maskPadding: true, accumulationSteps: 1);
            if (step == 0)
            {
                Compare(f, "loss", Tensor.From(new[] { losses[0] }), log);
                foreach (var (name, p) in qformer.NamedParameters())
                    Compare(f, "grad." + name, p.Grad ?? throw new InvalidOperationException($"{name} has no gradient"), log);
            }
            QFormerTrainingLoop.OptimizerStep(qformer, optimizer, lr, maxGradNorm: null);
        }
        Compare(f, "adamw.losses", Tensor.From(losses, steps), log);

        // Rows dim..2·dim of every in_proj_bias (the key bias) have a mathematically zero gradient: Adam turns its
        // rounding noise into ±lr steps, so there the fixture allows steps·lr absolutely (params.adamw.ill_conditioned).
        // Their stated floor is that of the key rows; the other rows get the largest floor of the other final parameters.
        int dim = qformer.Config.Dim;
        double wellConditionedFloor = names.Where(n => !n.EndsWith("in_proj_bias")).Max(n => f.Floor("adamw.final." + n) ?? 0);
        foreach (var (name, p) in qformer.NamedParameters())
        {
            var expected = f.T("adamw.final." + name);
            if (!name.EndsWith("in_proj_bias"))
            {
                Compare(f, "adamw.final." + name, p, log);
                continue;
            }
            var keyRows = Enumerable.Range(0, 3 * dim).Select(i => i >= dim && i < 2 * dim).ToArray();
            Compare(f, "adamw.final." + name, p, log, keyRows.Select(k => !k).ToArray(), wellConditionedFloor);
            float[] e = expected.ToFloatArray(), g = p.ToFloatArray();
            double worst = keyRows.Select((k, i) => k ? Math.Abs(e[i] - g[i]) : 0).Max();
            log?.Invoke($"adamw.final.{name} key rows: max|got-exp| = {worst:E2} (allowed {steps * lr:E1})");
            Assert.True(worst <= steps * lr, $"adamw.final.{name} key rows: max|got-exp| = {worst:E2} > steps·lr = {steps * lr:E1}");
        }
    }

    private static void Compare(Fixture f, string tensor, Tensor got, Action<string>? log, bool[]? positions = null, double? floorOverride = null)
    {
        double floor = floorOverride ?? f.Floor(tensor) ?? throw new InvalidDataException($"{f.Name}.io.json states no fp32_vs_fp64_maxrel for {tensor}.");
        double tol = Math.Max(MinTolerance, FloorMultiple * floor);
        double rel = Fixture.AssertClose(f.T(tensor), got.Detach(), tol, positions, tensor);
        log?.Invoke($"{tensor}: {rel:E2} (floor {floor:E1}, {rel / floor:F1} floors)");
    }
}
