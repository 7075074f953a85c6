using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Evaluation;
using Microsoft.ML.VideoCaptioning.Models;
using Microsoft.ML.VideoCaptioning.Models.QFormer;
using Microsoft.ML.VideoCaptioning.Models.Qwen2;
using Microsoft.ML.VideoCaptioning.Text;

namespace Microsoft.ML.VideoCaptioning.Training;

/// <summary>
/// Trains the Q-Former between frozen visual features and a frozen Qwen2 (the seed's train.py): shuffled micro-batches,
/// one paraphrase drawn per example and epoch, AdamW with gradient accumulation, optional warm-up/cosine and clipping,
/// validation each epoch (loss, greedy captions, coco metrics), best-epoch selection, early stopping, atomic checkpoints
/// that resume to bit-identical weights on the CPU, and cancellation that leaves a valid checkpoint.
/// </summary>
public sealed class QFormerTrainingLoop
{
    private readonly QFormerTrainerOptions _o;
    private readonly Qwen2ForCausalLM _lm;
    private readonly Qwen2Tokenizer _tokenizer;
    private readonly long[] _promptIds;

    public const string CheckpointFile = "checkpoint.safetensors";
    public const string BestDirectory = "best";
    public const string LogFile = "train_log.jsonl";

    /// <summary>The language model must already be on <see cref="QFormerTrainerOptions.Device"/> in its compute type, frozen.</summary>
    public QFormerTrainingLoop(QFormerTrainerOptions options, Qwen2ForCausalLM languageModel, Qwen2Tokenizer tokenizer)
    {
        options.Validate();
        _o = options;
        _lm = languageModel;
        _tokenizer = tokenizer;
        _promptIds = tokenizer.Encode(options.Prompt).Select(i => (long)i).ToArray();
    }

    private sealed record State(int Epoch, int MicroBatch, long GlobalStep, double? BestValue, int BestEpoch, int EpochsWithoutImprovement, List<EpochSummary> History);

    /// <summary>Trains on <paramref name="train"/>; validates on <paramref name="validation"/> after each epoch when given.</summary>
    public TrainingResult Train(IReadOnlyList<CaptionExample> train, IReadOnlyList<CaptionExample>? validation = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        if (train.Count == 0) throw new ArgumentException("The training set is empty.");
        if (train.Any(e => e.Captions.Count == 0)) throw new ArgumentException($"Example '{train.First(e => e.Captions.Count == 0).Id}' has no caption.");
        int visualDim;
        using (var s = TensorScope.Open()) visualDim = (int)train[0].LoadFeatures().Size(-1);
        var config = _o.QFormer with { Dim = _lm.Config.HiddenSize, VisualDim = visualDim };
        var device = _lm.model.embed_tokens.weight.Device;

        Torch.ManualSeed(_o.Seed);
        var qformer = new QFormerModel(config, new TensorOptions(device, DType.Float32));
        qformer.ResetParameters();
        qformer.RequiresGrad(true);
        var model = new VideoCaptionModel(qformer, _lm, _promptIds);
        using var optimizer = new AdamW(qformer.Parameters(), _o.LearningRate, _o.WeightDecay, _o.Beta1, _o.Beta2, _o.AdamEpsilon);

        int batchesPerEpoch = (train.Count + _o.BatchSize - 1) / _o.BatchSize;
        int stepsPerEpoch = (batchesPerEpoch + _o.GradientAccumulationSteps - 1) / _o.GradientAccumulationSteps;
        int totalEpochs = _o.Epochs + _o.ScstEpochs;
        long crossEntropySteps = (long)stepsPerEpoch * _o.Epochs;
        long totalSteps = (long)stepsPerEpoch * totalEpochs;
        var state = new State(0, 0, 0, null, -1, 0, new List<EpochSummary>());
        string? dir = _o.CheckpointDirectory;
        if (dir != null)
        {
            Directory.CreateDirectory(dir);
            if (_o.Resume && File.Exists(Path.Combine(dir, CheckpointFile))) state = LoadCheckpoint(Path.Combine(dir, CheckpointFile), qformer, optimizer, config);
        }
        using var log = dir != null ? new StreamWriter(Path.Combine(dir, LogFile), append: true) { AutoFlush = true } : null;
        // CIDEr-D document frequencies come from the training references, once (as the reference SCST implementations do)
        var rewards = _o.ScstEpochs > 0 ? new ScstRewardScorer(train, _o.ScstReward, _o.ScstBleuWeight) : null;

        bool stoppedEarly = false, cancelled = false;
        var clock = Stopwatch.StartNew();
        long samplesDone = 0;
        long startStep = state.GlobalStep;
        for (int epoch = state.Epoch; epoch < totalEpochs && !stoppedEarly && !cancelled; epoch++)
        {
            bool scst = epoch >= _o.Epochs;
            int first = epoch == state.Epoch ? state.MicroBatch : 0;
            if (scst && epoch == _o.Epochs && first == 0 && dir != null && File.Exists(Path.Combine(dir, BestDirectory, "model.safetensors")))
            {
                using var best = Checkpoint.Open(Path.Combine(dir, BestDirectory));   // self-critical training starts from the best epoch
                qformer.Load(best);
            }
            qformer.Train();
            var order = Permutation(train.Count, epoch);
            double lossSum = 0, rewardSum = 0, baselineSum = 0, beatSum = 0;
            int lossCount = 0;
            byte[] windowRng = Torch.GetRngState(Device.Cpu);
            for (int mb = first; mb < batchesPerEpoch; mb++)
            {
                if (mb % _o.GradientAccumulationSteps == 0) windowRng = Torch.GetRngState(Device.Cpu);
                if (cancellation.IsCancellationRequested)
                {
                    // Weights and moments are those of the last optimizer step; resume replays this accumulation window.
                    int windowStart = mb - mb % _o.GradientAccumulationSteps;
                    if (dir != null) SaveCheckpoint(dir, qformer, optimizer, config, state with { Epoch = epoch, MicroBatch = windowStart }, windowRng);
                    cancelled = true;
                    break;
                }
                var ids = order.Skip(mb * _o.BatchSize).Take(_o.BatchSize).ToArray();
                double loss;
                ScstStatistics? stats = null;
                using (var scope = TensorScope.Open())
                {
                    if (scst) (loss, stats) = ScstAccumulateGradients(model, Features(train, ids, device), ids, rewards!, _o.GradientAccumulationSteps);
                    else
                    {
                        var (features, captionIds, captionMask) = Batch(train, ids, epoch, device);
                        loss = AccumulateGradients(model, features, captionIds, captionMask, _o.MaskPaddingInLabels, _o.GradientAccumulationSteps);
                    }
                }
                lossSum += loss * ids.Length;
                lossCount += ids.Length;
                samplesDone += ids.Length;
                if (stats != null)
                {
                    rewardSum += stats.Reward * ids.Length;
                    baselineSum += stats.Baseline * ids.Length;
                    beatSum += stats.BeatBaseline * ids.Length;
                }
                bool stepNow = (mb + 1) % _o.GradientAccumulationSteps == 0 || mb == batchesPerEpoch - 1;
                if (!stepNow) continue;
                double lr = scst ? _o.ScstLearningRate : LearningRateAt(state.GlobalStep, crossEntropySteps);
                double? gradNorm = OptimizerStep(qformer, optimizer, lr, _o.MaxGradNorm);
                state = state with { GlobalStep = state.GlobalStep + 1 };
                double rate = samplesDone / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
                long doneSteps = state.GlobalStep - startStep;
                TimeSpan? eta = doneSteps > 0 ? TimeSpan.FromSeconds(clock.Elapsed.TotalSeconds / doneSteps * (totalSteps - state.GlobalStep)) : null;
                Log(log, new
                {
                    type = "step", phase = scst ? "scst" : "ce", epoch, step = state.GlobalStep, loss, lr = optimizer.LearningRate, grad_norm = gradNorm,
                    reward = stats?.Reward, baseline = stats?.Baseline, beat_baseline = stats?.BeatBaseline, samples_per_second = rate, seconds = clock.Elapsed.TotalSeconds,
                });
                progress?.Report(new TrainingProgress("train", epoch, totalEpochs, state.GlobalStep, totalSteps, loss, rate, eta, Scst: stats));
                if (dir != null && _o.CheckpointEverySteps > 0 && state.GlobalStep % _o.CheckpointEverySteps == 0 && mb < batchesPerEpoch - 1)
                    SaveCheckpoint(dir, qformer, optimizer, config, state with { Epoch = epoch, MicroBatch = mb + 1 }, Torch.GetRngState(Device.Cpu));
            }
            if (cancelled) break;

            double trainLoss = lossCount > 0 ? lossSum / lossCount : double.NaN;
            var epochScst = scst && lossCount > 0 ? new ScstStatistics(rewardSum / lossCount, baselineSum / lossCount, beatSum / lossCount) : null;
            double? valLoss = null;
            IReadOnlyDictionary<string, double>? metrics = null;
            if (validation is { Count: > 0 })
            {
                progress?.Report(new TrainingProgress("validate", epoch, totalEpochs, state.GlobalStep, totalSteps, trainLoss, 0, null));
                (valLoss, metrics) = Validate(model, validation, device);
            }
            // one selection across both phases (the SCST loss is no caption loss: "loss" then needs validation data)
            double? value = _o.SelectionMetric == "loss" ? valLoss ?? (scst ? null : trainLoss) : metrics?.GetValueOrDefault(_o.SelectionMetric);
            bool lowerIsBetter = _o.SelectionMetric == "loss";
            bool isBest = value is { } v && (state.BestValue is not { } b || (lowerIsBetter ? v < b : v > b));
            if (value == null) isBest = true;   // nothing to compare: the latest epoch is kept
            var summary = new EpochSummary(epoch, trainLoss, valLoss, metrics, isBest, epochScst);
            state.History.Add(summary);
            state = isBest
                ? state with { BestValue = value, BestEpoch = epoch, EpochsWithoutImprovement = 0 }
                : state with { EpochsWithoutImprovement = state.EpochsWithoutImprovement + 1 };
            Log(log, new
            {
                type = "epoch", phase = scst ? "scst" : "ce", epoch, train_loss = trainLoss, validation_loss = valLoss, metrics, best = isBest,
                reward = epochScst?.Reward, baseline = epochScst?.Baseline, beat_baseline = epochScst?.BeatBaseline, seconds = clock.Elapsed.TotalSeconds,
            });
            progress?.Report(new TrainingProgress("epoch", epoch, totalEpochs, state.GlobalStep, totalSteps, trainLoss, 0, null, metrics, epochScst));
            if (dir != null && isBest) SaveBest(dir, qformer);
            int next = epoch + 1;
            if (_o.EarlyStoppingPatience is { } patience && state.EpochsWithoutImprovement >= patience)
            {
                // early stopping ends the cross-entropy phase; the self-critical phase, if any, still runs
                if (!scst && _o.ScstEpochs > 0) (next, state) = (_o.Epochs, state with { EpochsWithoutImprovement = 0 });
                else stoppedEarly = true;
            }
            if (dir != null) SaveCheckpoint(dir, qformer, optimizer, config, state with { Epoch = next, MicroBatch = 0 }, Torch.GetRngState(Device.Cpu));
            epoch = next - 1;
        }

        qformer.Eval();
        qformer.RequiresGrad(false);
        if (dir != null && !cancelled && File.Exists(Path.Combine(dir, BestDirectory, "model.safetensors")))
        {
            using var best = Checkpoint.Open(Path.Combine(dir, BestDirectory));
            qformer.Load(best);
        }
        return new TrainingResult(qformer, state.History, state.BestEpoch, stoppedEarly, cancelled);
    }

    /// <summary>
    /// One micro-batch of the training loop: the caption loss of the batch, whose gradient, divided by
    /// <paramref name="accumulationSteps"/>, is added to the Q-Former's (the language model is frozen). Returns the loss.
    /// </summary>
    internal static double AccumulateGradients(VideoCaptionModel model, Tensor features, Tensor captionIds, Tensor captionMask,
        bool maskPadding, int accumulationSteps)
    {
        using var scope = TensorScope.Open();
        var loss = model.Loss(features, captionIds, captionMask, maskPadding);
        (loss / accumulationSteps).Backward();
        return loss.Item();
    }

    /// <summary>
    /// One optimizer update from the accumulated gradients: clipped to <paramref name="maxGradNorm"/> when set, an AdamW
    /// step at <paramref name="learningRate"/>, then the gradients are cleared. Returns the norm before clipping.
    /// </summary>
    internal static double? OptimizerStep(QFormerModel qformer, AdamW optimizer, double learningRate, double? maxGradNorm)
    {
        double? gradNorm = maxGradNorm is { } max ? Gradients.ClipGradNorm(qformer.Parameters(), max) : null;
        optimizer.LearningRate = learningRate;
        optimizer.Step();
        optimizer.ZeroGrad();
        return gradNorm;
    }

    /// <summary>
    /// One self-critical micro-batch: the Q-Former prefix of each clip once; K samples per clip (temperature 1, no
    /// top-k/top-p, the generation's maximum length) and, for the greedy baseline, the greedy caption, all in one batched
    /// generate call; their rewards; then the gradient of <see cref="ScstLoss"/>, divided by
    /// <paramref name="accumulationSteps"/>, added to the Q-Former's. Returns the loss and the step's statistics.
    /// </summary>
    private (double Loss, ScstStatistics Stats) ScstAccumulateGradients(VideoCaptionModel model, Tensor features, int[] clips,
        ScstRewardScorer rewards, int accumulationSteps)
    {
        using var scope = TensorScope.Open();
        int k = _o.ScstSamples, b = clips.Length;
        bool greedy = _o.ScstBaseline == ScstBaseline.Greedy;
        int perClip = greedy ? k + 1 : k;   // rows of a clip: its k samples, then its greedy caption
        var prefix = model.PrefixEmbeds(features);
        var sampling = _o.Generation with { DoSample = true, Temperature = 1.0, TopK = 0, TopP = 1.0, NumBeams = 1, Seed = null };
        var flags = greedy ? Enumerable.Range(0, b * perClip).Select(r => r % perClip == k).ToArray() : null;
        var generated = model.GenerateFromPrefixEmbeds(prefix.RepeatInterleave(perClip, 0), sampling, flags);
        var texts = generated.Select(g => _tokenizer.Decode(g.Select(v => (int)v).ToArray(), skipSpecialTokens: true).Trim()).ToArray();
        var r = rewards.Score(Enumerable.Range(0, b * perClip).Select(row => clips[row / perClip]).ToArray(), texts);
        var samples = new long[b * k][];
        var reward = new double[b * k];
        var baseline = new double[b * k];
        for (int c = 0; c < b; c++)
        {
            double sum = Enumerable.Range(0, k).Sum(j => r[c * perClip + j]);
            for (int j = 0; j < k; j++)
            {
                samples[c * k + j] = generated[c * perClip + j];
                reward[c * k + j] = r[c * perClip + j];
                baseline[c * k + j] = greedy ? r[c * perClip + k] : (sum - r[c * perClip + j]) / (k - 1);
            }
        }
        var advantages = reward.Zip(baseline, (x, y) => x - y).ToArray();
        var loss = ScstLoss(model, prefix.RepeatInterleave(k, 0), samples, advantages, _o.Generation.EosTokenIds);
        (loss / accumulationSteps).Backward();
        return (loss.Item(), new ScstStatistics(reward.Average(), baseline.Average(), advantages.Count(a => a > 0) / (double)advantages.Length));
    }

    /// <summary>
    /// The self-critical loss −mean over samples of (r − b) · mean token log-probability of the sample, for fixed
    /// <paramref name="samples"/> (token ids, first eos included) decoded from the rows of <paramref name="prefix"/> and
    /// fixed <paramref name="advantages"/> r − b. Its gradient is the REINFORCE estimate with baseline.
    /// </summary>
    internal static Tensor ScstLoss(VideoCaptionModel model, Tensor prefix, IReadOnlyList<long[]> samples, double[] advantages, int[] eosTokenIds)
    {
        using var scope = TensorScope.Open();
        var logProbs = model.SequenceLogProbs(prefix, samples, eosTokenIds);
        var adv = Tensor.From<float>(advantages.Select(a => (float)a).ToArray(), [advantages.Length], logProbs.Device);
        return (-(adv * logProbs).Mean()).MoveToOuterScope();
    }

    /// <summary>A fixed permutation per (seed, epoch): no generator state needs saving to resume mid-epoch.</summary>
    private int[] Permutation(int n, int epoch)
    {
        var rng = new Random(unchecked((int)(_o.Seed * 1_000_003UL + (ulong)epoch * 7919UL)));
        var order = Enumerable.Range(0, n).ToArray();
        rng.Shuffle(order);
        return order;
    }

    /// <summary>The paraphrase used for example <paramref name="index"/> in <paramref name="epoch"/> (deterministic).</summary>
    private string PickCaption(CaptionExample e, int index, int epoch)
    {
        if (e.Captions.Count == 1) return e.Captions[0];
        ulong h = (_o.Seed + 0x9E3779B97F4A7C15UL) ^ ((ulong)index * 0xBF58476D1CE4E5B9UL) ^ ((ulong)epoch * 0x94D049BB133111EBUL);
        h ^= h >> 31;
        h *= 0xD6E8FEB86659FD93UL;
        h ^= h >> 32;
        return e.Captions[(int)(h % (ulong)e.Captions.Count)];
    }

    private (Tensor Features, Tensor Ids, Tensor Mask) Batch(IReadOnlyList<CaptionExample> data, int[] indices, int epoch, Device device)
    {
        var texts = indices.Select(i => PickCaption(data[i], i, epoch).Trim() + "<|endoftext|>").ToList();
        var (ids, mask) = Tokenize(texts, device);
        return (Features(data, indices, device), ids, mask);
    }

    private static Tensor Features(IReadOnlyList<CaptionExample> data, IReadOnlyList<int> indices, Device device) =>
        Tensor.Stack(indices.Select(i => data[i].LoadFeatures().To(device, DType.Float32)).ToList(), 0);

    private (Tensor Ids, Tensor Mask) Tokenize(IReadOnlyList<string> texts, Device device)
    {
        var enc = _tokenizer.EncodeBatch(texts, maxLength: _o.MaxCaptionTokens, padToLongest: true, padId: _tokenizer.PadTokenId, truncation: true);
        int b = enc.InputIds.Length, l = enc.InputIds[0].Length;
        return (Tensor.From<long>(enc.InputIds.SelectMany(r => r.Select(v => (long)v)).ToArray(), [b, l], device),
                Tensor.From<long>(enc.AttentionMask.SelectMany(r => r.Select(v => (long)v)).ToArray(), [b, l], device));
    }

    private double LearningRateAt(long step, long totalSteps)
    {
        double peak = _o.LearningRate;
        if (step < _o.WarmupSteps) return peak * (step + 1) / _o.WarmupSteps;
        if (_o.Schedule == LearningRateSchedule.Constant) return peak;
        double progress = (double)(step - _o.WarmupSteps) / Math.Max(1, totalSteps - _o.WarmupSteps);
        double min = peak * _o.MinLearningRateRatio;
        return min + (peak - min) * 0.5 * (1 + Math.Cos(Math.PI * Math.Min(1, progress)));
    }

    private (double Loss, IReadOnlyDictionary<string, double>? Metrics) Validate(VideoCaptionModel model, IReadOnlyList<CaptionExample> validation, Device device)
    {
        model.QFormer.Eval();
        using var noGrad = Torch.NoGrad();
        double lossSum = 0;
        int n = 0;
        var candidates = new Dictionary<string, string>();
        int toCaption = Math.Min(validation.Count, _o.MaxValidationCaptions ?? validation.Count);
        for (int start = 0; start < validation.Count; start += _o.BatchSize)
        {
            using var scope = TensorScope.Open();
            var idx = Enumerable.Range(start, Math.Min(_o.BatchSize, validation.Count - start)).ToArray();
            var feats = Features(validation, idx, device);
            var (ids, mask) = Tokenize(idx.Select(i => validation[i].Captions[0].Trim() + "<|endoftext|>").ToList(), device);
            var prefix = model.PrefixEmbeds(feats);   // once for both the loss and the captions
            lossSum += model.LossFromPrefix(prefix, ids, mask, _o.MaskPaddingInLabels).Item() * idx.Length;
            n += idx.Length;
            var captionRows = idx.Where(i => i < toCaption).ToArray();
            if (captionRows.Length == 0) continue;
            var generated = model.GenerateFromPrefixEmbeds(prefix.Narrow(0, 0, captionRows.Length), _o.Generation);
            for (int j = 0; j < captionRows.Length; j++)
                candidates[validation[captionRows[j]].Id] = _tokenizer.Decode(generated[j].Select(v => (int)v).ToArray(), skipSpecialTokens: true).Trim();
        }
        model.QFormer.Train();
        if (candidates.Count == 0) return (lossSum / n, null);
        var refs = validation.Where(e => candidates.ContainsKey(e.Id)).ToDictionary(e => e.Id, e => (IReadOnlyList<string>)e.Captions);
        var metrics = new CaptionEvaluator().Evaluate(refs, candidates).ToDictionary();
        return (lossSum / n, metrics);
    }

    private static void Log(StreamWriter? log, object record) => log?.WriteLine(JsonSerializer.Serialize(record));

    private static void SaveBest(string dir, QFormerModel qformer)
    {
        var tmp = Path.Combine(dir, $".{BestDirectory}.tmp");
        if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
        qformer.SavePretrained(tmp);
        var target = Path.Combine(dir, BestDirectory);
        var old = target + ".old";
        if (Directory.Exists(old)) Directory.Delete(old, true);
        if (Directory.Exists(target)) Directory.Move(target, old);
        Directory.Move(tmp, target);
        if (Directory.Exists(old)) Directory.Delete(old, true);
    }

    private static void SaveCheckpoint(string dir, QFormerModel qformer, AdamW optimizer, QFormerConfig config, State state, byte[] rng)
    {
        using var scope = TensorScope.Open();
        var tensors = qformer.NamedParameters().Select(p => KeyValuePair.Create("qformer." + p.Name, p.Value.Detach().To(Device.Cpu)))
            .Concat(optimizer.StateTensors().Select(kv => KeyValuePair.Create("optimizer." + kv.Key, kv.Value)))
            .Append(KeyValuePair.Create("rng.cpu", Tensor.From(rng, rng.Length)));
        var meta = new Dictionary<string, string>
        {
            ["trainer_state"] = JsonSerializer.Serialize(state),
            ["qformer_config"] = JsonSerializer.Serialize(config),
            ["format_version"] = "1",
        };
        SafeTensorsFile.Save(Path.Combine(dir, CheckpointFile), tensors, meta);
    }

    private static State LoadCheckpoint(string path, QFormerModel qformer, AdamW optimizer, QFormerConfig config)
    {
        using var f = SafeTensorsFile.Open(path);
        if (!f.Metadata.TryGetValue("trainer_state", out var stateJson) || !f.Metadata.TryGetValue("qformer_config", out var cfgJson))
            throw new InvalidDataException($"{path} is not a trainer checkpoint (no trainer_state). Delete it or choose another CheckpointDirectory.");
        var saved = JsonSerializer.Deserialize<QFormerConfig>(cfgJson);
        if (saved != config)
            throw new InvalidDataException($"{path} was written for a different Q-Former ({cfgJson}); delete it or choose another CheckpointDirectory.");
        using var noGrad = Torch.NoGrad();
        foreach (var (name, p) in qformer.NamedParameters())
        {
            using var scope = TensorScope.Open();
            p.CopyFrom(f.Read("qformer." + name));
        }
        optimizer.LoadState(k => f.Tensors.ContainsKey("optimizer." + k) ? f.Read("optimizer." + k) : null);
        using (var s = TensorScope.Open()) Torch.SetRngState(Device.Cpu, f.Read("rng.cpu").ToArray<byte>());
        return JsonSerializer.Deserialize<State>(stateJson)!;
    }
}
