using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Models.Qwen2;
using Microsoft.ML.VideoCaptioning.Text;

namespace Microsoft.ML.VideoCaptioning.Models;

/// <summary>
/// The trained captioner at the model level, on batches of encoder features: captions with their confidence (mean token
/// log-probability, from a teacher-forced pass over the generated tokens, so it holds for greedy, sampled and beam
/// decoding alike), video embeddings, and the log-likelihood of a given text after stored visual prefixes (text search).
/// Calls are serialised: the model is shared.
/// </summary>
public sealed class CaptionGenerator
{
    private readonly object _gate = new();

    /// <summary>Creates the generator over a loaded model.</summary>
    public CaptionGenerator(VideoCaptionModel model, Qwen2Tokenizer tokenizer, GenerationOptions generation)
    {
        Model = model;
        Tokenizer = tokenizer;
        Generation = generation;
    }

    /// <summary>The Q-Former and language model.</summary>
    public VideoCaptionModel Model { get; }

    /// <summary>The language model's tokenizer.</summary>
    public Qwen2Tokenizer Tokenizer { get; }

    /// <summary>Decoding settings.</summary>
    public GenerationOptions Generation { get; }

    /// <summary>Captions of a batch of features (B, N, visual_dim).</summary>
    public IReadOnlyList<ScoredCaption> Caption(Tensor features)
    {
        lock (_gate)
        {
            using var scope = TensorScope.Open();
            return CaptionPrefix(Model.VisualPrefix(features));
        }
    }

    /// <summary>Caption, embedding and visual prefix of each clip of a batch of features (B, N, visual_dim), from one Q-Former pass.</summary>
    public IReadOnlyList<VisualDescription> Describe(Tensor features)
    {
        lock (_gate)
        {
            using var scope = TensorScope.Open();
            var prefix = Model.VisualPrefix(features);
            var captions = CaptionPrefix(prefix);
            long b = prefix.Size(0), queries = prefix.Size(1), hidden = prefix.Size(2);
            var embeddings = VideoCaptionModel.PooledEmbedding(prefix).ToFloatArray();
            var halves = prefix.To(Device.Cpu, DType.Float16).ToArray<Half>();
            long size = queries * hidden;
            return Enumerable.Range(0, (int)b).Select(i => new VisualDescription(captions[i],
                embeddings.AsSpan((int)(i * hidden), (int)hidden).ToArray(), halves.AsSpan((int)(i * size), (int)size).ToArray())).ToList();
        }
    }

    /// <summary>
    /// Total log-probability of <paramref name="text"/> (its tokens and end-of-text) after each visual prefix (B, Q, hidden),
    /// in batches of <paramref name="batchSize"/> prefixes.
    /// </summary>
    public double[] TextLogLikelihood(Tensor visualPrefixes, string text, int batchSize = 64)
    {
        long[] tokens = [.. Tokenizer.Encode(text.Trim()).Select(t => (long)t), Generation.EosTokenIds[0]];
        long b = visualPrefixes.Size(0);
        var result = new double[b];
        lock (_gate)
        {
            for (long start = 0; start < b; start += batchSize)
            {
                using var scope = TensorScope.Open();
                int rows = (int)Math.Min(batchSize, b - start);
                var scores = Model.TokenLogProbs(visualPrefixes.Narrow(0, start, rows), Enumerable.Repeat(tokens, rows).ToList());
                for (int i = 0; i < rows; i++)
                    result[start + i] = scores[i].Sum();
            }
        }
        return result;
    }

    private List<ScoredCaption> CaptionPrefix(Tensor prefix)
    {
        var generated = Model.GenerateFromVisualPrefix(prefix, Generation);
        // The caption's tokens: up to and including the first end-of-text (the padding after it is not part of it).
        var tokens = generated.Select(row =>
        {
            int end = Array.FindIndex(row, t => Generation.EosTokenIds.Contains((int)t));
            return end < 0 ? row : row[..(end + 1)];
        }).ToList();
        var logProbs = Model.TokenLogProbs(prefix, tokens);
        return tokens.Select((row, i) => new ScoredCaption(
            Tokenizer.Decode(row.Select(v => (int)v).ToArray(), skipSpecialTokens: true).Trim(),
            logProbs[i].Length > 0 ? logProbs[i].Average() : double.NaN)).ToList();
    }
}
