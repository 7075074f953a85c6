using System.Text.Json;
using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Models;
using Microsoft.ML.VideoCaptioning.Models.QFormer;
using Microsoft.ML.VideoCaptioning.Models.Qwen2;
using Microsoft.ML.VideoCaptioning.Models.VJepa2;
using Microsoft.ML.VideoCaptioning.Text;
using Microsoft.ML.VideoCaptioning.Training;

namespace Microsoft.ML.VideoCaptioning.Tests.Training;

/// <summary>
/// The trainer on tiny models: frozen features of random clips from a tiny random V-JEPA 2 (<see cref="TinyEncoder"/>), a
/// frozen random 2-layer Qwen2 with the real vocabulary (written in HF layout by RandomModels, briefly pretrained on the
/// captions, then frozen) and the real Qwen2 tokenizer.
/// </summary>
[Collection(nameof(GlobalRng))]
public sealed class TrainerTests : IDisposable
{
    private static readonly string[] Captions = ["red circle moving left", "blue square moving up", "green triangle moving down", "yellow circle moving right"];
    private readonly Qwen2ForCausalLM _lm;
    private readonly Qwen2Tokenizer _tok = Qwen2Tokenizer.FromTokenizerJson(Path.Combine(TestPaths.Assets, "qwen2-tokenizer", "tokenizer.json"));
    private readonly List<Tensor> _features = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("vidcap-train-").FullName;

    public TrainerTests()
    {
        // A steerable random LM with the real vocabulary (the fixture's logits are nearly flat by construction).
        var lmDir = Path.Combine(_dir, "lm");
        RandomModels.WriteQwen2(lmDir, new Qwen2Config { HiddenSize = 64, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2, IntermediateSize = 128, VocabSize = 151936, RopeTheta = 1e6, TieWordEmbeddings = true, EosTokenIds = [151643] }, seed: 3, DType.BFloat16);
        _lm = Qwen2ForCausalLM.FromPretrained(lmDir);
        // the language prior: P(caption | prompt) over the four captions; the Q-Former must pick the clip's one
        var pre = LanguageModelPretrainer.Pretrain(_lm, _tok, Captions.Select(c => "a video showing: " + c).ToList(), steps: 60, seed: 1);
        Assert.True(pre[^1] < 0.5 * pre[0], $"pretraining loss {pre[0]:F2} → {pre[^1]:F2}");
        using var vjepa = VJepa2Model.FromPretrained(TinyEncoder.Write(Path.Combine(_dir, "encoder")));
        using var noGrad = Torch.NoGrad();
        Torch.ManualSeed(123);
        int crop = TinyEncoder.Config.CropSize;
        for (int i = 0; i < Captions.Length; i++)
            _features.Add(vjepa.GetVisionFeatures(Tensor.Randn([1, 4, 3, crop, crop])).Squeeze(0).DetachFromScope());
    }

    public void Dispose()
    {
        _lm.Dispose();
        foreach (var f in _features) f.Dispose();
        Directory.Delete(_dir, true);
    }

    private List<CaptionExample> Examples() =>
        Captions.Select((c, i) => new CaptionExample($"clip{i}", [c], () => _features[i].Alias())).ToList();

    private static QFormerTrainerOptions Tiny(string? dir = null) => new()
    {
        QFormer = new QFormerConfig { NumQueries = 8, NumHeads = 2, Depth = 1, Dropout = 0.1, MlpDropout = 0.1 },
        LearningRate = 3e-3, WeightDecay = 0.0, BatchSize = 2, GradientAccumulationSteps = 1, Epochs = 60, Seed = 7,
        CheckpointDirectory = dir, SelectionMetric = "loss", Generation = new GenerationOptions { MaxNewTokens = 8 },
    };

    [Fact]
    public void LearnsToCaptionTheTrainingClips()
    {
        // Thresholds: the final epoch's training loss is below 10 % of the first epoch's, and greedy decoding of every
        // training clip reproduces its caption exactly.
        var data = Examples();
        var opts = Tiny() with { Epochs = 60 };
        var result = new QFormerTrainingLoop(opts, _lm, _tok).Train(data);
        double first = result.Epochs[0].TrainLoss, last = result.Epochs[^1].TrainLoss;
        Assert.True(last < 0.1 * first, $"loss {first:F3} → {last:F3}");
        using var scope = TensorScope.Open();
        var model = new VideoCaptionModel(result.QFormer, _lm, _tok.Encode("a video showing:").Select(i => (long)i).ToArray());
        var generated = model.Generate(Tensor.Stack(_features, 0), new GenerationOptions { MaxNewTokens = 8 });
        var decoded = generated.Select(g => _tok.Decode(g.Select(v => (int)v).ToArray(), skipSpecialTokens: true).Trim()).ToArray();
        Assert.Equal(Captions, decoded);
        result.QFormer.Dispose();
    }

    private static float[] Weights(QFormerModel q) => q.Parameters().SelectMany(p => p.ToFloatArray()).ToArray();

    [Fact]
    public void ResumeAfterCancellationEndsWithIdenticalWeights()
    {
        var opts = Tiny() with { Epochs = 3, GradientAccumulationSteps = 2, BatchSize = 1 };   // 2 steps per epoch, dropout on
        var full = new QFormerTrainingLoop(opts with { CheckpointDirectory = Path.Combine(_dir, "a") }, _lm, _tok).Train(Examples());
        var expected = Weights(full.QFormer);
        full.QFormer.Dispose();

        var dirB = Path.Combine(_dir, "b");
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress(p => { if (p.Phase == "train" && p.Step == 3) cts.Cancel(); });
        var part = new QFormerTrainingLoop(opts with { CheckpointDirectory = dirB }, _lm, _tok).Train(Examples(), null, progress, cts.Token);
        Assert.True(part.Cancelled);
        part.QFormer.Dispose();
        Assert.True(File.Exists(Path.Combine(dirB, QFormerTrainingLoop.CheckpointFile)));
        var resumed = new QFormerTrainingLoop(opts with { CheckpointDirectory = dirB }, _lm, _tok).Train(Examples());
        Assert.False(resumed.Cancelled);
        Assert.Equal(expected, Weights(resumed.QFormer));
        resumed.QFormer.Dispose();
    }

    [Fact]
    public void CrashMidEpochResumesFromTheStepCheckpoint()
    {
        var opts = Tiny() with { Epochs = 2, BatchSize = 1, GradientAccumulationSteps = 1, CheckpointEverySteps = 1 };
        var full = new QFormerTrainingLoop(opts with { CheckpointDirectory = Path.Combine(_dir, "a") }, _lm, _tok).Train(Examples());
        var expected = Weights(full.QFormer);
        full.QFormer.Dispose();
        var dirB = Path.Combine(_dir, "b");
        var crash = new SyncProgress(p => { if (p.Phase == "train" && p.Step == 6) throw new IOException("simulated crash"); });
        Assert.Throws<IOException>(() => new QFormerTrainingLoop(opts with { CheckpointDirectory = dirB }, _lm, _tok).Train(Examples(), null, crash));
        var resumed = new QFormerTrainingLoop(opts with { CheckpointDirectory = dirB }, _lm, _tok).Train(Examples());
        Assert.Equal(expected, Weights(resumed.QFormer));
        resumed.QFormer.Dispose();
    }

    [Fact]
    public void LogsEveryStepWithWarmupAndCosineSchedule()
    {
        var dir = Path.Combine(_dir, "log");
        var opts = Tiny(dir) with { Epochs = 3, BatchSize = 1, WarmupSteps = 4, Schedule = LearningRateSchedule.Cosine, MinLearningRateRatio = 0.1, MaxGradNorm = 1.0 };
        var result = new QFormerTrainingLoop(opts, _lm, _tok).Train(Examples(), Examples().Take(2).ToList());
        result.QFormer.Dispose();
        var lines = File.ReadAllLines(Path.Combine(dir, QFormerTrainingLoop.LogFile)).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var steps = lines.Where(l => l.GetProperty("type").GetString() == "step").ToList();
        var epochs = lines.Where(l => l.GetProperty("type").GetString() == "epoch").ToList();
        Assert.Equal(12, steps.Count);
        Assert.Equal(3, epochs.Count);
        var lr = steps.Select(s => s.GetProperty("lr").GetDouble()).ToArray();
        double peak = opts.LearningRate;
        for (int i = 0; i < 4; i++) Assert.Equal(peak * (i + 1) / 4, lr[i], 12);
        for (int i = 5; i < lr.Length; i++) Assert.True(lr[i] < lr[i - 1]);
        double progressLast = (11.0 - 4) / (12 - 4);
        Assert.Equal(peak * (0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI * progressLast))), lr[^1], 12);
        Assert.All(steps, s => Assert.True(s.GetProperty("grad_norm").GetDouble() > 0));
        Assert.All(epochs, e => Assert.True(e.GetProperty("metrics").GetProperty("CIDEr").ValueKind == JsonValueKind.Number));
        Assert.True(Directory.Exists(Path.Combine(dir, QFormerTrainingLoop.BestDirectory)));
    }
}
