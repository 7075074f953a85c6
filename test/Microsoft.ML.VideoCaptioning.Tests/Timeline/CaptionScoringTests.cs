using Microsoft.ML.VideoCaptioning.Engine;
using Xunit;

namespace Microsoft.ML.VideoCaptioning.Tests.Timeline;

public class CaptionScoringTests(TinyRandomCaptioner tiny) : IClassFixture<TinyRandomCaptioner>
{
    private static Tensor RandomFeatures(int batch, ulong seed)
    {
        Torch.ManualSeed(seed);
        return Tensor.Randn([batch, 32, 64]);
    }

    // log-softmax of the full logits of [prefix ; prompt ; tokens], computed in double here: an independent path.
    private double[,] FullLogSoftmax(Tensor prefix, long[] tokens, out int[] argmax)
    {
        var model = tiny.Generator.Model;
        using var scope = TensorScope.Open();
        using var noGrad = Torch.NoGrad();
        var ids = Tensor.From<long>(tokens, [1, tokens.Length]);
        var embeds = Tensor.Cat([model.WithPrompt(prefix), model.LanguageModel.Embed(ids)], 1);
        var logits = model.LanguageModel.Forward(inputsEmbeds: embeds).Logits!;
        long p = embeds.Size(1) - tokens.Length, vocab = logits.Size(2);
        var all = logits.To(DType.Float32).ToFloatArray();
        var result = new double[tokens.Length, vocab];
        argmax = new int[tokens.Length];
        for (int j = 0; j < tokens.Length; j++)
        {
            long row = (p - 1 + j) * vocab;
            double max = double.NegativeInfinity, sum = 0;
            for (int v = 0; v < vocab; v++) { max = Math.Max(max, all[row + v]); }
            for (int v = 0; v < vocab; v++) sum += Math.Exp(all[row + v] - max);
            for (int v = 0; v < vocab; v++)
            {
                result[j, v] = all[row + v] - max - Math.Log(sum);
                if (all[row + v] > all[row + argmax[j]]) argmax[j] = v;
            }
        }
        return result;
    }

    [Fact]
    public void TokenLogProbsMatchTheFullForwardForRowsOfDifferentLengths()
    {
        var model = tiny.Generator.Model;
        using var scope = TensorScope.Open();
        var prefix = model.VisualPrefix(RandomFeatures(3, 5));
        long[][] tokens = [[64, 2766, 9027], [151643], [1, 2, 3, 4, 5]];

        var scores = model.TokenLogProbs(prefix, tokens);

        for (int i = 0; i < 3; i++)
        {
            var expected = FullLogSoftmax(prefix.Narrow(0, i, 1), tokens[i], out _);
            Assert.Equal(tokens[i].Length, scores[i].Length);
            for (int j = 0; j < tokens[i].Length; j++)
                Assert.Equal(expected[j, tokens[i][j]], scores[i][j], 4);
        }
    }

    [Fact]
    public void GreedyCaptionsPickTheMostLikelyTokenAndTheirConfidenceIsItsMeanLogProbability()
    {
        var model = tiny.Generator.Model;
        using var scope = TensorScope.Open();
        var features = RandomFeatures(2, 6);
        var prefix = model.VisualPrefix(features);
        var generated = model.GenerateFromVisualPrefix(prefix, tiny.Generator.Generation);

        var captions = tiny.Generator.Caption(features);

        for (int i = 0; i < 2; i++)
        {
            int end = Array.IndexOf(generated[i], 151643L);
            var tokens = end < 0 ? generated[i] : generated[i][..(end + 1)];
            var expected = FullLogSoftmax(prefix.Narrow(0, i, 1), tokens, out int[] argmax);
            Assert.Equal(tokens.Select(t => (int)t), argmax);
            Assert.Equal(Enumerable.Range(0, tokens.Length).Average(j => expected[j, tokens[j]]), captions[i].Confidence, 4);
            Assert.True(captions[i].Confidence <= 0);
        }
    }

    [Fact]
    public void EmbeddingsAreTheMeanOfTheQueryOutputsWithUnitLength()
    {
        var model = tiny.Generator.Model;
        using var scope = TensorScope.Open();
        var features = RandomFeatures(3, 7);
        var outputs = model.QFormer.Forward(features).ToFloatArray();   // (3, 4, 32)

        var embeddings = model.Embed(features).ToFloatArray();

        for (int b = 0; b < 3; b++)
        {
            var mean = Enumerable.Range(0, 32).Select(d => Enumerable.Range(0, 4).Average(q => (double)outputs[(b * 4 + q) * 32 + d])).ToArray();
            double norm = Math.Sqrt(mean.Sum(v => v * v));
            for (int d = 0; d < 32; d++)
                Assert.Equal(mean[d] / norm, embeddings[b * 32 + d], 5);
            Assert.Equal(1.0, Enumerable.Range(0, 32).Sum(d => (double)embeddings[b * 32 + d] * embeddings[b * 32 + d]), 5);
        }
    }

    [Fact]
    public void DescribeAgreesWithCaptionAndEmbed()
    {
        using var scope = TensorScope.Open();
        var features = RandomFeatures(2, 8);

        var described = tiny.Generator.Describe(features);

        Assert.Equal(tiny.Generator.Caption(features), described.Select(d => d.Caption));
        Assert.Equal(tiny.Generator.Model.Embed(features).ToFloatArray(), described.SelectMany(d => d.Embedding));
        Assert.All(described, d => Assert.Equal(4 * 32, d.Prefix.Length));
    }

    [Fact]
    public void TextLikelihoodIsTheSumOfItsTokenLogProbabilitiesEndOfTextIncluded()
    {
        var generator = tiny.Generator;
        using var scope = TensorScope.Open();
        var prefix = generator.Model.VisualPrefix(RandomFeatures(3, 9));
        long[] tokens = [.. generator.Tokenizer.Encode("a red circle moving up").Select(t => (long)t), 151643];

        var scores = generator.TextLogLikelihood(prefix, "  a red circle moving up ", batchSize: 2);

        for (int i = 0; i < 3; i++)
        {
            var expected = FullLogSoftmax(prefix.Narrow(0, i, 1), tokens, out _);
            Assert.Equal(Enumerable.Range(0, tokens.Length).Sum(j => expected[j, tokens[j]]), scores[i], 3);
        }
    }
}
