using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Features;
using Microsoft.ML.VideoCaptioning.Models;
using Microsoft.ML.VideoCaptioning.Models.QFormer;
using Microsoft.ML.VideoCaptioning.Models.Qwen2;
using Microsoft.ML.VideoCaptioning.Models.VJepa2;
using Microsoft.ML.VideoCaptioning.Text;
using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning.Tests.Timeline;

/// <summary>
/// An untrained captioner at the model level, built in a second: tiny random V-JEPA 2 (crop 32, 4 frames) and Qwen2 (real
/// vocabulary) in Hugging Face layout, a freshly initialised Q-Former (4 queries), greedy decoding of up to 6 tokens.
/// </summary>
public sealed class TinyRandomCaptioner : IDisposable
{
    public const int FrameCount = 4;

    public TinyRandomCaptioner()
    {
        Root = Directory.CreateTempSubdirectory("vidcap-timeline-tests-").FullName;
        string encoder = Path.Combine(Root, "vjepa2"), languageModel = Path.Combine(Root, "qwen2");
        RandomModels.WriteVJepa2(encoder, new VJepa2Config { HiddenSize = 64, NumHiddenLayers = 1, NumAttentionHeads = 2, CropSize = 32 }, seed: 1);
        RandomModels.WriteQwen2(languageModel, new Qwen2Config { HiddenSize = 32, NumHiddenLayers = 1, NumAttentionHeads = 2, NumKeyValueHeads = 1, IntermediateSize = 64, VocabSize = 151936, RopeTheta = 1e6, TieWordEmbeddings = true, EosTokenIds = [151643] }, seed: 1);
        // float32 pinned: the default compute type depends on the CPU (bf16 where it has bf16 instructions), and these
        // tests' expectations (e.g. the order of near-tied text scores) must not
        Featurizer = new VJepaFeaturizer(encoder, new VJepaEncoderOptions { ComputeType = DType.Float32 });
        Torch.ManualSeed(2);
        var qformer = new QFormerModel(new QFormerConfig { NumQueries = 4, Dim = 32, NumHeads = 2, Depth = 1, VisualDim = 64 }, TensorOptions.CpuFloat32);
        qformer.ResetParameters();
        qformer.Eval();
        qformer.Freeze();
        var tokenizer = Qwen2Tokenizer.LoadDefault();
        var lm = Qwen2ForCausalLM.FromPretrained(languageModel);
        var model = new VideoCaptionModel(qformer, lm, tokenizer.Encode("a video showing:").Select(i => (long)i).ToArray());
        Generator = new CaptionGenerator(model, tokenizer, new GenerationOptions { MaxNewTokens = 6 });
    }

    public string Root { get; }

    public VJepaFeaturizer Featurizer { get; }

    public CaptionGenerator Generator { get; }

    /// <summary>The sampling the encoder expects.</summary>
    public static VideoFrameSampler.Options Sampling => new() { FrameCount = FrameCount, CropSize = 32 };

    public void Dispose()
    {
        Featurizer.Dispose();
        Generator.Model.QFormer.Dispose();
        Generator.Model.LanguageModel.Dispose();
        Directory.Delete(Root, recursive: true);
    }
}
