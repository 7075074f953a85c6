// QuickStart: build the captioning pipeline, fit it, save it, load it, predict and evaluate.
//
//   dotnet run --project examples/QuickStart                       tiny models (the repository's test fixture encoder and a
//                                                                  tiny random Qwen2) on a few synthetic clips, in seconds
//   dotnet run --project examples/QuickStart -- ENCODER_DIR LM_DIR TRAIN.jsonl TEST.jsonl
//                                                                  real checkpoints (e.g. facebook/vjepa2-vitl-fpc64-256 and
//                                                                  Qwen/Qwen2-1.5B downloads) on your data
using Microsoft.ML.VideoCaptioning.Data;
using Microsoft.ML.VideoCaptioning.Models;
using Microsoft.ML.VideoCaptioning.Models.QFormer;
using Microsoft.ML.VideoCaptioning.Models.Qwen2;
using Microsoft.ML.VideoCaptioning.Pipeline;
using Microsoft.ML.VideoCaptioning.Training;

var work = Directory.CreateTempSubdirectory("vidcap-quickstart-").FullName;
string encoder, languageModel, trainFile, testFile;
bool tiny = args.Length < 4;
if (tiny)
{
    // The repository's tiny V-JEPA 2 fixture (Hugging Face layout), a tiny random Qwen2 with the real vocabulary, and
    // twelve synthetic clips: everything a real run has, a million times smaller.
    var root = AppContext.BaseDirectory;
    while (!File.Exists(Path.Combine(root, "Microsoft.ML.VideoCaptioning.sln"))) root = Path.GetDirectoryName(root) ?? throw new DirectoryNotFoundException("repository root");
    encoder = Path.Combine(root, "test", "data", "fixtures", "vjepa2_tiny_f32");
    languageModel = Path.Combine(work, "qwen2-tiny");
    RandomModels.WriteQwen2(languageModel, new Qwen2Config { HiddenSize = 32, NumHiddenLayers = 1, NumAttentionHeads = 2, NumKeyValueHeads = 1, IntermediateSize = 64, VocabSize = 151936, RopeTheta = 1e6, TieWordEmbeddings = true, EosTokenIds = [151643] }, seed: 1);
    SyntheticWorld.Generate(Path.Combine(work, "data"), new SyntheticWorldOptions { Count = 12, MinFrames = 4, MaxFrames = 8, MinSize = 64, MaxSize = 64 });
    (trainFile, testFile) = (Path.Combine(work, "data", "train.jsonl"), Path.Combine(work, "data", "test.jsonl"));
}
else (encoder, languageModel, trainFile, testFile) = (args[0], args[1], args[2], args[3]);

var ctx = new VideoCaptioningContext(seed: 1) { Log = Console.WriteLine };
var train = ctx.Data.LoadFromJsonl(trainFile);
var test = ctx.Data.LoadFromJsonl(testFile);

// frame sampler → frozen V-JEPA 2 (features cached) → Q-Former trained over the frozen Qwen2
var pipeline = ctx.Transforms.SampleVideoFrames("Frames", "VideoPath", frameCount: tiny ? 4 : 32, cropSize: tiny ? 64 : 256)
    .Append(ctx.Transforms.FeaturizeVJepa("Features", "Frames", encoder, cacheDirectory: Path.Combine(work, "features")))
    .Append(ctx.Trainers.QFormerCaption(new QFormerCaptionEstimator.Options
    {
        LanguageModelPath = languageModel,
        Trainer = tiny
            ? new QFormerTrainerOptions { QFormer = new QFormerConfig { NumQueries = 4, NumHeads = 2 }, Epochs = 3, BatchSize = 4, GradientAccumulationSteps = 1, LearningRate = 1e-3 }
            : new QFormerTrainerOptions { Epochs = 10, CheckpointDirectory = Path.Combine(work, "checkpoints") },
    }));

using var model = pipeline.Fit(train);
var zip = Path.Combine(work, "captioner.zip");
ctx.Model.Save(model, train.Schema, zip);
Console.WriteLine($"saved {zip} ({new FileInfo(zip).Length / 1024} KB)");

using var loaded = ctx.Model.Load(zip, out _);
var engine = ctx.Model.CreatePredictionEngine<VideoInput, CaptionPrediction>(loaded);
foreach (var row in DatasetLoaders.Jsonl(testFile).Take(3))
    Console.WriteLine($"{Path.GetFileName(row.VideoPath)}: \"{engine.Predict(new VideoInput { VideoPath = row.VideoPath }).Caption}\" (reference: \"{row.Captions[0]}\")");

var metrics = ctx.Evaluate(loaded.Transform(test).Cache(), "Captions", "Caption");
foreach (var (name, value) in metrics.ToDictionary()) Console.WriteLine($"{name,-8} {value:F4}");
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
