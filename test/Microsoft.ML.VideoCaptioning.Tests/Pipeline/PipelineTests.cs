using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.VideoCaptioning.Data;
using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Features;
using Microsoft.ML.VideoCaptioning.Models;
using Microsoft.ML.VideoCaptioning.Models.QFormer;
using Microsoft.ML.VideoCaptioning.Models.Qwen2;
using Microsoft.ML.VideoCaptioning.Models.VJepa2;
using Microsoft.ML.VideoCaptioning.Training;
using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning.Tests.Pipeline;

/// <summary>
/// A pipeline fitted once for the tests, exactly as a user writes it: synthetic clips → a tiny random V-JEPA 2 and a tiny
/// random Qwen2 (real vocabulary), both written in Hugging Face layout by <see cref="RandomModels"/> (so the tests do not
/// depend on the fixture set) → SampleVideoFrames → FeaturizeVJepa (cached) → Q-Former trainer → ML.NET zip.
/// </summary>
public sealed class TinyPipelineFixture : IDisposable
{
    public static readonly VJepa2Config EncoderConfig = new() { HiddenSize = 32, NumHiddenLayers = 1, NumAttentionHeads = 2, MlpRatio = 2.0, CropSize = 32 };
    public static readonly Qwen2Config LanguageModelConfig = new() { HiddenSize = 32, NumHiddenLayers = 1, NumAttentionHeads = 2, NumKeyValueHeads = 1, IntermediateSize = 64, VocabSize = 151936, RopeTheta = 1e6, TieWordEmbeddings = true, EosTokenIds = [151643] };

    public string Dir { get; } = Directory.CreateTempSubdirectory("vidcap-pipe-").FullName;
    public string Encoder => Path.Combine(Dir, "vjepa2");
    public string LanguageModel => Path.Combine(Dir, "qwen2");
    public string Cache => Path.Combine(Dir, "features");
    public string TrainFile => Path.Combine(Dir, "data", "train.jsonl");
    public string TestFile => Path.Combine(Dir, "data", "test.jsonl");
    public List<VideoCaptionRow> Test { get; }
    public ITransformer Model { get; }
    public DataViewSchema TrainSchema { get; }
    public string Zip => Path.Combine(Dir, "captioner.zip");

    public TinyPipelineFixture()
    {
        RandomModels.WriteVJepa2(Encoder, EncoderConfig, seed: 4);
        RandomModels.WriteQwen2(LanguageModel, LanguageModelConfig, seed: 5);
        SyntheticWorld.Generate(Path.Combine(Dir, "data"), new SyntheticWorldOptions { Count = 10, Seed = 2, MinFrames = 4, MaxFrames = 6, MinSize = 48, MaxSize = 48 });
        Test = DatasetLoaders.Jsonl(TestFile).ToList();
        var ml = new MLContext(seed: 3);
        var train = ml.VideoCaptioning().Data.LoadFromJsonl(TrainFile);
        TrainSchema = train.Schema;
        Model = Pipeline(ml, Cache).Fit(train);
        ml.Model.Save(Model, train.Schema, Zip);
    }

    public EstimatorChain<QFormerCaptionTransformer> Pipeline(MLContext ml, string? cache) =>
        ml.Transforms.SampleVideoFrames("Frames", "VideoPath", frameCount: 4, cropSize: 32)
            .Append(ml.Transforms.FeaturizeVJepa("Features", "Frames", Encoder, cacheDirectory: cache, batchSize: 2))
            .Append(ml.VideoCaptioning().Trainers.QFormer(Trainer()));

    public QFormerCaptionTrainer.Options Trainer() => new()
    {
        LanguageModelPath = LanguageModel, PredictionBatchSize = 3,
        QFormer = new QFormerConfig { NumQueries = 4, NumHeads = 2, Depth = 1 }, Epochs = 2, BatchSize = 4, GradientAccumulationSteps = 1,
        LearningRate = 1e-3, SelectionMetric = "loss", Generation = new GenerationOptions { MaxNewTokens = 6 },
    };

    public void Dispose()
    {
        (Model as IDisposable)?.Dispose();
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
    private static List<string> Captions(MLContext ml, ITransformer model, IEnumerable<VideoCaptionRow> rows) =>
        model.Transform(ml.Data.LoadFromEnumerable(rows.ToList())).GetColumn<string>("Caption").ToList();

    [Fact]
    public void TheUsersProgramRunsEndToEndInAFreshContext()
    {
        var ml2 = new MLContext();
        ITransformer loaded = ml2.Model.Load(f.Zip, out DataViewSchema inputSchema);
        try
        {
            Assert.Equal(TextDataViewType.Instance, inputSchema["VideoPath"].Type);
            Assert.IsType<TransformerChain<ITransformer>>(loaded);
            Assert.Equal([typeof(VideoFrameSamplerTransformer), typeof(VJepaFeaturizerTransformer), typeof(QFormerCaptionTransformer)],
                ((TransformerChain<ITransformer>)loaded).Select(t => t.GetType()));
            var lm = ((QFormerCaptionTransformer)((TransformerChain<ITransformer>)loaded).Last()).Model.LanguageModel;
            if (!lm.model.embed_tokens.weight.Device.IsCuda)
            {
                // the saved float32 model stays float32, but its decoder layers multiply in bfloat16 where the CPU has
                // bfloat16 dot products (issue 19); the captions below must still equal the float32 trained model's
                Assert.Equal(DType.Float32, lm.model.embed_tokens.weight.DType);
                Assert.Equal(CpuFeatures.HasBfloat16 ? DType.BFloat16 : DType.Float32, lm.model.layers[0].mlp.up_proj.weight.DType);
            }
            var engine = ml2.Model.CreatePredictionEngine<VideoInput, CaptionPrediction>(loaded);
            var one = engine.Predict(new VideoInput { VideoPath = f.Test[0].VideoPath }).Caption;
            Assert.False(string.IsNullOrEmpty(one));
            var all = Captions(ml2, loaded, f.Test);
            Assert.Equal(one, all[0]);
            Assert.Equal(Captions(ml2, f.Model, f.Test), all);
            var m = ml2.VideoCaptioning().Evaluate(loaded.Transform(ml2.VideoCaptioning().Data.LoadFromJsonl(f.TestFile)),
                labelColumnName: "Captions", predictedCaptionColumnName: "Caption");
            Assert.Equal(f.Test.Count, m.Count);
            Assert.InRange(m.Cider, 0, 10);
            Assert.InRange(m.Bleu4, 0, 1);
            Assert.InRange(m.Meteor, 0, 1);
            Assert.InRange(m.RougeL, 0, 1);
        }
        finally
        {
            (loaded as IDisposable)?.Dispose();
        }
    }

    [Fact]
    public void PredictionEngineEqualsTransformRowByRow()
    {
        var ml = new MLContext();
        var batch = Captions(ml, f.Model, f.Test);
        var engine = ml.Model.CreatePredictionEngine<VideoInput, CaptionPrediction>(f.Model);
        Assert.Equal(batch, f.Test.Select(t => engine.Predict(new VideoInput { VideoPath = t.VideoPath }).Caption));
    }

    [Fact]
    public void LoadSaveLoadGivesIdenticalCaptions()
    {
        var ml = new MLContext();
        var again = Path.Combine(f.Dir, "resaved.zip");
        var first = ml.Model.Load(f.Zip, out var schema);
        try
        {
            ml.Model.Save(first, schema, again);
        }
        finally
        {
            (first as IDisposable)?.Dispose();
        }
        var second = new MLContext().Model.Load(again, out _);
        try
        {
            Assert.Equal(Captions(ml, f.Model, f.Test), Captions(ml, second, f.Test));
        }
        finally
        {
            (second as IDisposable)?.Dispose();
        }
    }

    [Fact]
    public void OutputSchemaNamesTheColumnsAndTheirShapes()
    {
        var ml = new MLContext();
        var schema = f.Model.GetOutputSchema(f.TrainSchema);
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 4, 3, 32, 32), schema["Frames"].Type);
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 2 * 2 * 2, 32), schema["Features"].Type);   // (4/2)·(32/16)² tokens
        Assert.Equal(TextDataViewType.Instance, schema["Caption"].Type);
        // the frames column tells the featurizer where it came from
        Assert.NotNull(schema["Frames"].Annotations.Schema.GetColumnOrNull(VideoFrameSamplerTransformer.VideoPathAnnotation));
    }

    [Fact]
    public void SchemaErrorsNameTheColumnBeforeAnyWork()
    {
        var ml = new MLContext();
        var noPath = ml.Data.LoadFromEnumerable(new[] { new { Path = "x.mp4", Captions = new[] { "a" } } });
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => f.Pipeline(ml, null).Fit(noPath));
        Assert.Contains("'VideoPath'", e.Message);
        var badLabel = ml.Data.LoadFromEnumerable(new[] { new { VideoPath = "x.mp4", Captions = 3f } });
        var e2 = Assert.Throws<ArgumentOutOfRangeException>(() => f.Pipeline(ml, null).Fit(badLabel));
        Assert.Contains("'Captions'", e2.Message);
        Assert.Contains("Single", e2.Message);
        var badFeatures = ml.Data.LoadFromEnumerable(new[] { new { Features = 1f, Captions = "a" } });
        Assert.Throws<ArgumentOutOfRangeException>(() => ml.VideoCaptioning().Trainers.QFormer(f.Trainer()).Fit(badFeatures));
    }

    [Fact]
    public void OurStepsMixWithBuiltInTransformsAndSaveTogether()
    {
        var ml = new MLContext(seed: 3);
        var train = ml.VideoCaptioning().Data.LoadFromJsonl(f.TrainFile);
        var pipeline = ml.Transforms.CopyColumns("Clip", "VideoPath")
            .Append(ml.Transforms.SampleVideoFrames("Frames", "Clip", frameCount: 4, cropSize: 32))
            .Append(ml.Transforms.FeaturizeVJepa("Features", "Frames", f.Encoder, cacheDirectory: f.Cache))
            .Append(ml.VideoCaptioning().Trainers.QFormer(f.Trainer() with { Epochs = 1 }))
            .Append(ml.Transforms.Text.TokenizeIntoWords("Words", "Caption"));
        using var model = pipeline.Fit(train);
        var zip = Path.Combine(f.Dir, "mixed.zip");
        ml.Model.Save(model, train.Schema, zip);
        var loaded = new MLContext().Model.Load(zip, out _);
        try
        {
            var rows = loaded.Transform(ml.VideoCaptioning().Data.LoadFromJsonl(f.TestFile));
            var captions = rows.GetColumn<string>("Caption").ToList();
            var words = rows.GetColumn<string[]>("Words").ToList();
            Assert.Equal(captions.Select(c => c.Split(' ', StringSplitOptions.RemoveEmptyEntries)), words);
        }
        finally
        {
            (loaded as IDisposable)?.Dispose();
        }
    }

    [Fact]
    public void BrokenAndMissingVideosGetEmptyCaptionsAndAreSkippedByTheEvaluator()
    {
        var bad = Path.Combine(f.Dir, "broken.mp4");
        File.WriteAllText(bad, "not a video");
        var ml = new MLContext();
        var warnings = new List<string>();
        ml.Log += (_, e) => { if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Warning) lock (warnings) warnings.Add(e.RawMessage); };
        var rows = new List<VideoCaptionRow> { new() { VideoPath = bad, Captions = ["x"] }, f.Test[0] };
        // a transformer reports to the context that made or loaded it
        using var model = (TransformerChain<ITransformer>)ml.Model.Load(f.Zip, out _);
        var scored = model.Transform(ml.Data.LoadFromEnumerable(rows));
        var captions = scored.GetColumn<string>("Caption").ToList();
        Assert.Equal("", captions[0]);
        Assert.NotEqual("", captions[1]);
        var m = ml.VideoCaptioning().Evaluate(scored);
        Assert.Equal((1, 1), (m.Count, m.SkippedCount));
        Assert.Contains(warnings, w => w.StartsWith(bad + ": ", StringComparison.Ordinal));
    }

    public sealed class EmbeddingPrediction
    {
        public string? Caption { get; set; }
        [VectorType(32)] public float[]? Embedding { get; set; }
    }

    [Fact]
    public void TheOptionalEmbeddingColumnIsUnitLengthSavedWithTheModelAndTheSameRowByRow()
    {
        var ml = new MLContext();
        var chain = (TransformerChain<ITransformer>)ml.Model.Load(f.Zip, out var schema);
        try
        {
            Assert.Null(chain.GetOutputSchema(schema).GetColumnOrNull("Embedding"));   // off by default
            ((QFormerCaptionTransformer)chain.Last()).EmbeddingColumnName = "Embedding";
            var zip = Path.Combine(f.Dir, "with-embedding.zip");
            ml.Model.Save(chain, schema, zip);
            using var loaded = (TransformerChain<ITransformer>)new MLContext().Model.Load(zip, out _);
            var bad = Path.Combine(f.Dir, "broken-embedding.mp4");
            File.WriteAllText(bad, "not a video");
            var rows = f.Test.Append(new VideoCaptionRow { VideoPath = bad, Captions = ["x"] }).ToList();
            var embeddings = loaded.Transform(ml.Data.LoadFromEnumerable(rows)).GetColumn<float[]>("Embedding").ToList();
            for (int i = 0; i < f.Test.Count; i++)
                Assert.Equal(1.0, Math.Sqrt(embeddings[i].Sum(v => (double)v * v)), 5);
            Assert.All(embeddings[^1], v => Assert.Equal(0f, v));   // a failed video has no embedding
            Assert.Contains(Enumerable.Range(1, f.Test.Count - 1), j => embeddings[j].Zip(embeddings[0]).Sum(p => p.First * p.Second) < 0.999999);
            var engine = ml.Model.CreatePredictionEngine<VideoInput, EmbeddingPrediction>(loaded);
            var one = engine.Predict(new VideoInput { VideoPath = f.Test[1].VideoPath });
            for (int k = 0; k < 32; k++) Assert.Equal(embeddings[1][k], one.Embedding![k], 5);
        }
        finally
        {
            chain.Dispose();
        }
    }

    [Fact]
    public void TheFeatureCacheIsSharedWithTheFeaturizeJob()
    {
        // the pipeline filled the cache for the training clips; the featurize job finds them valid and computes nothing
        using var featurizer = new VJepaFeaturizer(f.Encoder);
        var sampling = new VideoFrameSampler.Options { FrameCount = 4, CropSize = 32 };
        var train = DatasetLoaders.Jsonl(f.TrainFile).Select(r => r.VideoPath).ToList();
        var report = FeaturizeJob.Run(train, featurizer, sampling, new FeatureCache(f.Cache));
        Assert.Equal((train.Count, 0), (report.Skipped, report.Computed));
        // and what the job writes, the pipeline reads without encoding again
        var other = Path.Combine(f.Dir, "job-cache");
        FeaturizeJob.Run(f.Test.Select(t => t.VideoPath).ToList(), featurizer, sampling, new FeatureCache(other));
        var stamps = Directory.GetFiles(other).ToDictionary(p => p, File.GetLastWriteTimeUtc);
        var ml = new MLContext();
        var chain = ml.Transforms.SampleVideoFrames("Frames", "VideoPath", 4, 32).Append(ml.Transforms.FeaturizeVJepa("Features", "Frames", f.Encoder, other));
        using var fitted = chain.Fit(ml.Data.LoadFromEnumerable(f.Test));
        var features = fitted.Transform(ml.Data.LoadFromEnumerable(f.Test)).GetColumn<float[]>("Features").ToList();
        Assert.All(features, v => Assert.Equal(8 * 32, v.Length));
        Assert.Equal(stamps, Directory.GetFiles(other).ToDictionary(p => p, File.GetLastWriteTimeUtc));
        using var cache = new FeatureCache(other).Read(Path.GetFullPath(f.Test[0].VideoPath));
        Assert.Equal(cache.To(DType.Float32).ToArray<float>(), features[0]);
    }

    private string Copy(string name, Action<ZipArchive> edit)
    {
        var copy = Path.Combine(f.Dir, name);
        File.Copy(f.Zip, copy, overwrite: true);
        using (var z = ZipFile.Open(copy, ZipArchiveMode.Update)) edit(z);
        return copy;
    }

    private static ZipArchiveEntry Entry(ZipArchive z, string suffix) => z.Entries.Single(e => e.FullName.Replace('\\', '/').EndsWith(suffix, StringComparison.Ordinal));

    [Fact]
    public void TamperedTruncatedAndForeignZipsFailWithTheFileNamed()
    {
        var ml = new MLContext();
        var tampered = Copy("tampered.zip", z =>
        {
            var e = Entry(z, "QFormer.model.safetensors");
            var bytes = Read(e);
            bytes[^1] ^= 0x40;
            Replace(z, e, bytes);
        });
        var t = Assert.Throws<ModelPackageException>(() => ml.VideoCaptioning().LoadModel(tampered, out _));
        Assert.Contains(tampered, t.Message);
        Assert.Contains("sha256", t.Message);

        var truncated = Path.Combine(f.Dir, "truncated.zip");
        var all = File.ReadAllBytes(f.Zip);
        File.WriteAllBytes(truncated, all[..(all.Length / 2)]);
        Assert.Contains(truncated, Assert.Throws<ModelPackageException>(() => ml.VideoCaptioning().LoadModel(truncated, out _)).Message);

        var notZip = Path.Combine(f.Dir, "notzip.zip");
        File.WriteAllText(notZip, "hello");
        Assert.Contains(notZip, Assert.Throws<ModelPackageException>(() => ml.VideoCaptioning().LoadModel(notZip, out _)).Message);
        Assert.Contains("not found", Assert.Throws<ModelPackageException>(() => ml.VideoCaptioning().LoadModel(Path.Combine(f.Dir, "none.zip"), out _)).Message);
    }

    private static byte[] Read(ZipArchiveEntry e)
    {
        using var s = e.Open();
        var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }

    private static void Replace(ZipArchive z, ZipArchiveEntry e, byte[] bytes)
    {
        var name = e.FullName;
        e.Delete();
        using var w = z.CreateEntry(name).Open();
        w.Write(bytes);
    }

    [Fact]
    public void AFutureModelVersionIsRefusedWithTheFileNamed()
    {
        // ML.NET's header stores our 8-byte model signature followed by the version written and the version readable
        var future = Copy("future.zip", z =>
        {
            foreach (var e in z.Entries.ToList())
            {
                var bytes = Read(e);
                int at = bytes.AsSpan().IndexOf("VIDQFCAP"u8);
                if (at < 0) continue;
                BitConverter.TryWriteBytes(bytes.AsSpan(at + 8), 0x00020001u);
                BitConverter.TryWriteBytes(bytes.AsSpan(at + 12), 0x00020001u);
                Replace(z, e, bytes);
            }
        });
        var e = Assert.Throws<ModelPackageException>(() => new MLContext().VideoCaptioning().LoadModel(future, out _));
        Assert.Contains(future, e.Message);
        Assert.Contains("too new", e.Message);
    }

    [Fact]
    public void AnEntryHoldingMoreThanItDeclaresIsRefused()
    {
        var lying = Path.Combine(f.Dir, "lying.zip");
        File.Copy(f.Zip, lying, overwrite: true);
        var bytes = File.ReadAllBytes(lying);
        // central directory records (PK\x01\x02): uncompressed size at +24, name length at +28, name at +46
        bool patched = false;
        for (int i = bytes.AsSpan().IndexOf("PK\u0001\u0002"u8); i >= 0 && i < bytes.Length - 46;)
        {
            int nameLength = BitConverter.ToUInt16(bytes, i + 28);
            var name = System.Text.Encoding.UTF8.GetString(bytes, i + 46, nameLength);
            if (name.EndsWith("QFormer.model.safetensors", StringComparison.Ordinal))
            {
                BitConverter.TryWriteBytes(bytes.AsSpan(i + 24), BitConverter.ToUInt32(bytes, i + 24) - 64);
                patched = true;
            }
            int next = bytes.AsSpan(i + 4).IndexOf("PK\u0001\u0002"u8);
            i = next < 0 ? -1 : i + 4 + next;
        }
        Assert.True(patched);
        File.WriteAllBytes(lying, bytes);
        var e = Assert.Throws<ModelPackageException>(() => new MLContext().VideoCaptioning().LoadModel(lying, out _));
        Assert.Contains(lying, e.Message);
        Assert.Contains("sha256", e.Message);
    }

    [Fact]
    public void EntriesOutsideTheModelAreNeverExtracted()
    {
        var name = $"evil-{Guid.NewGuid():N}.txt";
        var slip = Copy("slip.zip", z => { using var w = new StreamWriter(z.CreateEntry("../../" + name).Open()); w.Write("x"); });
        var loaded = new MLContext().VideoCaptioning().LoadModel(slip, out _);
        (loaded as IDisposable)?.Dispose();
        Assert.False(File.Exists(Path.Combine(Path.GetTempPath(), name)));
        Assert.False(File.Exists(Path.GetFullPath(Path.Combine(f.Dir, "..", "..", name))));
    }

    [Fact]
    public void FrozenModelsAreVerifiedWithAnExplicitOverride()
    {
        var ml = new MLContext();
        var tampered = Path.Combine(f.Dir, "lm-tampered");
        RandomModels.WriteQwen2(tampered, TinyPipelineFixture.LanguageModelConfig, seed: 6);
        var e = Assert.Throws<ModelPackageException>(() => ml.VideoCaptioning().LoadModel(f.Zip, out _, new VideoCaptioningLoadOptions { LanguageModelPath = tampered }));
        Assert.Contains("weights", e.Message);
        Assert.Contains("SkipFrozenModelVerification", e.Message);
        var accepted = ml.VideoCaptioning().LoadModel(f.Zip, out _, new VideoCaptioningLoadOptions { LanguageModelPath = tampered, SkipFrozenModelVerification = true });
        (accepted as IDisposable)?.Dispose();
        var missing = Assert.Throws<ModelPackageException>(() => ml.VideoCaptioning().LoadModel(f.Zip, out _,
            new VideoCaptioningLoadOptions { EncoderPath = Path.Combine(f.Dir, "nowhere") }));
        Assert.Contains("is not at", missing.Message);
    }

    [Fact]
    public void EmbeddedFrozenModelsMakeASelfContainedZip()
    {
        var ml = new MLContext(seed: 3);
        var train = ml.VideoCaptioning().Data.LoadFromJsonl(f.TrainFile);
        var chain = (TransformerChain<ITransformer>)new MLContext().Model.Load(f.Zip, out _);
        try
        {
            var captioner = (QFormerCaptionTransformer)chain.Last();
            captioner.EmbedLanguageModel = true;
            var zip = Path.Combine(f.Dir, "embedded.zip");
            ml.Model.Save(chain, train.Schema, zip);
            using (var z = ZipFile.OpenRead(zip)) Assert.Contains(z.Entries, e => e.FullName.EndsWith("LanguageModel.model.safetensors"));
            // the language model's folder is gone, the zip still loads
            var moved = f.LanguageModel + ".moved";
            Directory.Move(f.LanguageModel, moved);
            try
            {
                var loaded = new MLContext().Model.Load(zip, out _);
                try
                {
                    Assert.Equal(Captions(ml, f.Model, f.Test.Take(2)), Captions(ml, loaded, f.Test.Take(2)));
                }
                finally
                {
                    (loaded as IDisposable)?.Dispose();
                }
            }
            finally
            {
                Directory.Move(moved, f.LanguageModel);
            }
        }
        finally
        {
            chain.Dispose();
        }
    }
}
