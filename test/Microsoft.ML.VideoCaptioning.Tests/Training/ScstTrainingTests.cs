using System.Text.Json;
using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Models;
using Microsoft.ML.VideoCaptioning.Models.QFormer;
using Microsoft.ML.VideoCaptioning.Models.Qwen2;
using Microsoft.ML.VideoCaptioning.Models.VJepa2;
using Microsoft.ML.VideoCaptioning.Text;
using Microsoft.ML.VideoCaptioning.Training;
using Xunit.Abstractions;

namespace Microsoft.ML.VideoCaptioning.Tests.Training;

/// <summary>
/// Tiny models for the self-critical tests, built once: features of random clips from a tiny random V-JEPA 2, and a
/// random 2-layer Qwen2 with the real vocabulary, briefly pretrained on the captions so that samples are captions of
/// varying reward.
/// </summary>
public sealed class ScstModels : IDisposable
{
    public static readonly string[] Captions = ["red circle moving left", "blue square moving up", "green triangle moving down", "yellow circle moving right"];
    public Qwen2ForCausalLM Lm { get; }
    public Qwen2Tokenizer Tokenizer { get; } = Qwen2Tokenizer.FromTokenizerJson(Path.Combine(TestPaths.Assets, "qwen2-tokenizer", "tokenizer.json"));
    public List<Tensor> Features { get; } = new();
    public string Dir { get; } = Directory.CreateTempSubdirectory("vidcap-scst-").FullName;

    public ScstModels()
    {
        var lmDir = Path.Combine(Dir, "lm");
        RandomModels.WriteQwen2(lmDir, new Qwen2Config { HiddenSize = 64, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2, IntermediateSize = 128, VocabSize = 151936, RopeTheta = 1e6, TieWordEmbeddings = true, EosTokenIds = [151643] }, seed: 3, DType.BFloat16);
        Lm = Qwen2ForCausalLM.FromPretrained(lmDir);
        LanguageModelPretrainer.Pretrain(Lm, Tokenizer, Captions.Select(c => "a video showing: " + c).ToList(), steps: 30, seed: 1);
        using var vjepa = VJepa2Model.FromPretrained(TinyEncoder.Write(Path.Combine(Dir, "encoder")));
        using var noGrad = Torch.NoGrad();
        Torch.ManualSeed(123);
        int crop = TinyEncoder.Config.CropSize;
        for (int i = 0; i < Captions.Length; i++)
            Features.Add(vjepa.GetVisionFeatures(Tensor.Randn([1, 4, 3, crop, crop])).Squeeze(0).DetachFromScope());
    }

    public List<CaptionExample> Examples() =>
        Captions.Select((c, i) => new CaptionExample($"clip{i}", [c, c.Replace("moving", "going")], () => Features[i].Alias())).ToList();

    public void Dispose()
    {
        Lm.Dispose();
        foreach (var f in Features) f.Dispose();
        Directory.Delete(Dir, true);
    }
}

/// <summary>Self-critical sequence training: its loss's gradient, its determinism and resume, and its log.</summary>
[Collection(nameof(GlobalRng))]
public sealed class ScstTrainingTests(ScstModels m, ITestOutputHelper output) : IClassFixture<ScstModels>
{
    private const int Eos = 151643;

    private static QFormerTrainerOptions Tiny(string dir) => new()
    {
        QFormer = new QFormerConfig { NumQueries = 8, NumHeads = 2, Depth = 1, Dropout = 0.1, MlpDropout = 0.1 },
        LearningRate = 3e-3, WeightDecay = 0.0, BatchSize = 1, GradientAccumulationSteps = 2, Epochs = 2, Seed = 7,
        ScstEpochs = 2, ScstSamples = 3, ScstLearningRate = 1e-3, MaxGradNorm = 1.0,
        CheckpointDirectory = dir, SelectionMetric = "loss", Generation = new GenerationOptions { MaxNewTokens = 8 },
    };

    private static float[] Weights(QFormerModel q) => q.Parameters().SelectMany(p => p.ToFloatArray()).ToArray();

    private long[] Ids(string text) => m.Tokenizer.Encode(text).Select(i => (long)i).ToArray();

    [Fact]
    public void LossGradientIsTheReinforceGradientOfTheSamples()
    {
        // Fixed samples (one ends without eos, one has tokens after its eos that must not count) and fixed advantages.
        // Independent expectation: Σ_n (r_n − b_n) / N · ∇ CE_n, where CE_n is the model's ordinary teacher-forced caption
        // loss of sample n alone (mean token cross-entropy = −mean token log-probability), one backward pass per sample.
        Torch.ManualSeed(11);
        using var qformer = new QFormerModel(new QFormerConfig { NumQueries = 8, NumHeads = 2, Depth = 1, Dim = 64, VisualDim = (int)m.Features[0].Size(-1) },
            TensorOptions.CpuFloat32);
        qformer.ResetParameters();
        qformer.Eval();   // no dropout: both computations see the same prefix
        qformer.RequiresGrad(true);
        var model = new VideoCaptionModel(qformer, m.Lm, Ids("a video showing:"));
        int[] clipOf = [0, 0, 1, 2];
        long[][] samples =
        [
            [.. Ids(" red circle moving left"), Eos],
            [.. Ids(" blue circle"), Eos, Eos, Eos],
            [.. Ids(" green triangle moving down moving")],
            [.. Ids(" yellow"), Eos, .. Ids(" square moving")],
        ];
        double[] advantages = [0.7, -1.3, 0.2, 0.45];

        using var scope = TensorScope.Open();
        var features = Tensor.Stack(clipOf.Select(c => m.Features[c]).ToList(), 0);
        var loss = QFormerTrainingLoop.ScstLoss(model, model.PrefixEmbeds(features), samples, advantages, [Eos]);
        loss.Backward();
        var actual = qformer.Parameters().Select(p => p.Grad!.ToFloatArray()).ToArray();
        foreach (var p in qformer.Parameters()) p.ZeroGrad();

        double expectedLoss = 0;
        for (int n = 0; n < samples.Length; n++)
        {
            int end = Array.IndexOf(samples[n], (long)Eos);
            var tokens = end >= 0 ? samples[n][..(end + 1)] : samples[n];
            var ce = model.Loss(m.Features[clipOf[n]].Unsqueeze(0), Tensor.From<long>(tokens, [1, tokens.Length], Device.Cpu),
                Tensor.Ones([1, tokens.Length], DType.Int64, Device.Cpu), maskPadding: true);
            expectedLoss += advantages[n] * ce.Item() / samples.Length;
            (ce * (advantages[n] / samples.Length)).Backward();
        }
        var expected = qformer.Parameters().Select(p => p.Grad!.ToFloatArray()).ToArray();

        Assert.Equal(expectedLoss, loss.Item(), 1e-5);   // a tolerance: rounding both to 5 places fails on fp32 noise at a rounding boundary
        double maxAbs = 0, maxRef = 0;
        for (int i = 0; i < expected.Length; i++)
            for (int j = 0; j < expected[i].Length; j++)
            {
                maxAbs = Math.Max(maxAbs, Math.Abs(actual[i][j] - expected[i][j]));
                maxRef = Math.Max(maxRef, Math.Abs(expected[i][j]));
            }
        output.WriteLine($"SCST gradient vs Σ(r−b)∇CE: max abs error {maxAbs:E2}, relative to the largest component {maxAbs / maxRef:E2} (largest {maxRef:E2})");
        Assert.True(maxRef > 1e-4, "the gradient is not trivially zero");
        // float32 sums in a different order: a few ulps of the largest component
        Assert.True(maxAbs <= 1e-5 * maxRef, $"max abs error {maxAbs:E2} for largest component {maxRef:E2}");
    }

    [Fact]
    public void KilledInTheScstPhaseResumesToIdenticalWeights()
    {
        // 4 clips, batch 1 × accumulation 2: 2 steps per epoch; steps 1–4 cross-entropy, 5–8 self-critical (dropout on,
        // sampling from libtorch's generator). Cancelled after step 6 (mid SCST epoch); a crash after step 7 with a
        // checkpoint every step; both resumed runs must end with the uninterrupted run's weights, bit for bit.
        var full = new QFormerTrainingLoop(Tiny(Path.Combine(m.Dir, "full")), m.Lm, m.Tokenizer).Train(m.Examples());
        var expected = Weights(full.QFormer);
        full.QFormer.Dispose();
        var scstSteps = File.ReadAllLines(Path.Combine(m.Dir, "full", QFormerTrainingLoop.LogFile)).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(l => l.GetProperty("type").GetString() == "step" && l.GetProperty("phase").GetString() == "scst").ToList();
        Assert.Equal(4, scstSteps.Count);
        Assert.Contains(scstSteps, s => s.GetProperty("reward").GetDouble() != s.GetProperty("baseline").GetDouble());   // a learning signal
        var ceOnly = new QFormerTrainingLoop(Tiny(Path.Combine(m.Dir, "ce")) with { ScstEpochs = 0 }, m.Lm, m.Tokenizer).Train(m.Examples());
        Assert.NotEqual(Weights(ceOnly.QFormer), expected);   // the SCST epochs changed the weights
        ceOnly.QFormer.Dispose();

        var dirB = Path.Combine(m.Dir, "cancelled");
        using var cts = new CancellationTokenSource();
        var cancel = new SyncProgress(p => { if (p.Phase == "train" && p.Step == 6) cts.Cancel(); });
        var part = new QFormerTrainingLoop(Tiny(dirB), m.Lm, m.Tokenizer).Train(m.Examples(), null, cancel, cts.Token);
        Assert.True(part.Cancelled);
        part.QFormer.Dispose();
        var resumed = new QFormerTrainingLoop(Tiny(dirB), m.Lm, m.Tokenizer).Train(m.Examples());
        Assert.Equal(expected, Weights(resumed.QFormer));
        resumed.QFormer.Dispose();

        var dirC = Path.Combine(m.Dir, "crashed");
        var crash = new SyncProgress(p => { if (p.Phase == "train" && p.Step == 7) throw new IOException("simulated crash"); });
        Assert.Throws<IOException>(() => new QFormerTrainingLoop(Tiny(dirC) with { CheckpointEverySteps = 1 }, m.Lm, m.Tokenizer).Train(m.Examples(), null, crash));
        var again = new QFormerTrainingLoop(Tiny(dirC) with { CheckpointEverySteps = 1 }, m.Lm, m.Tokenizer).Train(m.Examples());
        Assert.Equal(expected, Weights(again.QFormer));
        again.QFormer.Dispose();
    }

    [Fact]
    public void LogsRewardBaselineAndShareAboveItAndSelectsAcrossPhases()
    {
        var dir = Path.Combine(m.Dir, "log");
        var opts = Tiny(dir) with { Epochs = 1, ScstEpochs = 2, ScstBaseline = ScstBaseline.MeanOfOtherSamples, SelectionMetric = "CIDEr" };
        var reports = new List<TrainingProgress>();
        var result = new QFormerTrainingLoop(opts, m.Lm, m.Tokenizer).Train(m.Examples(), m.Examples(), new SyncProgress(reports.Add));
        result.QFormer.Dispose();
        var lines = File.ReadAllLines(Path.Combine(dir, QFormerTrainingLoop.LogFile)).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var steps = lines.Where(l => l.GetProperty("type").GetString() == "step").ToList();
        Assert.Equal(["ce", "ce", "scst", "scst", "scst", "scst"], steps.Select(s => s.GetProperty("phase").GetString()));
        foreach (var s in steps.Skip(2))
        {
            Assert.Equal(opts.ScstLearningRate, s.GetProperty("lr").GetDouble(), 12);
            double beat = s.GetProperty("beat_baseline").GetDouble();
            Assert.InRange(beat, 0, 1);
            // mean-of-others baselines average to the mean reward
            Assert.Equal(s.GetProperty("reward").GetDouble(), s.GetProperty("baseline").GetDouble(), 9);
        }
        Assert.Equal(JsonValueKind.Null, steps[0].GetProperty("reward").ValueKind);
        Assert.All(reports.Where(r => r.Phase == "train").Skip(2), r => Assert.NotNull(r.Scst));
        // one best epoch over both phases: the one with the highest validation CIDEr
        var cider = result.Epochs.Select(e => e.Metrics!["CIDEr"]).ToList();
        Assert.Equal(3, cider.Count);
        Assert.Equal(cider.IndexOf(cider.Max()), result.BestEpoch);
        Assert.Null(result.Epochs[0].Scst);
        Assert.NotNull(result.Epochs[2].Scst);
    }
}
