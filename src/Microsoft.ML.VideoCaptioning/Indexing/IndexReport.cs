namespace Microsoft.ML.VideoCaptioning.Indexing;

/// <summary>What an indexing run did.</summary>
/// <param name="Total">Videos given.</param>
/// <param name="Indexed">Videos indexed in this run.</param>
/// <param name="Skipped">Videos whose shard was already current.</param>
/// <param name="Failures">Videos that could not be indexed, with the reason (a rerun retries them).</param>
/// <param name="Entries">Entries written in this run.</param>
/// <param name="DamagedWindows">Windows left out because their part of the video is damaged.</param>
/// <param name="Seconds">Wall time.</param>
public sealed record IndexReport(int Total, int Indexed, int Skipped, IReadOnlyList<IndexFailure> Failures, int Entries, int DamagedWindows, double Seconds)
{
    /// <summary>Entries indexed per second.</summary>
    public double EntriesPerSecond => Entries / Math.Max(1e-9, Seconds);
}

/// <summary>A video that could not be indexed.</summary>
public sealed record IndexFailure(string Video, string Error);
