namespace Microsoft.ML.VideoCaptioning.Text;

/// <summary>
/// Token ids of a batch of texts and their attention masks, as returned by
/// <see cref="Qwen2Tokenizer.EncodeBatch"/>: row i holds text i, right-padded when padding was requested.
/// </summary>
/// <param name="InputIds">Token ids per text (padding positions hold the pad id).</param>
/// <param name="AttentionMask">1 for a real token, 0 for padding; same shape as <paramref name="InputIds"/>.</param>
public sealed record TokenizedBatch(int[][] InputIds, int[][] AttentionMask);
