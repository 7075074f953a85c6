using System.CommandLine;
using Microsoft.ML;
using Microsoft.ML.VideoCaptioning.Training;
using Spectre.Console;

namespace Microsoft.ML.VideoCaptioning.Cli.Commands;

using Command = System.CommandLine.Command;

/// <summary><c>vidcap train</c>: featurize (cached) and train the Q-Former through the ML.NET pipeline; writes the ML.NET model zip.</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var train = new Option<string>("--train") { Description = "Training data (.jsonl, .csv, or dataset JSON with --format)", Required = true };
        var validation = new Option<string?>("--validation") { Description = "Validation data (same format)" };
        var format = new Option<string?>("--format") { Description = "jsonl, csv, ssv2, msrvtt or vatex (default: from the extension)" };
        var videos = new Option<string?>("--videos") { Description = "Video folder for ssv2/msrvtt/vatex" };
        var paraphrases = new Option<string?>("--paraphrases") { Description = "SSv2 paraphrase JSON in the seed's format ({id: [paraphrase, ...]})" };
        var encoder = new Option<string>("--encoder") { Description = "V-JEPA 2 model directory", Required = true };
        var lm = new Option<string>("--language-model") { Description = "Qwen2 model directory", Required = true };
        var output = new Option<string>("--out") { Description = "Model zip to write", Required = true };
        var cache = new Option<string?>("--cache") { Description = "Feature cache directory (recommended)" };
        var checkpoints = new Option<string?>("--checkpoints") { Description = "Checkpoint directory (resumable; default: <out>.checkpoints)" };
        var frames = new Option<int>("--frames") { DefaultValueFactory = _ => 32, Description = "Frames per clip" };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => 100 };
        var batch = new Option<int>("--batch-size") { DefaultValueFactory = _ => 8 };
        var accumulation = new Option<int>("--accumulation") { DefaultValueFactory = _ => 16, Description = "Gradient accumulation steps" };
        var lr = new Option<double>("--lr") { DefaultValueFactory = _ => 5e-5 };
        var warmup = new Option<int>("--warmup") { DefaultValueFactory = _ => 0, Description = "Warm-up steps (with --cosine: cosine decay after)" };
        var cosine = new Option<bool>("--cosine") { Description = "Cosine learning-rate decay" };
        var clip = new Option<double?>("--clip-grad") { Description = "Clip the gradient norm to this value" };
        var seedLabels = new Option<bool>("--seed-labels") { Description = "Train on caption padding like the seed (default: padding masked)" };
        var patience = new Option<int?>("--patience") { Description = "Early stopping after this many epochs without improvement" };
        var metric = new Option<string>("--metric") { DefaultValueFactory = _ => "CIDEr", Description = "Best-epoch metric: loss, CIDEr, Bleu_4, METEOR, ROUGE_L" };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 0 };
        var embed = new Option<bool>("--embed-frozen") { Description = "Copy the frozen encoder and language model into the zip" };
        var scstEpochs = new Option<int>("--scst-epochs") { DefaultValueFactory = _ => 0, Description = "Self-critical (SCST) epochs after the cross-entropy epochs (0 = off)" };
        var scstSamples = new Option<int>("--scst-samples") { DefaultValueFactory = _ => 5, Description = "SCST: sampled captions per clip" };
        var scstLr = new Option<double>("--scst-lr") { DefaultValueFactory = _ => 5e-6, Description = "SCST: constant learning rate" };
        var scstReward = new Option<ScstReward>("--scst-reward") { DefaultValueFactory = _ => ScstReward.CiderD, Description = "SCST reward: CiderD, Bleu4 or Mixed" };
        var scstBleuWeight = new Option<double>("--scst-bleu-weight") { DefaultValueFactory = _ => 0.5, Description = "SCST: weight of BLEU-4 in the Mixed reward" };
        var scstBaseline = new Option<ScstBaseline>("--scst-baseline") { DefaultValueFactory = _ => ScstBaseline.Greedy, Description = "SCST baseline: Greedy or MeanOfOtherSamples" };
        var device = CliOptions.Device();
        var cmd = new Command("train", "Featurize (cached) and train the Q-Former; writes a model zip. Rerun the same command to resume.")
        {
            train, validation, format, videos, paraphrases, encoder, lm, output, cache, checkpoints, frames, epochs, batch, accumulation, lr, warmup, cosine,
            clip, seedLabels, patience, metric, seed, embed, scstEpochs, scstSamples, scstLr, scstReward, scstBleuWeight, scstBaseline, device,
        };
        cmd.SetAction((p, ct) =>
        {
            var ml = new MLContext(p.GetValue(seed)) { GpuDeviceId = CliOptions.GpuId(p.GetValue(device)!) };
            ml.Log += (_, e) =>
            {
                if (e.Kind >= Microsoft.ML.Runtime.ChannelMessageKind.Info && e.Source.StartsWith("QFormer", StringComparison.Ordinal) || e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Warning)
                    AnsiConsole.MarkupLine($"[grey]{DateTime.Now:HH:mm:ss}[/] {Markup.Escape(e.RawMessage)}");
            };
            string F(Option<string?> o) => p.GetValue(o)!;
            var data = ml.VideoCaptioning().Data;
            var trainData = CliInputs.LoadDataset(data, p.GetValue(train)!, F(format), F(videos), F(paraphrases));
            var valData = p.GetValue(validation) is { } v ? CliInputs.LoadDataset(data, v, F(format), F(videos), null) : null;
            var outPath = p.GetValue(output)!;
            int crop = Models.VJepa2.VJepa2Config.Load(p.GetValue(encoder)!).CropSize;
            var featurize = ml.Transforms.SampleVideoFrames("Frames", "VideoPath", p.GetValue(frames), crop)
                .Append(ml.Transforms.FeaturizeVJepa(new VJepaFeaturizerOptions
                {
                    EncoderPath = p.GetValue(encoder)!, CacheDirectory = p.GetValue(cache), EmbedEncoderInModel = p.GetValue(embed),
                }));
            var trainerOptions = new QFormerCaptionTrainer.Options
            {
                LanguageModelPath = p.GetValue(lm)!,
                Epochs = p.GetValue(epochs), BatchSize = p.GetValue(batch), GradientAccumulationSteps = p.GetValue(accumulation), LearningRate = p.GetValue(lr),
                WarmupSteps = p.GetValue(warmup), Schedule = p.GetValue(cosine) ? LearningRateSchedule.Cosine : LearningRateSchedule.Constant,
                MaxGradNorm = p.GetValue(clip), MaskPaddingInLabels = !p.GetValue(seedLabels), EarlyStoppingPatience = p.GetValue(patience),
                SelectionMetric = valData == null ? "loss" : p.GetValue(metric)!, Seed = (ulong)p.GetValue(seed),
                CheckpointDirectory = p.GetValue(checkpoints) ?? outPath + ".checkpoints",
                EmbedLanguageModelInModel = p.GetValue(embed), CancellationToken = ct, Progress = new TrainingProgressPrinter(),
                ScstEpochs = p.GetValue(scstEpochs), ScstSamples = p.GetValue(scstSamples), ScstLearningRate = p.GetValue(scstLr),
                ScstReward = p.GetValue(scstReward), ScstBleuWeight = p.GetValue(scstBleuWeight), ScstBaseline = p.GetValue(scstBaseline),
            };
            // the featurizer is fitted first so that the validation rows go through it too
            var featurizer = featurize.Fit(trainData);
            var trainer = ml.VideoCaptioning().Trainers.QFormer(trainerOptions with { ValidationSet = valData != null ? featurizer.Transform(valData) : null });
            using var model = featurizer.Append(trainer.Fit(featurizer.Transform(trainData)));
            ml.Model.Save(model, trainData.Schema, outPath);
            Console.WriteLine($"model written to {outPath}");
            return Task.FromResult(ExitCodes.Ok);
        });
        return cmd;
    }

    /// <summary>One line per optimizer step (throttled) and per epoch.</summary>
    private sealed class TrainingProgressPrinter : IProgress<TrainingProgress>
    {
        private DateTime _last = DateTime.MinValue;

        public void Report(TrainingProgress p)
        {
            if (p.Phase == "train" && DateTime.UtcNow - _last < TimeSpan.FromSeconds(2) && p.Step != p.TotalSteps) return;
            _last = DateTime.UtcNow;
            string eta = p.Eta is { } e ? $" ETA {e:hh\\:mm\\:ss}" : "";
            Console.WriteLine(p.Phase switch
            {
                "train" => $"epoch {p.Epoch + 1}/{p.Epochs} step {p.Step}/{p.TotalSteps} loss {p.Loss:F4} {p.SamplesPerSecond:F1} samples/s{Scst(p.Scst)}{eta}",
                "epoch" => $"epoch {p.Epoch + 1} done: train loss {p.Loss:F4}" + (p.Metrics is { } m ? " " + string.Join(" ", m.Select(kv => $"{kv.Key} {kv.Value:F3}")) : "") + Scst(p.Scst),
                _ => $"{p.Phase} epoch {p.Epoch + 1}",
            });
        }
    }

    /// <summary>Self-critical statistics: mean reward, baseline reward and the share of samples that beat the baseline.</summary>
    internal static string Scst(ScstStatistics? s) => s is { } v ? $" reward {v.Reward:F3} baseline {v.Baseline:F3} beat {v.BeatBaseline:P0}" : "";
}
