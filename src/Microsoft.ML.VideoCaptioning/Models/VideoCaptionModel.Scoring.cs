using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Models.Qwen2;

namespace Microsoft.ML.VideoCaptioning.Models;

// The visual prefix on its own: embeddings for similarity search, generation from a stored prefix, and the language
// model's log-probability of given tokens after a prefix (caption confidence, text search).
public sealed partial class VideoCaptionModel
{
    // Logits of one scoring chunk stay under this many bytes (rows × tokens × vocabulary × 4).
    private const long ScoringLogitBytes = 64L << 20;

    /// <summary>The Q-Former's outputs for features (B, N, visual_dim): (B, queries, hidden) in the language model's type and device.</summary>
    public Tensor VisualPrefix(Tensor features, Tensor? visualMask = null)
    {
        using var scope = TensorScope.Open();
        return QFormer.Forward(features.To(LmDevice), visualMask?.To(LmDevice)).To(LmType).MoveToOuterScope();
    }

    /// <summary>[visual prefix ; embed(prompt)]: (B, Q + P, hidden).</summary>
    public Tensor WithPrompt(Tensor visualPrefix)
    {
        using var scope = TensorScope.Open();
        var vision = visualPrefix.To(LmDevice, LmType);
        long b = vision.Size(0);
        var prompt = LanguageModel.Embed(Tensor.From<long>(PromptIds, [1, PromptIds.Length], LmDevice)).Expand(b, PromptIds.Length, vision.Size(2));
        return Tensor.Cat([vision, prompt], 1).MoveToOuterScope();
    }

    /// <summary>
    /// Video embeddings: the Q-Former's query outputs mean-pooled over the queries and L2-normalised, (B, hidden) float32 on
    /// the CPU, so that a dot product is the cosine similarity.
    /// </summary>
    public Tensor Embed(Tensor features, Tensor? visualMask = null)
    {
        using var scope = TensorScope.Open();
        using var noGrad = Torch.NoGrad();
        return PooledEmbedding(VisualPrefix(features, visualMask)).MoveToOuterScope();
    }

    /// <summary>Mean over the queries of a visual prefix (B, Q, hidden), L2-normalised: (B, hidden) float32 on the CPU.</summary>
    public static Tensor PooledEmbedding(Tensor visualPrefix)
    {
        using var scope = TensorScope.Open();
        var pooled = visualPrefix.To(Device.Cpu, DType.Float32).Mean(1);
        var norm = pooled.Pow(2).Sum(-1, keepDim: true).Sqrt().Clamp(1e-12, float.MaxValue);
        return (pooled / norm).MoveToOuterScope();
    }

    /// <summary>New token ids per row, generated after [visual prefix ; prompt] (see <see cref="Generate"/>).</summary>
    public long[][] GenerateFromVisualPrefix(Tensor visualPrefix, GenerationOptions options)
    {
        using var scope = TensorScope.Open();
        return GenerateFromPrefixEmbeds(WithPrompt(visualPrefix), options);
    }

    /// <summary>
    /// log p(token j | [visual prefix ; prompt ; tokens before j]) for every row's tokens, teacher-forced in batches (the
    /// rows' token lists may differ in length; each is right-padded and the padding ignored). Row i of
    /// <paramref name="visualPrefix"/> (B, Q, hidden) scores <paramref name="tokens"/>[i].
    /// </summary>
    public double[][] TokenLogProbs(Tensor visualPrefix, IReadOnlyList<long[]> tokens)
    {
        long b = visualPrefix.Size(0);
        if (tokens.Count != b) throw new ArgumentException($"{tokens.Count} token lists for {b} prefixes.");
        var result = new double[b][];
        int longest = tokens.Count == 0 ? 0 : tokens.Max(t => t.Length);
        if (longest == 0)
        {
            for (int i = 0; i < b; i++) result[i] = [];
            return result;
        }
        int chunk = (int)Math.Clamp(ScoringLogitBytes / ((long)longest * LanguageModel.Config.VocabSize * 4), 1, b);
        for (int start = 0; start < b; start += chunk)
        {
            int rows = (int)Math.Min(chunk, b - start);
            var scores = ScoreChunk(visualPrefix.Narrow(0, start, rows), tokens.Skip(start).Take(rows).ToList(), longest);
            for (int i = 0; i < rows; i++)
                result[start + i] = scores[i];
        }
        return result;
    }

    private double[][] ScoreChunk(Tensor visualPrefix, List<long[]> tokens, int longest)
    {
        using var scope = TensorScope.Open();
        using var noGrad = Torch.NoGrad();
        int rows = tokens.Count;
        var ids = new long[rows * longest];
        var mask = new long[rows * longest];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < tokens[i].Length; j++)
            {
                ids[i * longest + j] = tokens[i][j];
                mask[i * longest + j] = 1;
            }
        var idTensor = Tensor.From<long>(ids, [rows, longest], LmDevice);
        var prefix = WithPrompt(visualPrefix);
        long p = prefix.Size(1);
        var embeds = Tensor.Cat([prefix, LanguageModel.Embed(idTensor)], 1);
        var attention = Tensor.Cat([Tensor.Ones([rows, p], DType.Int64, LmDevice), Tensor.From<long>(mask, [rows, longest], LmDevice)], 1);
        var hidden = LanguageModel.model.Forward(embeds, attention, null, null);
        // position p − 1 + j predicts token j
        var logProbs = LanguageModel.Logits(hidden.Narrow(1, p - 1, longest)).To(DType.Float32).LogSoftmax(-1);
        var picked = logProbs.Gather(-1, idTensor.Unsqueeze(-1)).Squeeze(-1).To(Device.Cpu).ToFloatArray();
        return Enumerable.Range(0, rows).Select(i => picked.AsSpan(i * longest, tokens[i].Length).ToArray().Select(v => (double)v).ToArray()).ToArray();
    }
}
