using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Models.Qwen2;
using Microsoft.ML.VideoCaptioning.Text;

namespace Microsoft.ML.VideoCaptioning.Training;

/// <summary>
/// Briefly trains a small language model on plain text (next-token loss on every token), to give a tiny random Qwen2 the
/// language prior a real LLM brings. Used by the synthetic-world demo before the model is frozen; real checkpoints need
/// none of this.
/// </summary>
public static class LanguageModelPretrainer
{
    /// <summary>
    /// Trains every parameter of <paramref name="lm"/> for <paramref name="steps"/> AdamW steps on random batches of
    /// <paramref name="texts"/> (each followed by eos); returns the loss of each step. The model is frozen afterwards.
    /// </summary>
    public static double[] Pretrain(Qwen2ForCausalLM lm, Qwen2Tokenizer tokenizer, IReadOnlyList<string> texts, int steps,
        double learningRate = 3e-3, int batchSize = 16, ulong seed = 0, IProgress<(int Step, double Loss)>? progress = null,
        CancellationToken cancellation = default)
    {
        if (texts.Count == 0) throw new ArgumentException("No text to pretrain on.");
        var device = lm.model.embed_tokens.weight.Device;
        var encoded = texts.Select(t => tokenizer.Encode(t.Trim() + "<|endoftext|>")).ToArray();
        int maxLength = encoded.Max(e => e.Length);
        lm.RequiresGrad(true);
        lm.Train();
        var losses = new double[steps];
        try
        {
            Torch.ManualSeed(seed);
            var rng = new Random(unchecked((int)seed));
            using var opt = new AdamW(lm.Parameters(), learningRate, weightDecay: 0.0);
            for (int step = 0; step < steps; step++)
            {
                cancellation.ThrowIfCancellationRequested();
                using var scope = TensorScope.Open();
                var batch = Enumerable.Range(0, Math.Min(batchSize, encoded.Length)).Select(_ => encoded[rng.Next(encoded.Length)]).ToArray();
                int len = maxLength;   // one shape for every step: the caching allocator then reuses every buffer
                var ids = new long[batch.Length * len];
                var labels = new long[batch.Length * len];
                var mask = new long[batch.Length * len];
                for (int i = 0; i < batch.Length; i++)
                    for (int j = 0; j < len; j++)
                    {
                        bool real = j < batch[i].Length;
                        ids[i * len + j] = real ? batch[i][j] : tokenizer.PadTokenId;
                        labels[i * len + j] = real ? batch[i][j] : -100;
                        mask[i * len + j] = real ? 1 : 0;
                    }
                var loss = lm.Forward(
                    inputIds: Tensor.From<long>(ids, [batch.Length, len], device),
                    attentionMask: Tensor.From<long>(mask, [batch.Length, len], device),
                    labels: Tensor.From<long>(labels, [batch.Length, len], device), returnLogits: false).Loss!;
                opt.ZeroGrad();
                loss.Backward();
                opt.Step();
                losses[step] = loss.Item();
                progress?.Report((step, losses[step]));
            }
        }
        finally
        {
            lm.Eval();
            lm.Freeze();
            foreach (var p in lm.Parameters()) p.ZeroGrad();
        }
        return losses;
    }
}
