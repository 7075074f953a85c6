using System.CommandLine;
using System.Text.Json;
using Microsoft.ML.VideoCaptioning.Data;
using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Evaluation;
using Microsoft.ML.VideoCaptioning.Features;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.VideoCaptioning.Training;
using Microsoft.ML.VideoCaptioning.Video;
using Spectre.Console;

namespace Microsoft.ML.VideoCaptioning.Cli.Commands;

using Command = System.CommandLine.Command;

/// <summary><c>vidcap train</c>, <c>evaluate</c> and <c>caption</c> (<c>featurize</c> is <see cref="FeaturizeCommand"/>).</summary>
public static class PipelineCommands
{
    private static readonly string[] VideoExtensions = [".mp4", ".webm", ".mkv", ".avi", ".mov", ".gif", ".m4v"];
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    internal static Option<string> DeviceOption() => new("--device") { Description = "cpu, cuda, cuda:N or auto", DefaultValueFactory = _ => "cpu" };

    /// <summary>Videos named directly, found in folders (recursively), or listed in .jsonl/.csv dataset files.</summary>
    internal static List<string> ExpandInputs(IEnumerable<string> inputs)
    {
        var list = new List<string>();
        foreach (var i in inputs)
        {
            if (Directory.Exists(i))
                list.AddRange(Directory.EnumerateFiles(i, "*", SearchOption.AllDirectories).Where(f => VideoExtensions.Contains(Path.GetExtension(f).ToLowerInvariant())).Order());
            else if (i.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)) list.AddRange(DatasetLoaders.Jsonl(i).Select(r => r.VideoPath));
            else if (i.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)) list.AddRange(DatasetLoaders.Csv(i).Select(r => r.VideoPath));
            else if (File.Exists(i)) list.Add(Path.GetFullPath(i));
            else throw new UsageException($"'{i}' is not a video file, a folder, or a .jsonl/.csv dataset.");
        }
        return list;
    }

    /// <summary>Rows of a dataset given on the command line (.jsonl, .csv, or SSv2/MSR-VTT/VATEX JSON with --videos).</summary>
    private static IDataView LoadDataset(VideoCaptioningCatalog.DataCatalog data, string path, string? format, string? videos, string? paraphrases)
    {
        format ??= Path.GetExtension(path).ToLowerInvariant() switch { ".jsonl" => "jsonl", ".csv" => "csv", _ => null };
        if (format is "ssv2" or "msrvtt" or "vatex" && videos == null) throw new UsageException($"--format {format} needs --videos DIR.");
        return format switch
        {
            "jsonl" => data.LoadFromJsonl(path),
            "csv" => data.LoadFromCsv(path),
            "ssv2" => data.LoadSsv2(path, videos!, paraphrases),
            "msrvtt" => data.LoadMsrVtt(path, videos!),
            "vatex" => data.LoadVatex(path, videos!),
            _ => throw new UsageException($"Cannot tell the format of '{path}': use --format jsonl|csv|ssv2|msrvtt|vatex."),
        };
    }

    public static Command Train()
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
        var device = DeviceOption();
        var cmd = new Command("train", "Featurize (cached) and train the Q-Former; writes a model zip. Rerun the same command to resume.")
        {
            train, validation, format, videos, paraphrases, encoder, lm, output, cache, checkpoints, frames, epochs, batch, accumulation, lr, warmup, cosine,
            clip, seedLabels, patience, metric, seed, embed, scstEpochs, scstSamples, scstLr, scstReward, scstBleuWeight, scstBaseline, device,
        };
        cmd.SetAction((p, ct) =>
        {
            var ml = new MLContext(p.GetValue(seed)) { GpuDeviceId = CliDevice.GpuId(p.GetValue(device)!) };
            ml.Log += (_, e) =>
            {
                if (e.Kind >= Microsoft.ML.Runtime.ChannelMessageKind.Info && e.Source.StartsWith("QFormer", StringComparison.Ordinal) || e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Warning)
                    AnsiConsole.MarkupLine($"[grey]{DateTime.Now:HH:mm:ss}[/] {Markup.Escape(e.RawMessage)}");
            };
            string F(Option<string?> o) => p.GetValue(o)!;
            var data = ml.VideoCaptioning().Data;
            var trainData = LoadDataset(data, p.GetValue(train)!, F(format), F(videos), F(paraphrases));
            var valData = p.GetValue(validation) is { } v ? LoadDataset(data, v, F(format), F(videos), null) : null;
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
                "train" => $"epoch {p.Epoch + 1}/{p.Epochs} step {p.Step}/{p.TotalSteps} loss {p.Loss:F4} {p.SamplesPerSecond:F1} samples/s{eta}",
                "epoch" => $"epoch {p.Epoch + 1} done: train loss {p.Loss:F4}" + (p.Metrics is { } m ? " " + string.Join(" ", m.Select(kv => $"{kv.Key} {kv.Value:F3}")) : ""),
                _ => $"{p.Phase} epoch {p.Epoch + 1}",
            });
        }
    }

    public static Command Evaluate()
    {
        var refs = new Option<string>("--references") { Description = "coco-format references {id: [caption, ...]}", Required = true };
        var cands = new Option<string>("--candidates") { Description = "coco-format candidates {id: [caption]}", Required = true };
        var json = BenchCommand.JsonOption();
        var perItem = new Option<bool>("--per-item") { Description = "Also print each item's scores" };
        var meteorData = new Option<string?>("--meteor-data") { Description = "Meteor 1.5 data folder (default: shipped with vidcap)" };
        var paraphrase = new Option<string?>("--meteor-paraphrase") { Description = "Meteor paraphrase table (paraphrase-en.gz) for coco-caption's full METEOR" };
        var cmd = new Command("evaluate", "Score captions exactly as coco-caption does: BLEU-1..4, METEOR 1.5, ROUGE-L, CIDEr-D.")
        {
            refs, cands, json, perItem, meteorData, paraphrase,
        };
        cmd.SetAction((p, ct) =>
        {
            var (r, c) = CaptionDataLoader.Load(p.GetValue(refs)!, p.GetValue(cands)!);
            var metrics = new CaptionEvaluator(new CaptionEvaluatorOptions
            {
                MeteorDataDirectory = p.GetValue(meteorData), MeteorParaphraseFile = p.GetValue(paraphrase),
            }).Evaluate(r, c);
            if (p.GetValue(json))
            {
                var o = new Dictionary<string, object>(metrics.ToDictionary().Select(kv => KeyValuePair.Create(kv.Key, (object)kv.Value)));
                if (p.GetValue(perItem)) o["per_item"] = metrics.Ids.ToDictionary(id => id, id => metrics.PerItem[id].ToDictionary());
                Console.WriteLine(JsonSerializer.Serialize(o, Indented));
                return Task.FromResult(ExitCodes.Ok);
            }
            var t = new Table().AddColumns("metric", "value");
            foreach (var (k, v) in metrics.ToDictionary()) t.AddRow(k, v.ToString("F6"));
            AnsiConsole.Write(t);
            if (p.GetValue(perItem))
            {
                var items = new Table().AddColumn("id");
                var names = metrics.ToDictionary().Keys.ToList();
                foreach (var n in names) items.AddColumn(n);
                foreach (var id in metrics.Ids)
                {
                    var d = metrics.PerItem[id].ToDictionary();
                    items.AddRow([Markup.Escape(id), .. names.Select(n => d.TryGetValue(n, out var v) ? v.ToString("F4") : "-")]);
                }
                AnsiConsole.Write(items);
            }
            return Task.FromResult(ExitCodes.Ok);
        });
        return cmd;
    }

    private sealed class VideoInput
    {
        public string VideoPath { get; set; } = "";
    }

    public static Command Caption()
    {
        var inputs = new Argument<string[]>("videos") { Description = "Videos (or folders, .jsonl/.csv datasets) to caption", Arity = ArgumentArity.OneOrMore };
        var model = new Option<string>("--model") { Description = "Model zip written by vidcap train or vidcap demo", Required = true };
        var overlay = new Option<string?>("--overlay") { Description = "Write the clip with its caption drawn on (OUT.gif; a folder when captioning several videos)" };
        var encoder = new Option<string?>("--encoder") { Description = "Use this encoder directory instead of the one recorded in the model" };
        var lm = new Option<string?>("--language-model") { Description = "Use this language-model directory instead of the recorded one" };
        var noVerify = new Option<bool>("--no-verify") { Description = "Accept frozen models whose hashes differ from the recorded ones" };
        var json = BenchCommand.JsonOption();
        var device = DeviceOption();
        var cmd = new Command("caption", "Caption videos with a trained model; a video that is missing or fails is reported and the others still get captions.")
        {
            inputs, model, overlay, encoder, lm, noVerify, json, device,
        };
        cmd.SetAction((p, ct) =>
        {
            var ml = new MLContext { GpuDeviceId = CliDevice.GpuId(p.GetValue(device)!) };
            var output = new List<object>();
            int failed = 0;
            var videos = new List<string>();
            foreach (var input in p.GetValue(inputs)!)
            {
                if (File.Exists(input) || Directory.Exists(input)) videos.AddRange(ExpandInputs([input]));
                else
                {
                    failed++;
                    Console.Error.WriteLine($"{input}: not found");
                    output.Add(new { video = input, error = "not found" });
                }
            }
            var errors = new Dictionary<string, string>();
            ml.Log += (_, e) =>
            {
                if (e.Kind != Microsoft.ML.Runtime.ChannelMessageKind.Warning) return;
                var cut = e.RawMessage.IndexOf(": ", StringComparison.Ordinal);
                if (cut > 0) lock (errors) errors[e.RawMessage[..cut]] = e.RawMessage[(cut + 2)..];
            };
            if (videos.Count > 0)
            {
                using var loaded = (IDisposable)ml.VideoCaptioning().LoadModel(p.GetValue(model)!, out _, new VideoCaptioningLoadOptions
                {
                    EncoderPath = p.GetValue(encoder), LanguageModelPath = p.GetValue(lm), SkipFrozenModelVerification = p.GetValue(noVerify),
                });
                var captioner = (ITransformer)loaded;
                var scored = captioner.Transform(ml.Data.LoadFromEnumerable(videos.Select(v => new VideoInput { VideoPath = v }).ToList()));
                var captions = scored.GetColumn<string>("Caption").ToList();
                var overlayPath = p.GetValue(overlay);
                for (int i = 0; i < videos.Count; i++)
                {
                    ct.ThrowIfCancellationRequested();
                    if (string.IsNullOrEmpty(captions[i]))
                    {
                        failed++;
                        var err = errors.GetValueOrDefault(Path.GetFullPath(videos[i])) ?? errors.GetValueOrDefault(videos[i]) ?? "could not be captioned";
                        Console.Error.WriteLine($"{videos[i]}: failed: {err}");
                        output.Add(new { video = videos[i], error = err });
                        continue;
                    }
                    output.Add(new { video = videos[i], caption = captions[i] });
                    if (!p.GetValue(json)) Console.WriteLine($"{videos[i]}\t{captions[i]}");
                    if (overlayPath != null)
                    {
                        var target = videos.Count == 1 && !Directory.Exists(overlayPath) ? overlayPath
                            : Path.Combine(Directory.CreateDirectory(overlayPath).FullName, Path.GetFileNameWithoutExtension(videos[i]) + ".gif");
                        CaptionOverlay.Write(videos[i], captions[i], target);
                    }
                }
            }
            if (p.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(output, Indented));
            int total = output.Count;
            return Task.FromResult(failed == 0 ? ExitCodes.Ok : failed == total ? ExitCodes.BadInput : ExitCodes.Failure);
        });
        return cmd;
    }
}
