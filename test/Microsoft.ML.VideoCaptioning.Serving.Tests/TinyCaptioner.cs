using Microsoft.ML;
using Microsoft.ML.VideoCaptioning.Data;
using Microsoft.ML.VideoCaptioning.Models;
using Microsoft.ML.VideoCaptioning.Models.QFormer;
using Microsoft.ML.VideoCaptioning.Models.Qwen2;
using Microsoft.ML.VideoCaptioning.Models.VJepa2;
using Microsoft.ML.VideoCaptioning.Training;

namespace Microsoft.ML.VideoCaptioning.Serving.Tests;

/// <summary>
/// A trained captioner zip built once for all server tests: a tiny random V-JEPA 2 and a tiny random Qwen2 (real
/// vocabulary) in Hugging Face layout, a few synthetic clips, and the pipeline SampleVideoFrames (4 frames, crop 32) →
/// FeaturizeVJepa → QFormerCaption (4 queries, 1 layer) fitted for one epoch.
/// </summary>
public sealed class TinyCaptioner : IDisposable
{
    /// <summary>Frames the model samples from each video.</summary>
    public const int FrameCount = 4;

    private int _servers;

    public TinyCaptioner()
    {
        Root = Directory.CreateTempSubdirectory("vidcap-serving-tests-").FullName;
        string encoder = Path.Combine(Root, "vjepa2"), languageModel = Path.Combine(Root, "qwen2"), data = Path.Combine(Root, "data");
        RandomModels.WriteVJepa2(encoder, new VJepa2Config { HiddenSize = 64, NumHiddenLayers = 1, NumAttentionHeads = 2, CropSize = 32 }, seed: 1);
        RandomModels.WriteQwen2(languageModel, new Qwen2Config { HiddenSize = 32, NumHiddenLayers = 1, NumAttentionHeads = 2, NumKeyValueHeads = 1, IntermediateSize = 64, VocabSize = 151936, RopeTheta = 1e6, TieWordEmbeddings = true, EosTokenIds = [151643] }, seed: 1);
        SyntheticWorld.Generate(data, new SyntheticWorldOptions { Count = 4, Seed = 1, MinFrames = 8, MaxFrames = 12 });
        var rows = DatasetLoaders.Jsonl(Path.Combine(data, "train.jsonl")).Concat(DatasetLoaders.Jsonl(Path.Combine(data, "test.jsonl"))).ToList();
        Videos = rows.Select(r => File.ReadAllBytes(r.VideoPath)).ToList();

        var ml = new MLContext(seed: 1);
        var pipeline = ml.Transforms.SampleVideoFrames("Frames", "VideoPath", frameCount: FrameCount, cropSize: 32)
            .Append(ml.Transforms.FeaturizeVJepa("Features", "Frames", encoder))
            .Append(ml.VideoCaptioning().Trainers.QFormer(new QFormerCaptionTrainer.Options
            {
                LanguageModelPath = languageModel,
                QFormer = new QFormerConfig { NumQueries = 4, NumHeads = 2, Depth = 1 },
                Epochs = 1, BatchSize = 4, GradientAccumulationSteps = 1, SelectionMetric = "loss",
                Generation = new GenerationOptions { MaxNewTokens = 8 },
            }));
        var train = ml.Data.LoadFromEnumerable(rows);
        using var model = pipeline.Fit(train);
        ModelPath = Path.Combine(Root, "captioner.zip");
        ml.Model.Save(model, train.Schema, ModelPath);
    }

    /// <summary>The fixture's folder (models, clips, zip, and the servers' temporary folders).</summary>
    public string Root { get; }

    /// <summary>The captioner zip.</summary>
    public string ModelPath { get; }

    /// <summary>The synthetic clips as H.264 mp4 bytes.</summary>
    public IReadOnlyList<byte[]> Videos { get; }

    /// <summary>A new, empty folder for one server's uploads.</summary>
    public string NewTemporaryDirectory()
    {
        var dir = Path.Combine(Root, $"server{Interlocked.Increment(ref _servers)}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

/// <summary>The server tests share one <see cref="TinyCaptioner"/> and run one after another (timings and memory are measured).</summary>
[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<TinyCaptioner>
{
    public const string Name = "caption server";
}
