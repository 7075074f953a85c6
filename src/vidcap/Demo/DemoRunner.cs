using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML.VideoCaptioning.Data;
using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Evaluation;
using Microsoft.ML.VideoCaptioning.Models;
using Microsoft.ML.VideoCaptioning.Models.QFormer;
using Microsoft.ML.VideoCaptioning.Models.Qwen2;
using Microsoft.ML.VideoCaptioning.Models.VJepa2;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.VideoCaptioning.Text;
using Microsoft.ML.VideoCaptioning.Training;
using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning.Cli.Demo;

/// <summary>Settings of the synthetic-world demo.</summary>
public sealed record DemoOptions
{
    public string OutputDirectory { get; init; } = Path.Combine("artifacts", "demo");
    /// <summary>Clips rendered in all (train + validation + test).</summary>
    public int Clips { get; init; } = 480;
    /// <summary>Of those, held-out test clips (half of them of held-out combinations).</summary>
    public int TestClips { get; init; } = 60;
    public int Seed { get; init; } = 1;
    public int Epochs { get; init; } = 40;
    /// <summary>Self-critical (SCST) epochs after the cross-entropy epochs (0 = off).</summary>
    public int ScstEpochs { get; init; }
    /// <summary>Learning rate of the SCST epochs.</summary>
    public double ScstLearningRate { get; init; } = 1e-4;
    public int LanguageModelSteps { get; init; } = 120;
    public int ReportClips { get; init; } = 8;
    /// <summary>How the clips are rendered (sizes, frame counts, path jitter); their number, seed and test share come from <see cref="Clips"/>, <see cref="Seed"/> and <see cref="TestClips"/>.</summary>
    public SyntheticWorldOptions World { get; init; } = new();
    /// <summary>Segments of the long video captioned window by window for the report's timeline strip (0 = none).</summary>
    public int TimelineSegments { get; init; } = 6;
}

/// <summary>What the demo measured (written to metrics.json).</summary>
public sealed record DemoResult(IReadOnlyDictionary<string, double> Metrics, string ReportPath, string ModelPath, double Seconds);

/// <summary>
/// The whole system end to end on a synthetic world, in minutes on a CPU: render clips → frozen tiny random V-JEPA 2 →
/// frozen tiny Qwen2 (real Qwen2 tokenizer, briefly pretrained on caption text for a language prior) → featurize → train
/// the Q-Former → evaluate on held-out colour×shape×motion combinations → caption → report, metrics and model zip.
/// Every step goes through the public pipeline API.
/// </summary>
public static class DemoRunner
{
    /// <summary>
    /// The demo's stand-in encoder: V-JEPA 2's architecture, tiny and random, one layer (less random mixing between tokens).
    /// Patches of 8 pixels keep shape detail at crop 64.
    /// </summary>
    public static readonly VJepa2Config Encoder = new() { HiddenSize = 192, NumHiddenLayers = 1, NumAttentionHeads = 4, PatchSize = 8, CropSize = 64 };

    private const int Frames = 16;

    private static readonly CaptionEvaluator CiderOnly = new(new CaptionEvaluatorOptions { Metrics = CaptionMetricKinds.CIDEr });

    public static DemoResult Run(DemoOptions o, Action<string> log, CancellationToken cancellation = default)
    {
        var clock = Stopwatch.StartNew();
        var root = Path.GetFullPath(o.OutputDirectory);
        Directory.CreateDirectory(root);
        var dataDir = Path.Combine(root, "data");
        var modelsDir = Path.Combine(root, "models");
        // folders named by their settings: a changed setting makes new models instead of reusing stale ones
        string encoderDir = Path.Combine(modelsDir, $"vjepa2-tiny-h{Encoder.HiddenSize}-l{Encoder.NumHiddenLayers}-p{Encoder.PatchSize}-seed{o.Seed}");
        string lmDir = Path.Combine(modelsDir, $"qwen2-tiny-h64-steps{o.LanguageModelSteps}-seed{o.Seed}");

        // 1. synthetic clips (kept between runs when the settings are the same)
        if (o.TestClips < 1 || o.TestClips >= o.Clips) throw new ArgumentException($"TestClips must be between 1 and Clips − 1 ({o.Clips - 1}).");
        var world = o.World with { Count = o.Clips, Seed = o.Seed, TestFraction = (double)o.TestClips / o.Clips };
        var stamp = Path.Combine(dataDir, "world.json");
        var stampText = JsonSerializer.Serialize(world);
        if (!File.Exists(stamp) || File.ReadAllText(stamp) != stampText)
        {
            log($"rendering {o.Clips} synthetic clips → {dataDir}");
            if (Directory.Exists(dataDir)) Directory.Delete(dataDir, true);
            SyntheticWorld.Generate(dataDir, world, cancellation: cancellation);
            File.WriteAllText(stamp, stampText);
        }
        else log($"synthetic clips: reusing {dataDir}");

        // 2. frozen models in Hugging Face layout
        var tokenizer = Qwen2Tokenizer.LoadDefault();
        if (!File.Exists(Path.Combine(encoderDir, "model.safetensors")))
        {
            log($"writing a tiny random V-JEPA 2 (HF layout: {Encoder.NumHiddenLayers} layers, hidden {Encoder.HiddenSize}, patch {Encoder.PatchSize}, crop {Encoder.CropSize})");
            RandomModels.WriteVJepa2(encoderDir, Encoder, seed: (ulong)o.Seed);
        }
        if (!File.Exists(Path.Combine(lmDir, "model.safetensors")))
        {
            log($"writing a tiny Qwen2 (HF layout, real vocabulary) and pretraining it on caption text for {o.LanguageModelSteps} steps");
            var cfg = new Qwen2Config { HiddenSize = 64, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2, IntermediateSize = 192, VocabSize = 151936, RopeTheta = 1e6, TieWordEmbeddings = true, EosTokenIds = [151643] };
            var tmp = lmDir + ".tmp";
            RandomModels.WriteQwen2(tmp, cfg, seed: (ulong)o.Seed);
            using (var lm = Qwen2ForCausalLM.FromPretrained(tmp))
            {
                var text = (from c in SyntheticWorld.Colors from s in SyntheticWorld.Shapes from m in SyntheticWorld.Motions
                            from cap in SyntheticWorld.Captions(c, s, m) select "a video showing: " + cap).ToList();
                var losses = LanguageModelPretrainer.Pretrain(lm, tokenizer, text, o.LanguageModelSteps, seed: (ulong)o.Seed, cancellation: cancellation);
                log($"  language-model loss {losses[0]:F2} → {losses[^1]:F2}");
                lm.Save(Path.Combine(tmp, "model.safetensors"));
            }
            if (Directory.Exists(lmDir)) Directory.Delete(lmDir, true);
            Directory.Move(tmp, lmDir);
        }

        // 3. the pipeline: sample → featurize (cached) → train the Q-Former, the ML.NET way
        var ml = new MLContext(seed: o.Seed);
        ml.Log += (_, e) =>
        {
            if (e.Kind == ChannelMessageKind.Warning || e.Kind == ChannelMessageKind.Info && e.Source.StartsWith("QFormer", StringComparison.Ordinal)) log(e.RawMessage);
        };
        var checkpoints = Path.Combine(root, "checkpoints");
        if (Directory.Exists(checkpoints)) Directory.Delete(checkpoints, true);   // each demo run trains from scratch
        var all = DatasetLoaders.Jsonl(Path.Combine(dataDir, "train.jsonl")).ToList();
        var trainRows = all.Where((_, i) => i % 10 != 0).ToList();
        var valRows = all.Where((_, i) => i % 10 == 0).ToList();
        var testRows = DatasetLoaders.Jsonl(Path.Combine(dataDir, "test.jsonl")).ToList();
        log($"train {trainRows.Count} clips, validation {valRows.Count}, test {testRows.Count} (new clips of seen combinations and clips of {world.HeldOutCombinations} held-out combinations)");
        var featurize = ml.Transforms.SampleVideoFrames("Frames", "VideoPath", frameCount: Frames, cropSize: Encoder.CropSize)
            .Append(ml.Transforms.FeaturizeVJepa("Features", "Frames", encoderDir, cacheDirectory: Path.Combine(root, "features"), batchSize: 16));
        var trainView = ml.Data.LoadFromEnumerable(trainRows);
        log("featurizing the clips (cached), then training the Q-Former");
        var featurizer = featurize.Fit(trainView);
        var trainer = ml.VideoCaptioning().Trainers.QFormer(new QFormerCaptionTrainer.Options
        {
            LanguageModelPath = lmDir,
            PredictionBatchSize = 16,
            QFormer = new QFormerConfig { NumQueries = 32, NumHeads = 4, Depth = 2, Dropout = 0.05, MlpDropout = 0.05, VisualGridTime = Frames / Encoder.TubeletSize, VisualGridHeight = Encoder.GridSize, VisualGridWidth = Encoder.GridSize },
            Epochs = o.Epochs, BatchSize = 16, GradientAccumulationSteps = 1, LearningRate = 4e-3, WeightDecay = 0.03,
            WarmupSteps = 20, Schedule = LearningRateSchedule.Cosine, MinLearningRateRatio = 0.05, MaxGradNorm = 1.0,
            SelectionMetric = "CIDEr", Seed = (ulong)o.Seed, CheckpointDirectory = checkpoints,
            Generation = new GenerationOptions { MaxNewTokens = 16 }, ScstEpochs = o.ScstEpochs, ScstLearningRate = o.ScstLearningRate,
            ValidationSet = featurizer.Transform(ml.Data.LoadFromEnumerable(valRows)), CancellationToken = cancellation,
        });
        using var model = featurizer.Append(trainer.Fit(featurizer.Transform(trainView)));

        // 4. evaluate on the held-out combinations
        log($"captioning and scoring {testRows.Count} held-out clips");
        var scored = ml.Data.Cache(model.Transform(ml.Data.LoadFromEnumerable(testRows)));
        var predictions = scored.GetColumn<string>("Caption").ToList();
        var metrics = ml.VideoCaptioning().Evaluate(scored, "Captions", "Caption");
        var result = new Dictionary<string, double>(metrics.ToDictionary());
        result["baseline_CIDEr"] = BestConstantCider(trainRows, testRows);
        foreach (var (attr, acc) in AttributeAccuracy(testRows, predictions)) result[$"accuracy_{attr}"] = acc;
        // the compositional subset: combinations that never occur in training
        var heldOut = SyntheticWorld.HeldOut(world.Seed, world.HeldOutCombinations).ToHashSet();
        var unseen = Enumerable.Range(0, testRows.Count).Where(i => heldOut.Contains(Combination(testRows[i]))).ToList();
        if (unseen.Count > 0)
        {
            var uRows = unseen.Select(i => testRows[i]).ToList();
            var uPred = unseen.Select(i => predictions[i]).ToList();
            result["CIDEr_unseen"] = Cider(uRows, uPred);
            result["baseline_CIDEr_unseen"] = BestConstantCider(trainRows, uRows);
            foreach (var (attr, acc) in AttributeAccuracy(uRows, uPred)) result[$"accuracy_{attr}_unseen"] = acc;
        }
        // a long video of known segments, captioned window by window (the report's timeline strip)
        IReadOnlyList<DemoTimelineWindow> strip = [];
        if (o.TimelineSegments > 0)
        {
            log($"captioning a long video of {o.TimelineSegments} known segments in {DemoTimeline.WindowSeconds:F0}-second windows");
            (strip, var timelineMetrics) = DemoTimeline.Run(ml, model, root, DemoTimeline.Segments(o.TimelineSegments, o.Seed), world, o.Seed);
            foreach (var (k, v) in timelineMetrics) result[k] = v;
        }
        result["test_clips"] = testRows.Count;
        result["test_clips_unseen"] = unseen.Count;
        result["train_clips"] = trainRows.Count;

        // 5. save in the ML.NET zip, reload in a fresh context, and check the reloaded model captions identically
        var zip = Path.Combine(root, "captioner.zip");
        ml.Model.Save(model, trainView.Schema, zip);
        var fresh = new MLContext();
        using (var reloaded = (IDisposable)fresh.Model.Load(zip, out _))
        {
            var again = ((ITransformer)reloaded).Transform(fresh.Data.LoadFromEnumerable(testRows.Take(4).ToList())).GetColumn<string>("Caption").ToList();
            if (!again.SequenceEqual(predictions.Take(4))) throw new InvalidOperationException("The reloaded model captions differently from the trained one.");
        }
        result["seconds"] = clock.Elapsed.TotalSeconds;

        // 6. report
        var history = model.LastTransformer.TrainingHistory;
        var report = DemoReport.Write(root, testRows, predictions, result, history, o.ReportClips, log, strip);
        File.WriteAllText(Path.Combine(root, "metrics.json"), JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
        return new DemoResult(result, report, zip, clock.Elapsed.TotalSeconds);
    }

    private static (string, string, string) Combination(VideoCaptionRow r)
    {
        var (c, s, m) = SyntheticWorld.ParseAttributes(r.Captions[0]);
        return (c!, s!, m!);
    }

    /// <summary>CIDEr of the best single caption predicted for every test clip, over all training references.</summary>
    public static double BestConstantCider(IReadOnlyList<VideoCaptionRow> train, IReadOnlyList<VideoCaptionRow> test) =>
        train.SelectMany(r => r.Captions).Distinct().Max(c => Cider(test, test.Select(_ => c)));

    /// <summary>CIDEr-D of <paramref name="predictions"/> (one per row, in order) against the rows' references.</summary>
    private static double Cider(IReadOnlyList<VideoCaptionRow> rows, IEnumerable<string> predictions) =>
        CiderOnly.Evaluate(rows.ToDictionary(r => r.Id, r => (IReadOnlyList<string>)r.Captions), rows.Zip(predictions).ToDictionary(p => p.First.Id, p => p.Second)).CIDEr ?? 0;

    /// <summary>Share of test clips whose caption names the right colour, shape and motion.</summary>
    public static IEnumerable<(string Attribute, double Accuracy)> AttributeAccuracy(IReadOnlyList<VideoCaptionRow> test, IReadOnlyList<string> predictions) =>
        AttributeAccuracy(test.Select(r => r.Captions[0]).ToList(), predictions);

    /// <summary>Share of predictions that name the colour, shape and motion of the true caption in the same place.</summary>
    public static IEnumerable<(string Attribute, double Accuracy)> AttributeAccuracy(IReadOnlyList<string> truths, IReadOnlyList<string> predictions)
    {
        var truth = truths.Select(SyntheticWorld.ParseAttributes).ToList();
        var pred = predictions.Select(SyntheticWorld.ParseAttributes).ToList();
        double Acc(Func<(string?, string?, string?), string?> f) => truth.Zip(pred).Count(p => f(p.First) == f(p.Second) && f(p.Second) != null) / (double)truths.Count;
        yield return ("color", Acc(a => a.Item1));
        yield return ("shape", Acc(a => a.Item2));
        yield return ("motion", Acc(a => a.Item3));
        yield return ("all", truth.Zip(pred).Count(p => p.First == p.Second) / (double)truths.Count);
    }
}
