using Microsoft.ML.VideoCaptioning.Engine;

namespace Microsoft.ML.VideoCaptioning.Models.Qwen2;

/// <summary>When beam search stops (Hugging Face <c>early_stopping</c>).</summary>
public enum EarlyStopping
{
    /// <summary>Stop when the best running beam can no longer beat the worst finished one, judged at the current length (HF False).</summary>
    Heuristic,
    /// <summary>Stop as soon as num_beams hypotheses are finished (HF True).</summary>
    WhenBeamsFinished,
    /// <summary>Stop only when no running beam can win at any length up to the maximum (HF "never").</summary>
    Never,
}

/// <summary>Decoding settings, with Hugging Face <c>generate</c> meanings and the seed project's defaults.</summary>
public sealed record GenerationOptions
{
    public int MaxNewTokens { get; init; } = 50;
    /// <summary>Tokens that end a row (kept in the output).</summary>
    public int[] EosTokenIds { get; init; } = [151643];
    /// <summary>Filler for rows that already finished.</summary>
    public int PadTokenId { get; init; } = 151643;
    /// <summary>1 = greedy (or sampling); more = beam search.</summary>
    public int NumBeams { get; init; } = 1;
    /// <summary>Beam scores are sum(log p) / length^LengthPenalty.</summary>
    public double LengthPenalty { get; init; } = 1.0;
    public EarlyStopping EarlyStopping { get; init; } = EarlyStopping.Heuristic;
    /// <summary>Sample instead of taking the argmax (NumBeams must be 1).</summary>
    public bool DoSample { get; init; }
    public double Temperature { get; init; } = 1.0;
    /// <summary>Nucleus sampling mass (1 = off).</summary>
    public double TopP { get; init; } = 1.0;
    /// <summary>Keep only the k most likely tokens when sampling (0 = off).</summary>
    public int TopK { get; init; }
    /// <summary>Seeds libtorch's generator before sampling, for reproducible samples.</summary>
    public ulong? Seed { get; init; }

    internal void Validate()
    {
        if (MaxNewTokens < 1) throw new ArgumentOutOfRangeException(nameof(MaxNewTokens), "must be at least 1");
        if (NumBeams < 1) throw new ArgumentOutOfRangeException(nameof(NumBeams), "must be at least 1");
        if (DoSample && NumBeams > 1) throw new ArgumentException("Beam sampling is not supported: use DoSample with NumBeams = 1.");
        if (DoSample && (Temperature <= 0 || TopP <= 0 || TopP > 1 || TopK < 0))
            throw new ArgumentException("Sampling needs Temperature > 0, 0 < TopP ≤ 1 and TopK ≥ 0.");
    }
}

/// <summary>
/// Generation from <c>inputs_embeds</c> as Hugging Face <c>generate</c> does it for a decoder-only model: positions are
/// cumsum(attention_mask) − 1, a KV cache carries the history, only the new tokens are returned, finished rows are
/// filled with the pad token.
/// </summary>
public static class Qwen2Generator
{
    /// <summary>
    /// Generates for each row of <paramref name="inputsEmbeds"/> (B, P, H); returns the new token ids per row. With
    /// sampling, the rows flagged in <paramref name="greedyRows"/> take the argmax instead (self-critical training decodes
    /// its greedy baseline in the same batch as its samples).
    /// </summary>
    public static long[][] Generate(Qwen2ForCausalLM lm, Tensor inputsEmbeds, Tensor? attentionMask, GenerationOptions options,
        bool[]? greedyRows = null)
    {
        options.Validate();
        if (greedyRows != null && (!options.DoSample || greedyRows.Length != inputsEmbeds.Size(0)))
            throw new ArgumentException("greedyRows needs DoSample and one flag per row.", nameof(greedyRows));
        using var noGrad = Torch.NoGrad();
        using var scope = TensorScope.Open();
        var dev = inputsEmbeds.Device;
        long b = inputsEmbeds.Size(0), p = inputsEmbeds.Size(1);
        var mask = attentionMask?.To(dev, DType.Int64) ?? Tensor.Ones([b, p], DType.Int64, dev);
        if (options.Seed is { } seed) Torch.ManualSeed(seed);
        return options.NumBeams > 1
            ? BeamSearch(lm, inputsEmbeds, mask, options)
            : GreedyOrSample(lm, inputsEmbeds, mask, options, greedyRows);
    }

    private static Tensor Positions(Tensor mask) => mask.CumSum(1).Add(mask.Eq(0).To(DType.Int64), 1) - 1;

    private static Tensor LastHidden(Qwen2ForCausalLM lm, Tensor embeds, Tensor mask, Tensor positions, Qwen2KVCache cache)
    {
        var hidden = lm.model.Forward(embeds, mask, positions, cache);
        return hidden.Select(1, hidden.Size(1) - 1);
    }

    private static Tensor LastLogits(Qwen2ForCausalLM lm, Tensor embeds, Tensor mask, Tensor positions, Qwen2KVCache cache) =>
        lm.Logits(LastHidden(lm, embeds, mask, positions, cache)).To(DType.Float32);

    private static long[][] GreedyOrSample(Qwen2ForCausalLM lm, Tensor embeds, Tensor mask, GenerationOptions o, bool[]? greedyRows)
    {
        int b = (int)embeds.Size(0);
        long p = embeds.Size(1);
        var dev = embeds.Device;
        using var cache = new Qwen2KVCache(lm.Config.NumHiddenLayers, p + o.MaxNewTokens);
        var outputs = Enumerable.Range(0, b).Select(_ => new List<long>()).ToArray();
        var finished = new bool[b];
        var last = LastHidden(lm, embeds, mask, Positions(mask), cache);
        // every new token is real: step s attends to the prefix mask followed by s + 1 ones, at position (real prefix tokens) + s
        var fullMask = Tensor.Cat([mask, Tensor.Ones([b, o.MaxNewTokens], DType.Int64, dev)], 1);
        var realPrefix = mask.Sum(1, keepDim: true);
        // The batch rows still running, by row of the input. Greedy decoding drops finished rows from the batch and the
        // cache; sampling keeps every row (feeding pad tokens), so that a seed draws the same samples as before.
        var running = Enumerable.Range(0, b).ToArray();
        for (int step = 0; ; step++)
        {
            using var stepScope = TensorScope.Open();
            // Greedy decoding needs only the argmax (lm.GreedyIds), sampling the whole distribution.
            long[] drawn;
            if (o.DoSample)
            {
                var logits = lm.Logits(last).To(DType.Float32);
                drawn = Sample(logits, o).ToLongArray();
                if (greedyRows != null)
                {
                    var argmax = logits.ArgMax(-1).ToLongArray();
                    for (int i = 0; i < b; i++) if (greedyRows[i]) drawn[i] = argmax[i];
                }
            }
            else drawn = lm.GreedyIds(last).ToLongArray();
            var next = Enumerable.Repeat((long)o.PadTokenId, b).ToArray();
            for (int j = 0; j < running.Length; j++) next[running[j]] = drawn[j];
            for (int i = 0; i < b; i++)
            {
                if (finished[i]) next[i] = o.PadTokenId;
                outputs[i].Add(next[i]);
                if (!finished[i] && o.EosTokenIds.Contains((int)next[i])) finished[i] = true;
            }
            if (finished.All(f => f) || step + 1 >= o.MaxNewTokens) break;
            if (!o.DoSample && running.Any(r => finished[r]))
            {
                var keep = Enumerable.Range(0, running.Length).Where(j => !finished[running[j]]).Select(j => (long)j).ToArray();
                var keepRows = Tensor.From<long>(keep, [keep.Length], dev);
                cache.SelectRows(keepRows);
                var (keptMask, keptPrefix) = (fullMask.IndexSelect(0, keepRows).MoveToOuterScope(), realPrefix.IndexSelect(0, keepRows).MoveToOuterScope());
                fullMask.Dispose();
                realPrefix.Dispose();
                (fullMask, realPrefix) = (keptMask, keptPrefix);
                running = keep.Select(j => running[j]).ToArray();
            }
            var nextIds = Tensor.From<long>(running.Select(r => next[r]).ToArray(), [running.Length, 1], dev);
            var newLast = LastHidden(lm, lm.Embed(nextIds).To(embeds.DType), fullMask.Narrow(1, 0, p + step + 1), realPrefix + step, cache);
            last.Dispose();
            last = newLast.MoveToOuterScope();
        }
        return outputs.Select(l => l.ToArray()).ToArray();
    }

    /// <summary>Temperature, top-k and top-p (Hugging Face's warpers, in that order), then one multinomial draw per row.</summary>
    private static Tensor Sample(Tensor logits, GenerationOptions o)
    {
        var scores = o.Temperature != 1.0 ? logits / o.Temperature : logits;
        if (o.TopK > 0 && o.TopK < scores.Size(-1))
        {
            var (vals, _) = scores.TopK(o.TopK);
            var kth = vals.Narrow(-1, o.TopK - 1, 1);
            scores = scores.MaskedFill(scores.Lt(kth), double.NegativeInfinity);
        }
        if (o.TopP < 1.0)
        {
            var (sorted, idx) = scores.Sort(-1, descending: false);
            var cum = sorted.Softmax(-1).CumSum(-1);
            var removeSorted = cum.Le(1 - o.TopP);
            long v = scores.Size(-1);
            removeSorted = removeSorted.LogicalAnd(Tensor.Arange(0, v, device: scores.Device).Lt(v - 1));   // keep at least one
            var remove = removeSorted.Gather(-1, idx.Sort(-1).Indices);   // back to vocabulary order
            scores = scores.MaskedFill(remove, double.NegativeInfinity);
        }
        return scores.Softmax(-1).Multinomial(1).Squeeze(-1);
    }

    private sealed class Hypotheses(int numBeams, double lengthPenalty, EarlyStopping early, int maxLength)
    {
        public readonly List<(double Score, long[] Tokens)> Beams = new();
        private double _worst = 1e9;

        public void Add(long[] tokens, double sumLogprobs, int generatedLength)
        {
            double score = sumLogprobs / Math.Pow(generatedLength, lengthPenalty);
            if (Beams.Count < numBeams || score > _worst)
            {
                Beams.Add((score, tokens));
                if (Beams.Count > numBeams)
                {
                    var sorted = Beams.Select((bm, i) => (bm.Score, i)).OrderBy(t => t.Score).ThenBy(t => t.i).ToList();
                    Beams.RemoveAt(sorted[0].i);
                    _worst = sorted[1].Score;
                }
                else _worst = Math.Min(score, _worst);
            }
        }

        public bool IsDone(double bestSumLogprobs, int curLength)
        {
            if (Beams.Count < numBeams) return false;
            if (early == EarlyStopping.WhenBeamsFinished) return true;
            int len = early == EarlyStopping.Never && lengthPenalty > 0 ? maxLength : curLength;
            return _worst >= bestSumLogprobs / Math.Pow(len, lengthPenalty);
        }
    }

    private static long[][] BeamSearch(Qwen2ForCausalLM lm, Tensor embeds, Tensor mask, GenerationOptions o)
    {
        int batch = (int)embeds.Size(0), k = o.NumBeams;
        var dev = embeds.Device;
        embeds = embeds.RepeatInterleave(k, 0);
        mask = mask.RepeatInterleave(k, 0);
        using var cache = new Qwen2KVCache(lm.Config.NumHiddenLayers, embeds.Size(1) + o.MaxNewTokens);
        var hyps = Enumerable.Range(0, batch).Select(_ => new Hypotheses(k, o.LengthPenalty, o.EarlyStopping, o.MaxNewTokens)).ToArray();
        var done = new bool[batch];
        var beamScores = new double[batch * k];
        for (int i = 0; i < beamScores.Length; i++) beamScores[i] = i % k == 0 ? 0 : -1e9;
        var sequences = Enumerable.Range(0, batch * k).Select(_ => Array.Empty<long>()).ToArray();
        var logits = LastLogits(lm, embeds, mask, Positions(mask), cache);
        int candidates = Math.Max(2, 1 + o.EosTokenIds.Length) * k;
        for (int curLen = 1; ; curLen++)
        {
            using var stepScope = TensorScope.Open();
            var scores = logits.LogSoftmax(-1) + Tensor.From<double>(beamScores, [batch * k, 1], dev).To(DType.Float32);
            long vocab = scores.Size(-1);
            var (topScores, topIds) = scores.Reshape(batch, k * vocab).TopK(candidates);
            var ts = topScores.ToFloatArray();
            var ti = topIds.ToLongArray();
            var nextScores = new double[batch * k];
            var nextTokens = new long[batch * k];
            var nextRows = new long[batch * k];
            for (int bi = 0; bi < batch; bi++)
            {
                if (done[bi])
                {
                    for (int j = 0; j < k; j++) { nextTokens[bi * k + j] = o.PadTokenId; nextRows[bi * k + j] = bi * k; }
                    continue;
                }
                int filled = 0;
                for (int rank = 0; rank < candidates && filled < k; rank++)
                {
                    long id = ti[bi * candidates + rank];
                    int row = bi * k + (int)(id / vocab);
                    long token = id % vocab;
                    double s = ts[bi * candidates + rank];
                    if (o.EosTokenIds.Contains((int)token))
                    {
                        if (rank >= k) continue;
                        hyps[bi].Add(sequences[row], s, curLen);
                    }
                    else
                    {
                        nextScores[bi * k + filled] = s;
                        nextTokens[bi * k + filled] = token;
                        nextRows[bi * k + filled] = row;
                        filled++;
                    }
                }
                double bestScore = Enumerable.Range(0, candidates).Max(r => (double)ts[bi * candidates + r]);
                done[bi] = done[bi] || hyps[bi].IsDone(bestScore, curLen);
            }
            sequences = Enumerable.Range(0, batch * k).Select(i => sequences[nextRows[i]].Append(nextTokens[i]).ToArray()).ToArray();
            beamScores = nextScores;
            if (done.All(d => d) || curLen >= o.MaxNewTokens) break;
            var rows = Tensor.From<long>(nextRows, [batch * k], dev);
            cache.SelectRows(rows);
            var newMask = Tensor.Cat([mask.IndexSelect(0, rows), Tensor.Ones([batch * k, 1], DType.Int64, dev)], 1);
            var ids = Tensor.From<long>(nextTokens, [batch * k, 1], dev);
            var newLogits = LastLogits(lm, lm.Embed(ids).To(embeds.DType), newMask, newMask.Sum(1, keepDim: true) - 1, cache);
            mask = newMask.MoveToOuterScope();
            logits.Dispose();
            logits = newLogits.MoveToOuterScope();
        }
        for (int bi = 0; bi < batch; bi++)
        {
            if (done[bi]) continue;
            for (int j = 0; j < k; j++) hyps[bi].Add(sequences[bi * k + j], beamScores[bi * k + j], sequences[bi * k + j].Length);
        }
        var best = hyps.Select(h => h.Beams.Select((bm, i) => (bm, i)).OrderBy(t => t.bm.Score).ThenBy(t => t.i).Last().bm.Tokens).ToArray();
        int maxLen = Math.Min(best.Max(t => t.Length) + 1, o.MaxNewTokens);
        bool ragged = best.Min(t => t.Length) != best.Max(t => t.Length);
        return best.Select(t =>
        {
            var row = new List<long>(t.Take(maxLen));
            if (row.Count < maxLen) row.Add(o.EosTokenIds[0]);
            while (ragged && row.Count < maxLen) row.Add(o.PadTokenId);
            return row.ToArray();
        }).ToArray();
    }
}
