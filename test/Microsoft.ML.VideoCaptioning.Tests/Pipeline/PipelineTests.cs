using System.IO.Compression;
using System.Text.Json.Nodes;
using Microsoft.ML.VideoCaptioning.Data;
using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Models;
using Microsoft.ML.VideoCaptioning.Models.QFormer;
using Microsoft.ML.VideoCaptioning.Models.Qwen2;
using Microsoft.ML.VideoCaptioning.Pipeline;
using Microsoft.ML.VideoCaptioning.Training;

namespace Microsoft.ML.VideoCaptioning.Tests.Pipeline;

/// <summary>A fitted tiny pipeline shared by the tests: synthetic clips → vjepa2_tiny_f32 → random tiny Qwen2.</summary>
public sealed class TinyPipelineFixture : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("vidcap-pipe-").FullName;
    public string Encoder => Path.Combine(TestPaths.Fixtures, "vjepa2_tiny_f32");
    public string LanguageModel => Path.Combine(Dir, "lm");
    public VideoCaptioningContext Ctx { get; } = new(seed: 3);
    public List<VideoCaptionRow> Train { get; }
    public List<VideoCaptionRow> Test { get; }
    public TransformerChain<QFormerCaptionTransformer> Model { get; }
    public string Zip => Path.Combine(Dir, "captioner.zip");

    public TinyPipelineFixture()
    {
        RandomModels.WriteQwen2(LanguageModel, new Qwen2Config { HiddenSize = 32, NumHiddenLayers = 1, NumAttentionHeads = 2, NumKeyValueHeads = 1, IntermediateSize = 64, VocabSize = 151936, RopeTheta = 1e6, TieWordEmbeddings = true, EosTokenIds = [151643] }, seed: 5);
        SyntheticWorld.Generate(Path.Combine(Dir, "data"), new SyntheticWorldOptions { Count = 10, Seed = 2, MinFrames = 4, MaxFrames = 6, MinSize = 64, MaxSize = 64 });
        Train = DatasetLoaders.Jsonl(Path.Combine(Dir, "data", "train.jsonl")).ToList();
        Test = DatasetLoaders.Jsonl(Path.Combine(Dir, "data", "test.jsonl")).ToList();
        Model = Pipeline(Path.Combine(Dir, "features")).Fit(Ctx.Data.LoadFromEnumerable(Train));
        Ctx.Model.Save(Model, Ctx.Data.LoadFromEnumerable(Train).Schema, Zip);
    }

    public EstimatorChain<QFormerCaptionTransformer> Pipeline(string? cache) =>
        Ctx.Transforms.SampleVideoFrames("Frames", "VideoPath", frameCount: 4, cropSize: 64)
            .Append(Ctx.Transforms.FeaturizeVJepa("Features", "Frames", Encoder, cacheDirectory: cache, batchSize: 2))
            .Append(Ctx.Trainers.QFormerCaption(new QFormerCaptionEstimator.Options
            {
                LanguageModelPath = LanguageModel, PredictionBatchSize = 3,
                Trainer = new QFormerTrainerOptions
                {
                    QFormer = new QFormerConfig { NumQueries = 4, NumHeads = 2, Depth = 1 }, Epochs = 2, BatchSize = 4, GradientAccumulationSteps = 1,
                    LearningRate = 1e-3, Generation = new GenerationOptions { MaxNewTokens = 6 },
                },
            }));

    public void Dispose()
    {
        Model.Dispose();
        Directory.Delete(Dir, true);
    }
}

public sealed class VideoInput
{
    public string VideoPath { get; set; } = "";
}

public sealed class CaptionPrediction
{
    public string? Caption { get; set; }
}

public class PipelineTests(TinyPipelineFixture f) : IClassFixture<TinyPipelineFixture>
{
    private List<string?> Captions(ITransformer model, IEnumerable<VideoCaptionRow> rows) =>
        model.Transform(f.Ctx.Data.LoadFromEnumerable(rows.ToList())).GetRows().Select(r => (string?)r["Caption"]).ToList();

    [Fact]
    public void FitTransformPredictAndEvaluate()
    {
        var captions = Captions(f.Model, f.Test);
        Assert.Equal(f.Test.Count, captions.Count);
        Assert.All(captions, c => Assert.NotNull(c));
        var engine = f.Ctx.Model.CreatePredictionEngine<VideoInput, CaptionPrediction>(f.Model);
        Assert.Equal(captions[0], engine.Predict(new VideoInput { VideoPath = f.Test[0].VideoPath }).Caption);
        var batch = engine.PredictBatch(f.Test.Select(t => new VideoInput { VideoPath = t.VideoPath }).ToList());
        Assert.Equal(captions, batch.Select(b => b.Caption));
        var scored = f.Model.Transform(f.Ctx.Data.LoadFromEnumerable(f.Test)).Cache();
        var metrics = f.Ctx.Evaluate(scored, "Captions", "Caption");
        Assert.Equal(f.Test.Count, metrics.Ids.Count);
        Assert.NotNull(metrics.CIDEr);
        // the feature cache holds one file per featurized video
        Assert.Equal(f.Train.Count + f.Test.Count, Directory.GetFiles(Path.Combine(f.Dir, "features"), "*.safetensors").Length);
    }

    [Fact]
    public void SavedModelReloadsWithIdenticalPredictions()
    {
        var expected = Captions(f.Model, f.Test);
        using var loaded = f.Ctx.Model.Load(f.Zip, out var schema);
        Assert.NotNull(schema["VideoPath"]);
        Assert.Equal(expected, Captions(loaded, f.Test));
    }

    [Fact]
    public void PredictionPoolServesConcurrentCallers()
    {
        var expected = Captions(f.Model, f.Test);
        using var pool = f.Ctx.Model.CreatePredictionEnginePool<VideoInput, CaptionPrediction>(f.Model, maxConcurrency: 2);
        var tasks = Enumerable.Range(0, 6).Select(i => pool.PredictAsync(new VideoInput { VideoPath = f.Test[i % f.Test.Count].VideoPath })).ToArray();
        Task.WaitAll(tasks);
        for (int i = 0; i < tasks.Length; i++) Assert.Equal(expected[i % f.Test.Count], tasks[i].Result.Caption);
    }

    [Fact]
    public void SchemaErrorsNameTheColumn()
    {
        var wrong = f.Ctx.Data.LoadFromEnumerable(new[] { new { Path = "x.mp4", Captions = new[] { "a" } } });
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => f.Pipeline(null).GetOutputSchema(wrong.Schema));
        Assert.Contains("Video path column 'VideoPath' not found", e.Message);
        Assert.Contains("Path (Text)", e.Message);
        var badType = f.Ctx.Data.LoadFromEnumerable(new[] { new { VideoPath = "x.mp4", Captions = 3 } });
        var e2 = Assert.Throws<ArgumentOutOfRangeException>(() => f.Pipeline(null).GetOutputSchema(badType.Schema));
        Assert.Contains("Label column 'Captions' has type Int32", e2.Message);
    }

    [Fact]
    public void BrokenVideosAreReportedNotFatal()
    {
        var bad = Path.Combine(f.Dir, "broken.mp4");
        File.WriteAllText(bad, "not a video");
        var rows = new List<VideoCaptionRow> { new() { VideoPath = bad, Captions = ["x"] }, f.Test[0] };
        var engine = f.Ctx.Model.CreatePredictionEngine<VideoInput, CaptionPrediction>(f.Model);
        var r = engine.PredictBatch(rows.Select(x => new VideoInput { VideoPath = x.VideoPath }).ToList());
        Assert.Null(r[0].Caption);
        Assert.NotNull(r[1].Caption);
    }

    private string Rewrite(string name, Action<ZipArchive> edit)
    {
        var copy = Path.Combine(f.Dir, name);
        File.Copy(f.Zip, copy, overwrite: true);
        using (var z = ZipFile.Open(copy, ZipArchiveMode.Update)) edit(z);
        return copy;
    }

    private static void SetManifest(ZipArchive z, Func<JsonObject, JsonObject> change)
    {
        var entry = z.GetEntry("manifest.json")!;
        JsonObject m;
        using (var r = new StreamReader(entry.Open())) m = JsonNode.Parse(r.ReadToEnd())!.AsObject();
        entry.Delete();
        using var w = new StreamWriter(z.CreateEntry("manifest.json").Open());
        w.Write(change(m).ToJsonString());
    }

    [Fact]
    public void LoadingRefusesHostileOrUnknownPackages()
    {
        var slip = Rewrite("slip.zip", z => { using var w = new StreamWriter(z.CreateEntry("../../evil.txt").Open()); w.Write("x"); });
        Assert.Contains("escapes the package folder", Assert.Throws<ModelPackageException>(() => f.Ctx.Model.Load(slip, out _)).Message);
        Assert.False(File.Exists(Path.Combine(Path.GetTempPath(), "evil.txt")));
        var big = Assert.Throws<ModelPackageException>(() => f.Ctx.Model.Load(f.Zip, out _, new ModelLoadOptions { MaxEntryBytes = 1000 }));
        Assert.Contains("over the 1000-byte limit", big.Message);
        var future = Rewrite("future.zip", z => SetManifest(z, m => { m["version"] = 99; return m; }));
        Assert.Contains("manifest version 99 is not supported", Assert.Throws<ModelPackageException>(() => f.Ctx.Model.Load(future, out _)).Message);
        var notZip = Path.Combine(f.Dir, "notzip.zip");
        File.WriteAllText(notZip, "hello");
        Assert.Contains("not a zip", Assert.Throws<ModelPackageException>(() => f.Ctx.Model.Load(notZip, out _)).Message);
    }

    [Fact]
    public void FrozenModelsAreVerifiedWithAnExplicitOverride()
    {
        var tampered = Path.Combine(f.Dir, "lm-tampered");
        Directory.CreateDirectory(tampered);
        File.Copy(Path.Combine(f.LanguageModel, "config.json"), Path.Combine(tampered, "config.json"));
        RandomModels.WriteQwen2(tampered + "-w", new Qwen2Config { HiddenSize = 32, NumHiddenLayers = 1, NumAttentionHeads = 2, NumKeyValueHeads = 1, IntermediateSize = 64, VocabSize = 151936, RopeTheta = 1e6, TieWordEmbeddings = true, EosTokenIds = [151643] }, seed: 6);
        File.Copy(Path.Combine(tampered + "-w", "model.safetensors"), Path.Combine(tampered, "model.safetensors"));
        var e = Assert.Throws<ModelPackageException>(() => f.Ctx.Model.Load(f.Zip, out _, new ModelLoadOptions { LanguageModelPath = tampered }));
        Assert.Contains("weights", e.Message);
        Assert.Contains("SkipFrozenModelVerification", e.Message);
        using var accepted = f.Ctx.Model.Load(f.Zip, out _, new ModelLoadOptions { LanguageModelPath = tampered, SkipFrozenModelVerification = true });
        Assert.NotNull(accepted.LastTransformer);
        var missing = Assert.Throws<ModelPackageException>(() => f.Ctx.Model.Load(f.Zip, out _, new ModelLoadOptions { EncoderPath = Path.Combine(f.Dir, "nowhere") }));
        Assert.Contains("is not at", missing.Message);
    }

    [Fact]
    public void EmbeddedFrozenModelsMakeASelfContainedZip()
    {
        var zip = Path.Combine(f.Dir, "embedded.zip");
        f.Ctx.Model.Save(f.Model, f.Ctx.Data.LoadFromEnumerable(f.Train).Schema, zip, new ModelSaveOptions { EmbedFrozenModels = true });
        using (var z = ZipFile.OpenRead(zip)) Assert.Contains(z.Entries, e => e.FullName.EndsWith("language_model/model.safetensors"));
        using var loaded = f.Ctx.Model.Load(zip, out _);
        Assert.Equal(Captions(f.Model, f.Test.Take(2)), Captions(loaded, f.Test.Take(2)));
    }
}
