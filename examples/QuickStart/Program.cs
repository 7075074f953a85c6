// QuickStart: the captioning pipeline the ML.NET way: fit, save, load in a fresh MLContext, predict and evaluate.
//
//   dotnet run --project examples/QuickStart                       tiny models on a small synthetic world (coloured shapes
//                                                                  moving in four directions), about a minute on 2 cores
//   dotnet run --project examples/QuickStart -- ENCODER_DIR LM_DIR TRAIN.jsonl TEST.jsonl
//                                                                  real checkpoints (e.g. facebook/vjepa2-vitl-fpc64-256 and
//                                                                  Qwen/Qwen2-1.5B downloads) on your data
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.VideoCaptioning;
using Microsoft.ML.VideoCaptioning.Data;
using Microsoft.ML.VideoCaptioning.Models;
using Microsoft.ML.VideoCaptioning.Models.QFormer;
using Microsoft.ML.VideoCaptioning.Models.Qwen2;
using Microsoft.ML.VideoCaptioning.Models.VJepa2;
using Microsoft.ML.VideoCaptioning.Text;
using Microsoft.ML.VideoCaptioning.Training;

var work = Directory.CreateTempSubdirectory("vidcap-quickstart-").FullName;
string encoder, languageModel, trainFile, testFile;
bool tiny = args.Length < 4;
if (tiny) (encoder, languageModel, trainFile, testFile) = TinyWorld.Create(work);
else (encoder, languageModel, trainFile, testFile) = (args[0], args[1], args[2], args[3]);

var ml = new MLContext(seed: 1);
ml.Log += (_, e) => { if (e.Source.StartsWith("QFormer") && e.Kind >= Microsoft.ML.Runtime.ChannelMessageKind.Info) Console.WriteLine(e.RawMessage); };
IDataView train = ml.VideoCaptioning().Data.LoadFromJsonl(trainFile);      // VideoPath: Text, Captions: vector of Text

// frame sampler → frozen V-JEPA 2 (features cached) → Q-Former trained over the frozen Qwen2
var pipeline = ml.Transforms.SampleVideoFrames(outputColumnName: "Frames", inputColumnName: "VideoPath", frameCount: tiny ? 8 : 32, cropSize: tiny ? 64 : 256)
    .Append(ml.Transforms.FeaturizeVJepa(outputColumnName: "Features", inputColumnName: "Frames",
                                         encoderPath: encoder, cacheDirectory: Path.Combine(work, "features"), batchSize: 8))
    .Append(ml.VideoCaptioning().Trainers.QFormer(tiny ? TinyWorld.Trainer(languageModel) : new QFormerCaptionTrainer.Options
    {
        LabelColumnName = "Captions", FeatureColumnName = "Features", LanguageModelPath = languageModel, PredictedCaptionColumnName = "Caption",
        Epochs = 10, BatchSize = 8, LearningRate = 5e-5, CheckpointDirectory = Path.Combine(work, "checkpoints"),
    }));
ITransformer model = pipeline.Fit(train);
var zip = Path.Combine(work, "captioner.zip");
ml.Model.Save(model, train.Schema, zip);
Console.WriteLine($"saved {zip} ({new FileInfo(zip).Length / 1024} KB)");

var ml2 = new MLContext();                                                  // a fresh context: no registration call
ITransformer loaded = ml2.Model.Load(zip, out DataViewSchema inputSchema);
var engine = ml2.Model.CreatePredictionEngine<VideoInput, CaptionPrediction>(loaded);
foreach (var row in DatasetLoaders.Jsonl(testFile).Take(4))
    Console.WriteLine($"{Path.GetFileName(row.VideoPath)}: \"{engine.Predict(new VideoInput { VideoPath = row.VideoPath }).Caption}\" (reference: \"{row.Captions[0]}\")");
CaptioningMetrics m = ml2.VideoCaptioning().Evaluate(loaded.Transform(ml2.VideoCaptioning().Data.LoadFromJsonl(testFile)),
                                                     labelColumnName: "Captions", predictedCaptionColumnName: "Caption");
Console.WriteLine($"CIDEr {m.Cider:F3} BLEU-4 {m.Bleu4:F3} METEOR {m.Meteor:F3} ROUGE-L {m.RougeL:F3}");
(loaded as IDisposable)?.Dispose();
(model as IDisposable)?.Dispose();
Directory.Delete(work, recursive: true);

/// <summary>The input: one video file.</summary>
public sealed class VideoInput
{
    public string VideoPath { get; set; } = "";
}

/// <summary>The output: the caption column.</summary>
public sealed class CaptionPrediction
{
    public string? Caption { get; set; }
}

/// <summary>
/// The default run's world, as <c>vidcap demo</c> builds it but smaller: synthetic clips, a tiny random V-JEPA 2 and a
/// tiny Qwen2 (real vocabulary) briefly pretrained on the captions' text, so that the Q-Former has a language to steer.
/// </summary>
internal static class TinyWorld
{
    private static readonly VJepa2Config Encoder = new() { HiddenSize = 96, NumHiddenLayers = 1, NumAttentionHeads = 4, PatchSize = 8, CropSize = 64 };

    public static (string Encoder, string LanguageModel, string Train, string Test) Create(string work)
    {
        Console.WriteLine("writing a tiny world: synthetic clips, a tiny random V-JEPA 2, a tiny Qwen2 pretrained on caption text");
        var data = Path.Combine(work, "data");
        SyntheticWorld.Generate(data, new SyntheticWorldOptions { Count = 120, Seed = 1, TestFraction = 0.1 });
        var encoder = Path.Combine(work, "vjepa2-tiny");
        RandomModels.WriteVJepa2(encoder, Encoder, seed: 1);
        var lmDir = Path.Combine(work, "qwen2-tiny");
        RandomModels.WriteQwen2(lmDir, new Qwen2Config { HiddenSize = 64, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2, IntermediateSize = 192, VocabSize = 151936, RopeTheta = 1e6, TieWordEmbeddings = true, EosTokenIds = [151643] }, seed: 1);
        using (var lm = Qwen2ForCausalLM.FromPretrained(lmDir))
        {
            var text = (from c in SyntheticWorld.Colors from s in SyntheticWorld.Shapes from mo in SyntheticWorld.Motions
                        from cap in SyntheticWorld.Captions(c, s, mo) select "a video showing: " + cap).ToList();
            LanguageModelPretrainer.Pretrain(lm, Qwen2Tokenizer.LoadDefault(), text, 80, seed: 1);
            lm.Save(Path.Combine(lmDir, "model.safetensors"));
        }
        return (encoder, lmDir, Path.Combine(data, "train.jsonl"), Path.Combine(data, "test.jsonl"));
    }

    public static QFormerCaptionTrainer.Options Trainer(string languageModel) => new()
    {
        LabelColumnName = "Captions", FeatureColumnName = "Features", LanguageModelPath = languageModel, PredictedCaptionColumnName = "Caption",
        QFormer = new QFormerConfig { NumQueries = 16, NumHeads = 4, Depth = 1, VisualGridTime = 4, VisualGridHeight = 8, VisualGridWidth = 8 },
        Epochs = 25, BatchSize = 16, GradientAccumulationSteps = 1, LearningRate = 4e-3, WarmupSteps = 10, Schedule = LearningRateSchedule.Cosine,
        MinLearningRateRatio = 0.05, MaxGradNorm = 1.0, Generation = new GenerationOptions { MaxNewTokens = 12 },
    };
}
