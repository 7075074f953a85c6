using System.Text.Json.Serialization;

namespace Microsoft.ML.VideoCaptioning.Indexing;

/// <summary>One indexed clip, or one window of a long video.</summary>
/// <param name="Source">The video file (full path).</param>
/// <param name="Start">Start of the clip or window in seconds.</param>
/// <param name="End">End in seconds.</param>
/// <param name="Caption">The captioner's caption.</param>
/// <param name="Confidence">Its mean token log-probability.</param>
public sealed record VideoIndexEntry(
    [property: JsonPropertyName("video")] string Source,
    [property: JsonPropertyName("start")] double Start,
    [property: JsonPropertyName("end")] double End,
    [property: JsonPropertyName("caption")] string Caption,
    [property: JsonPropertyName("confidence")] double Confidence);
