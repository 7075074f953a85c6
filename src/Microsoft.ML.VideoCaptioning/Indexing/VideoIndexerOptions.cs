using Microsoft.ML.VideoCaptioning.Timeline;

namespace Microsoft.ML.VideoCaptioning.Indexing;

/// <summary>Settings of <see cref="VideoIndexer"/>.</summary>
public sealed record VideoIndexerOptions
{
    /// <summary>Clips per featurize and caption call.</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>Index long videos window by window with these settings; null indexes every video as one clip.</summary>
    public TimelineOptions? Timeline { get; init; }

    /// <summary>Videos decoded in parallel in clip mode (0 = number of cores).</summary>
    public int DecodeParallelism { get; init; }
}
