using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Models.Qwen2;

namespace Microsoft.ML.VideoCaptioning.Tests.Models;

/// <summary>Every case of every qwen2_* fixture against the PyTorch reference (fp32 compute; relative tolerance 1e-4, ids exact).</summary>
public class Qwen2ConformanceTests
{
    public static TheoryData<string, string> Cases() => Fixture.AllCases("qwen2_");

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesReference(string fixture, string testCase)
    {
        using var f = Fixture.Open(fixture);
        Check(f, testCase);
    }

    /// <summary>Checks case <paramref name="testCase"/> ("fwd", "loss", "pad_left", "pad_right", "gen") of a qwen2_* fixture.</summary>
    public static void Check(Fixture f, string testCase)
    {
        using var lm = Qwen2ForCausalLM.FromPretrained(f.ModelDir);
        lm.EagerAttention = true;
        using var scope = TensorScope.Open();
        using var noGrad = Torch.NoGrad();
        switch (testCase)
        {
            case "fwd":
            {
                var ids = f.T("fwd.input_ids");
                var mask = f.Has("fwd.attention_mask") ? f.T("fwd.attention_mask") : null;
                var o = lm.Forward(inputIds: ids, attentionMask: mask, returnLayers: true);
                if (f.Has("fwd.inputs_embeds")) Fixture.AssertClose(f.T("fwd.inputs_embeds"), lm.Embed(ids), what: "embeds");
                for (int i = 0; f.Has($"fwd.layer_{i}"); i++) Fixture.AssertClose(f.T($"fwd.layer_{i}"), o.LayerOutputs[i], what: $"layer {i}");
                if (f.Has("fwd.final_norm")) Fixture.AssertClose(f.T("fwd.final_norm"), o.Hidden, what: "final norm");
                if (f.Has("fwd.logits")) Fixture.AssertClose(f.T("fwd.logits"), o.Logits!, what: "logits");
                if (f.Has("fwd.logsumexp"))
                {
                    var real = mask!.ToLongArray().Select(v => v == 1).ToArray();
                    // every position: with right padding a padded query still sees the real tokens before it
                    Fixture.AssertClose(f.T("fwd.logsumexp"), o.Logits!.LogSumExp(-1), what: "logsumexp");
                    var last = real.Select((r, i) => (r, i)).GroupBy(p => p.i / (int)ids.Size(1)).Select(g => (long)g.Where(p => p.r).Max(p => p.i % (int)ids.Size(1))).ToArray();
                    var rows = Enumerable.Range(0, last.Length).Select(bi => o.Logits!.Select(0, bi).Select(0, last[bi])).ToList();
                    Fixture.AssertClose(f.T("fwd.logits_last"), Tensor.Stack(rows, 0), what: "last logits");
                    var expectedArgmax = f.T("fwd.argmax").ToLongArray();
                    var margin = f.T("fwd.argmax_margin").ToFloatArray();
                    var got = o.Logits!.ArgMax(-1).ToLongArray();
                    for (int i = 0; i < got.Length; i++)
                        if (margin[i] > 1e-3) Assert.Equal(expectedArgmax[i], got[i]);
                }
                break;
            }
            case "loss":
            {
                var ids = f.T("fwd.input_ids");
                var labels = f.T("loss.labels");
                var mask = f.Has("fwd.attention_mask") ? f.T("fwd.attention_mask") : null;
                Fixture.AssertClose(f.T("loss.value"), lm.Forward(inputIds: ids, attentionMask: mask, labels: labels).Loss!, what: "loss");
                // the training path projects only the counted positions: same value
                Fixture.AssertClose(f.T("loss.value"), lm.Forward(inputIds: ids, attentionMask: mask, labels: labels, returnLogits: false).Loss!, what: "loss (sparse logits)");
                break;
            }
            case "pad_left":
            case "pad_right":
            {
                var mask = f.T($"{testCase}.attention_mask");
                var o = lm.Forward(inputIds: f.T("fwd.input_ids"), attentionMask: mask);
                Fixture.AssertClose(f.T($"{testCase}.logits"), o.Logits!, positionMask: mask.ToLongArray().Select(v => v == 1).ToArray(), what: testCase);
                break;
            }
            case "gen":
            {
                var options = new GenerationOptions
                {
                    MaxNewTokens = f.Int("gen.max_new_tokens"),
                    EosTokenIds = [f.Int("gen.eos_token_id")],
                    PadTokenId = f.Int("gen.pad_token_id"),
                };
                var got = Qwen2Generator.Generate(lm, f.T("gen.inputs_embeds"), f.T("gen.attention_mask"), options);
                var expected = f.T("gen.output_ids");
                long cols = expected.Size(1);
                var e = expected.ToLongArray();
                for (int bi = 0; bi < got.Length; bi++)
                    Assert.Equal(e.Skip(bi * (int)cols).Take((int)cols).ToArray(), got[bi]);
                break;
            }
            default:
                Assert.Fail($"{f.Name}: case '{testCase}' has no test; every fixture case must be checked.");
                break;
        }
    }
}
