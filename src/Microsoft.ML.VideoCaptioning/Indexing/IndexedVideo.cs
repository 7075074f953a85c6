namespace Microsoft.ML.VideoCaptioning.Indexing;

/// <summary>What the index stores for one video: its entries with their embeddings and visual prefixes.</summary>
/// <param name="Entries">The clips or windows.</param>
/// <param name="Embeddings">Row i: entry i's embedding (L2-normalised), <see cref="Dim"/> floats each.</param>
/// <param name="Prefixes">Row i: entry i's visual prefix (queries × hidden) in half precision.</param>
/// <param name="Dim">Embedding width.</param>
/// <param name="Queries">Q-Former queries (prefix length).</param>
public sealed record IndexedVideo(IReadOnlyList<VideoIndexEntry> Entries, float[] Embeddings, Half[] Prefixes, int Dim, int Queries);
