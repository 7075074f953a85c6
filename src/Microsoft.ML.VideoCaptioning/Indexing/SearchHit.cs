using System.Text.Json.Serialization;

namespace Microsoft.ML.VideoCaptioning.Indexing;

/// <summary>A search result: an index entry and its score (cosine similarity, or the text's log-likelihood).</summary>
public sealed record SearchHit(
    [property: JsonPropertyName("entry")] VideoIndexEntry Entry,
    [property: JsonPropertyName("score")] double Score);
