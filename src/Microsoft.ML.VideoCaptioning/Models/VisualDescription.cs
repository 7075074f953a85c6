namespace Microsoft.ML.VideoCaptioning.Models;

/// <summary>Everything the captioner derives from one clip's features in one Q-Former pass.</summary>
/// <param name="Caption">The generated caption and its confidence.</param>
/// <param name="Embedding">Mean-pooled, L2-normalised Q-Former outputs (hidden floats).</param>
/// <param name="Prefix">The Q-Former outputs themselves (queries × hidden, row-major) in half precision: the language model's visual prefix.</param>
public sealed record VisualDescription(ScoredCaption Caption, float[] Embedding, Half[] Prefix);
