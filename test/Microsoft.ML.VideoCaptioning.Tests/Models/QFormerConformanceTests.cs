using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Models;
using Microsoft.ML.VideoCaptioning.Models.QFormer;
using Microsoft.ML.VideoCaptioning.Models.Qwen2;
using Microsoft.ML.VideoCaptioning.Models.VJepa2;
using Microsoft.ML.VideoCaptioning.Tests.Text;
using Microsoft.ML.VideoCaptioning.Tests.Training;

namespace Microsoft.ML.VideoCaptioning.Tests.Models;

/// <summary>The Q-Former and the whole captioner wiring against the PyTorch reference (fixtures qformer_* and captioner_*).</summary>
public class QFormerConformanceTests
{
    /// <summary>Every case of every qformer_* fixture with a model (qformer_train_step is the trainer's, see TrainStepGoldenTests).</summary>
    public static TheoryData<string, string> QFormerCases() => Fixture.AllCases("qformer_", except: TrainStepGoldenTests.FixtureName);

    [Theory]
    [MemberData(nameof(QFormerCases))]
    public void QFormerMatchesReference(string fixture, string testCase)
    {
        using var f = Fixture.Open(fixture);
        CheckQFormer(f, testCase);
    }

    /// <summary>Checks case <paramref name="testCase"/> of a qformer_* fixture: the output, with the case's mask when it has one.</summary>
    public static void CheckQFormer(Fixture f, string testCase)
    {
        using var q = QFormerModel.FromPretrained(f.ModelDir);
        using var scope = TensorScope.Open();
        using var noGrad = Torch.NoGrad();
        var features = f.T(f.Has($"{testCase}.visual_features") ? $"{testCase}.visual_features" : "plain.visual_features");
        var mask = f.Has($"{testCase}.visual_mask") ? f.T($"{testCase}.visual_mask") : null;
        Fixture.AssertClose(f.T($"{testCase}.output"), q.Forward(features, mask), what: testCase);
    }

    [Fact]
    public void SeedSizeHasTheSeedParameterCount()
    {
        using var q = new QFormerModel(new QFormerConfig(), TensorOptions.CpuFloat32);
        Assert.Equal(39_453_696, q.ParameterCount);
        Assert.Contains(q.NamedParameters(), p => p.Name == "blocks.0.mlp.3.weight");
    }

    public static TheoryData<string> CaptionerFixtures() => new(Fixture.Names("captioner_"));

    [Theory]
    [MemberData(nameof(CaptionerFixtures))]
    public void CaptionerMatchesReference(string fixture)
    {
        using var f = Fixture.Open(fixture);
        CheckCaptioner(f);
    }

    /// <summary>Checks a captioner_* fixture: features, Q-Former output, training inputs, labels and losses, generation and its decoded text.</summary>
    public static void CheckCaptioner(Fixture f)
    {
        using var vjepa = VJepa2Model.FromPretrained(f.Dir("vjepa2_dir"));
        using var q = QFormerModel.FromPretrained(f.Dir("qformer_dir"));
        using var lm = Qwen2ForCausalLM.FromPretrained(f.Dir("qwen2_dir"));
        vjepa.EagerAttention = lm.EagerAttention = true;
        using var scope = TensorScope.Open();
        using var noGrad = Torch.NoGrad();
        var model = new VideoCaptionModel(q, lm, f.T("prompt_ids").ToLongArray());
        var features = vjepa.GetVisionFeatures(f.T("pixel_values_videos"));
        Fixture.AssertClose(f.T("vision_features"), features, what: "vision features");
        Fixture.AssertClose(f.T("qformer_output"), q.Forward(features), what: "qformer output");
        var ids = f.T("caption_ids");
        var cmask = f.T("caption_mask");
        var (embeds, mask, labelsMasked) = model.TrainingInputs(features, ids, cmask, maskPadding: true);
        Fixture.AssertClose(f.T("train.inputs_embeds"), embeds, what: "train inputs");
        Assert.Equal(f.T("train.attention_mask").ToLongArray(), mask.ToLongArray());
        Assert.Equal(f.T("train.labels_masked").ToLongArray(), labelsMasked.ToLongArray());
        Assert.Equal(f.T("train.labels_seed").ToLongArray(), model.TrainingInputs(features, ids, cmask, maskPadding: false).Labels.ToLongArray());
        Fixture.AssertClose(f.T("train.loss_masked"), model.Loss(features, ids, cmask, maskPadding: true), what: "loss masked");
        Fixture.AssertClose(f.T("train.loss_seed"), model.Loss(features, ids, cmask, maskPadding: false), what: "loss seed");
        Fixture.AssertClose(f.T("gen.inputs_embeds"), model.PrefixEmbeds(features), what: "generation prefix");
        var options = new GenerationOptions
        {
            MaxNewTokens = f.Int("gen.max_new_tokens"), EosTokenIds = [f.Int("gen.eos_token_id")], PadTokenId = f.Int("gen.pad_token_id"),
        };
        var got = model.Generate(features, options);
        var expected = f.T("gen.output_ids");
        int cols = (int)expected.Size(1);
        var e = expected.ToLongArray();
        for (int bi = 0; bi < got.Length; bi++) Assert.Equal(e.Skip(bi * cols).Take(cols).ToArray(), got[bi]);
        // the captions as the seed decodes them (skip_special_tokens=True)
        string[] decoded = got.Select(ids => TokenizerTestData.Default.Decode(ids.Select(v => (int)v).ToArray(), skipSpecialTokens: true)).ToArray();
        Assert.Equal(f.Strings("gen.decoded_skip_special"), decoded);
    }
}
