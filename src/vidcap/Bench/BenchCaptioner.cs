using Microsoft.ML.VideoCaptioning.Cli.Commands;
using Microsoft.ML.VideoCaptioning.Cli.Demo;
using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Features;
using Microsoft.ML.VideoCaptioning.Models;
using Microsoft.ML.VideoCaptioning.Models.QFormer;
using Microsoft.ML.VideoCaptioning.Models.Qwen2;
using Microsoft.ML.VideoCaptioning.Text;
using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning.Cli.Bench;

/// <summary>What the timeline and search benchmarks caption with: a loaded model, or the demo's model shapes with random weights.</summary>
internal sealed class BenchCaptioner(VideoFrameSampler.Options sampling, Func<IReadOnlyList<SampledClip>, Tensor> featurize, CaptionGenerator generator,
    string description, Action dispose) : IDisposable
{
    public VideoFrameSampler.Options Sampling => sampling;
    public Func<IReadOnlyList<SampledClip>, Tensor> Featurize => featurize;
    public CaptionGenerator Generator => generator;
    public string Description => description;

    public static BenchCaptioner From(LoadedCaptioner loaded) =>
        new(loaded.Sampling, loaded.Featurizer.Featurize, loaded.Generator, "the given model", loaded.Dispose);

    private const int DemoFrames = 16;   // the demo's frames per clip (DemoRunner)

    /// <summary>The demo's encoder, language model and Q-Former shapes with random weights, written to a temporary folder.</summary>
    public static BenchCaptioner DemoShapes(Action<string> log)
    {
        string root = Directory.CreateTempSubdirectory("vidcap-bench-models-").FullName;
        log("writing random models of the demo's shapes");
        RandomModels.WriteVJepa2(Path.Combine(root, "vjepa2"), DemoRunner.Encoder, seed: 1);
        RandomModels.WriteQwen2(Path.Combine(root, "qwen2"), new Qwen2Config { HiddenSize = 64, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2, IntermediateSize = 192, VocabSize = 151936, RopeTheta = 1e6, TieWordEmbeddings = true, EosTokenIds = [151643] }, seed: 1);
        var featurizer = new VJepaFeaturizer(Path.Combine(root, "vjepa2"));
        var encoder = DemoRunner.Encoder;
        var qformer = new QFormerModel(new QFormerConfig
        {
            NumQueries = 32, Dim = 64, NumHeads = 4, Depth = 2, VisualDim = encoder.HiddenSize,
            VisualGridTime = DemoFrames / encoder.TubeletSize, VisualGridHeight = encoder.GridSize, VisualGridWidth = encoder.GridSize,
        }, TensorOptions.CpuFloat32);
        Torch.ManualSeed(1);
        qformer.ResetParameters();
        qformer.Eval();
        var tokenizer = Qwen2Tokenizer.LoadDefault();
        var lm = Qwen2ForCausalLM.FromPretrained(Path.Combine(root, "qwen2"));
        var model = new VideoCaptionModel(qformer, lm, tokenizer.Encode("a video showing:").Select(i => (long)i).ToArray());
        var sampling = new VideoFrameSampler.Options { FrameCount = DemoFrames, CropSize = encoder.CropSize };
        return new BenchCaptioner(sampling, featurizer.Featurize, new CaptionGenerator(model, tokenizer, new GenerationOptions { MaxNewTokens = 16 }),
            "demo shapes, random weights", () =>
            {
                featurizer.Dispose();
                qformer.Dispose();
                lm.Dispose();
                Directory.Delete(root, recursive: true);
            });
    }

    public void Dispose() => dispose();
}
