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

    public static TheoryData<string> GreedyFixtures() => ["qwen2_tiny_f32", "qwen2_tiny_tied_bf16"];

    /// <summary>
    /// The preallocated KV cache, one token at a time, gives the logits of one full forward over prefix + tokens at every
    /// step, for left-padded rows of different lengths (row i has 2i pads), with grouped key/value heads.
    /// </summary>
    [Theory]
    [MemberData(nameof(GreedyFixtures))]
    public void CachedStepsGiveTheFullForwardLogits(string fixture)
    {
        using var f = Fixture.Open(fixture);
        using var lm = Qwen2ForCausalLM.FromPretrained(f.ModelDir);
        Assert.True(lm.Config.NumAttentionHeads > lm.Config.NumKeyValueHeads);
        using var scope = TensorScope.Open();
        using var noGrad = Torch.NoGrad();
        var prefix = f.T("gen.inputs_embeds");
        long b = prefix.Size(0), p = prefix.Size(1);
        const int n = 5;
        var mask = Tensor.From(Enumerable.Range(0, (int)b).SelectMany(i => Enumerable.Range(0, (int)p).Select(j => j < 2 * i ? 0L : 1L)).ToArray(), b, p);
        var tokens = Tensor.From(Enumerable.Range(0, (int)b * n).Select(i => (long)((7 + 13 * i) % lm.Config.VocabSize)).ToArray(), b, n);
        var fullMask = Tensor.Cat([mask, Tensor.Ones([b, n], DType.Int64)], 1);
        var positions = fullMask.CumSum(1).Add(fullMask.Eq(0).To(DType.Int64), 1) - 1;   // as Hugging Face: pads at 0 (masked anyway)
        var expected = lm.Forward(inputsEmbeds: Tensor.Cat([prefix, lm.Embed(tokens)], 1), attentionMask: fullMask, positionIds: positions).Logits!;

        using var cache = new Qwen2KVCache(lm.Config.NumHiddenLayers, p + n);
        var hidden = lm.model.Forward(prefix, mask, positions.Narrow(1, 0, p), cache);
        Fixture.AssertClose(expected.Select(1, p - 1), lm.Logits(hidden.Select(1, p - 1)), what: "after the prefix");
        for (int s = 0; s < n; s++)
        {
            hidden = lm.model.Forward(lm.Embed(tokens.Narrow(1, s, 1)), fullMask.Narrow(1, 0, p + s + 1), positions.Narrow(1, p + s, 1), cache);
            Fixture.AssertClose(expected.Select(1, p + s), lm.Logits(hidden.Select(1, 0)), what: $"step {s}");
        }
        Assert.Equal(p + n, cache.Length);
        Assert.Throws<InvalidOperationException>(() => lm.model.Forward(lm.Embed(tokens.Narrow(1, 0, 1)), null, positions.Narrow(1, 0, 1), cache));   // full
    }

    /// <summary>
    /// The frozen language model in bfloat16 against float32, teacher-forced along the fixture's greedy ids: the logits stay
    /// within 0.1 of float32's and the argmax agrees wherever float32's top-two margin exceeds that. The fixtures' own
    /// greedy ids are not all reproduced: qwen2_tiny_tied_bf16 has a margin of 0.008 at its second step, below bf16's
    /// error (docs/benchmarks.md), which is why the CPU default stays float32.
    /// </summary>
    [Theory]
    [MemberData(nameof(GreedyFixtures))]
    public void BFloat16FollowsFloat32WhereTheMarginAllows(string fixture)
    {
        using var f = Fixture.Open(fixture);
        using var f32 = Qwen2ForCausalLM.FromPretrained(f.ModelDir);
        using var bf16 = Qwen2ForCausalLM.FromPretrained(f.ModelDir, new TensorOptions(Device.Cpu, DType.BFloat16));
        using var scope = TensorScope.Open();
        using var noGrad = Torch.NoGrad();
        var prefix = f.T("gen.inputs_embeds");
        var mask = f.T("gen.attention_mask");
        var ids = f.T("gen.output_ids");
        long b = prefix.Size(0), p = prefix.Size(1), n = ids.Size(1);
        var fullMask = Tensor.Cat([mask, Tensor.Ones([b, n], DType.Int64)], 1);
        var positions = fullMask.CumSum(1).Add(fullMask.Eq(0).To(DType.Int64), 1) - 1;   // as Hugging Face: pads at 0 (masked anyway)
        Tensor Logits(Qwen2ForCausalLM lm, DType t) => lm.Forward(inputsEmbeds: Tensor.Cat([prefix.To(t), lm.Embed(ids)], 1), attentionMask: fullMask,
            positionIds: positions).Logits!.Narrow(1, p - 1, n).To(DType.Float32);
        var reference = Logits(f32, DType.Float32);
        var got = Logits(bf16, DType.BFloat16);
        double maxDiff = (got - reference).Abs().ToFloatArray().Max();
        Assert.True(maxDiff < 0.1, $"bf16 logits differ from float32's by {maxDiff}");
        var (top2, _) = reference.TopK(2);
        var margin = (top2.Narrow(-1, 0, 1) - top2.Narrow(-1, 1, 1)).ToFloatArray();
        var want = reference.ArgMax(-1).ToLongArray();
        var have = got.ArgMax(-1).ToLongArray();
        int compared = 0;
        for (int i = 0; i < want.Length; i++)
        {
            if (margin[i] <= 0.1) continue;
            compared++;
            Assert.Equal(want[i], have[i]);
        }
        Assert.True(compared >= want.Length / 2, $"only {compared} of {want.Length} steps have a clear margin");
    }

    /// <summary>
    /// Mixed precision (bfloat16 products in the decoder layers, float32 everywhere else) gives float32's greedy ids, which
    /// are the fixtures' reference ids, on every fixture with a greedy case.
    /// </summary>
    [Theory]
    [MemberData(nameof(GreedyFixtures))]
    public void BFloat16LayerProductsGiveTheFloat32GreedyIds(string fixture)
    {
        using var f = Fixture.Open(fixture);
        using var f32 = Qwen2ForCausalLM.FromPretrained(f.ModelDir);
        using var mixed = Qwen2ForCausalLM.FromPretrained(f.ModelDir, layerProducts: DType.BFloat16);
        Assert.Equal(DType.BFloat16, mixed.model.layers[0].mlp.down_proj.weight.DType);
        Assert.Equal(DType.Float32, mixed.model.embed_tokens.weight.DType);
        Assert.Equal(DType.Float32, mixed.model.layers[0].input_layernorm.weight.DType);
        using var scope = TensorScope.Open();
        var prefix = f.T("gen.inputs_embeds");
        var mask = f.T("gen.attention_mask");
        var o = new GenerationOptions { MaxNewTokens = f.Int("gen.max_new_tokens"), EosTokenIds = [f.Int("gen.eos_token_id")], PadTokenId = f.Int("gen.pad_token_id") };
        var expected = Qwen2Generator.Generate(f32, prefix, mask, o);
        var e = f.T("gen.output_ids");
        for (int bi = 0; bi < expected.Length; bi++) Assert.Equal(e.Select(0, bi).ToLongArray(), expected[bi]);
        Assert.Equal(expected, Qwen2Generator.Generate(mixed, prefix, mask, o));
    }

    /// <summary>
    /// With bfloat16 layer products the head ranks candidates in bfloat16 and rescores them in float32: at every position
    /// of the fixtures' prefixes the candidates' logits are the full float32 head's at those ids, and the greedy ids are
    /// the full head's argmax.
    /// </summary>
    [Theory]
    [MemberData(nameof(GreedyFixtures))]
    public void BFloat16HeadCandidatesCarryTheFloat32Logits(string fixture)
    {
        using var f = Fixture.Open(fixture);
        using var mixed = Qwen2ForCausalLM.FromPretrained(f.ModelDir, layerProducts: DType.BFloat16);
        using var scope = TensorScope.Open();
        using var noGrad = Torch.NoGrad();
        var hidden = mixed.model.Forward(f.T("gen.inputs_embeds"), f.T("gen.attention_mask"), null, null);
        var h = hidden.Reshape(-1, hidden.Size(-1));
        var full = mixed.Logits(h);
        Assert.Equal(DType.Float32, full.DType);
        var (ids, logits) = mixed.GreedyCandidates(h);
        Assert.Equal([h.Size(0), Qwen2ForCausalLM.HeadCandidates], ids.Shape);
        Fixture.AssertClose(full.Gather(-1, ids), logits, 1e-5, what: "candidate logits");
        Assert.Equal(full.ArgMax(-1).ToLongArray(), mixed.GreedyIds(h).ToLongArray());
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
