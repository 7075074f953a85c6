using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Models.Qwen2;

namespace Microsoft.ML.VideoCaptioning.Tests.Models;

/// <summary>
/// Beam search and sampling on the qwen2_tiny_f32 fixture, checked against invariants that hold for Hugging Face's
/// definitions (the fixture's reference outputs cover greedy decoding only).
/// </summary>
[Collection(nameof(GlobalRng))]
public class GenerationTests
{
    private static double SequenceLogProb(Qwen2ForCausalLM lm, Tensor prefix, long[] tokens)
    {
        using var scope = TensorScope.Open();
        using var noGrad = Torch.NoGrad();
        var ids = Tensor.From(tokens, 1, tokens.Length);
        var embeds = Tensor.Cat([prefix, lm.Embed(ids)], 1);
        var logp = lm.Forward(inputsEmbeds: embeds).Logits!.LogSoftmax(-1, DType.Float32);
        double sum = 0;
        for (int i = 0; i < tokens.Length; i++) sum += logp.Select(0, 0).Select(0, prefix.Size(1) - 1 + i).Select(0, tokens[i]).Item();
        return sum;
    }

    [Fact]
    public void BeamSearchFindsAtLeastTheGreedyScoreAndOneBeamIsGreedy()
    {
        using var f = Fixture.Open("qwen2_tiny_f32");
        using var lm = Qwen2ForCausalLM.FromPretrained(f.ModelDir);
        using var scope = TensorScope.Open();
        var prefix = f.T("gen.inputs_embeds").Narrow(0, 0, 1);
        var o = new GenerationOptions { MaxNewTokens = 6, EosTokenIds = [-1], PadTokenId = 0, LengthPenalty = 0 };   // no eos: fixed length
        var greedy = Qwen2Generator.Generate(lm, prefix, null, o)[0];
        Assert.Equal(greedy, Qwen2Generator.Generate(lm, prefix, null, o with { NumBeams = 1 })[0]);
        var beam = Qwen2Generator.Generate(lm, prefix, null, o with { NumBeams = 4 })[0];
        Assert.Equal(6, beam.Length);
        Assert.True(SequenceLogProb(lm, prefix, beam) >= SequenceLogProb(lm, prefix, greedy) - 1e-4);
    }

    [Fact]
    public void BeamSearchBatchRowsMatchSingleRows()
    {
        using var f = Fixture.Open("qwen2_tiny_f32");
        using var lm = Qwen2ForCausalLM.FromPretrained(f.ModelDir);
        using var scope = TensorScope.Open();
        var prefix = f.T("gen.inputs_embeds");
        var o = new GenerationOptions { MaxNewTokens = 5, EosTokenIds = [f.Int("gen.eos_token_id")], PadTokenId = f.Int("gen.pad_token_id"), NumBeams = 3 };
        var batch = Qwen2Generator.Generate(lm, prefix.Narrow(0, 0, 2), Tensor.Ones([2, prefix.Size(1)], DType.Int64), o);
        for (int b = 0; b < 2; b++)
        {
            var single = Qwen2Generator.Generate(lm, prefix.Narrow(0, b, 1), null, o)[0];
            Assert.Equal(single, batch[b].Take(single.Length).ToArray());
        }
    }

    [Fact]
    public void SeededSamplingIsReproducibleAndTopKOneIsGreedy()
    {
        using var f = Fixture.Open("qwen2_tiny_f32");
        using var lm = Qwen2ForCausalLM.FromPretrained(f.ModelDir);
        using var scope = TensorScope.Open();
        var prefix = f.T("gen.inputs_embeds");
        var mask = f.T("gen.attention_mask");
        var o = new GenerationOptions { MaxNewTokens = 8, EosTokenIds = [f.Int("gen.eos_token_id")], PadTokenId = f.Int("gen.pad_token_id") };
        var greedy = Qwen2Generator.Generate(lm, prefix, mask, o);
        Assert.Equal(greedy, Qwen2Generator.Generate(lm, prefix, mask, o with { DoSample = true, TopK = 1, Seed = 3 }));
        var s = o with { DoSample = true, Temperature = 1.5, TopP = 0.9, Seed = 11 };
        Assert.Equal(Qwen2Generator.Generate(lm, prefix, mask, s), Qwen2Generator.Generate(lm, prefix, mask, s));
        var many = Enumerable.Range(0, 6).Select(i => Qwen2Generator.Generate(lm, prefix, mask, s with { Seed = (ulong)i })[0]).Select(r => string.Join(",", r)).Distinct().Count();
        Assert.True(many > 1, "sampling with different seeds always gave the same tokens");
        Assert.Throws<ArgumentException>(() => Qwen2Generator.Generate(lm, prefix, mask, o with { DoSample = true, NumBeams = 2 }));
    }
}
