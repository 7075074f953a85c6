using System.Text.Json.Serialization;
using System.Threading.RateLimiting;

namespace Microsoft.ML.VideoCaptioning.Serving;

/// <summary>
/// Live counters of a <see cref="CaptionServer"/> (served as <c>GET /v1/stats</c>; also a singleton in the server's
/// services). Thread-safe.
/// </summary>
public sealed class CaptionServerStats
{
    private readonly ConcurrencyLimiter _limiter;
    private readonly UploadStore _store;
    private readonly int _maxConcurrent;
    private long _requests, _captioned, _rejected, _timedOut, _batches, _batchedVideos, _largestBatch;
    private long _latencyTicks;

    internal CaptionServerStats(ConcurrencyLimiter limiter, UploadStore store, int maxConcurrent)
    {
        _limiter = limiter;
        _store = store;
        _maxConcurrent = maxConcurrent;
    }

    /// <summary>Caption requests received.</summary>
    [JsonPropertyName("requests")]
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Requests answered with a caption.</summary>
    [JsonPropertyName("captioned")]
    public long Captioned => Interlocked.Read(ref _captioned);

    /// <summary>Requests turned away with 429 because the queue was full.</summary>
    [JsonPropertyName("rejected")]
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Requests that ran out of time (504).</summary>
    [JsonPropertyName("timed_out")]
    public long TimedOut => Interlocked.Read(ref _timedOut);

    /// <summary>Model calls made (one per batch).</summary>
    [JsonPropertyName("batches")]
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Videos given to the model, over all batches.</summary>
    [JsonPropertyName("batched_videos")]
    public long BatchedVideos => Interlocked.Read(ref _batchedVideos);

    /// <summary>Most videos in one batch so far.</summary>
    [JsonPropertyName("largest_batch")]
    public long LargestBatch => Interlocked.Read(ref _largestBatch);

    /// <summary>Requests holding a slot now (uploading, probing or captioning).</summary>
    [JsonPropertyName("active")]
    public long Active => _maxConcurrent - _limiter.GetStatistics()!.CurrentAvailablePermits;

    /// <summary>Requests waiting for a slot now.</summary>
    [JsonPropertyName("queued")]
    public long Queued => _limiter.GetStatistics()!.CurrentQueuedCount;

    /// <summary>Upload files on disk now.</summary>
    [JsonPropertyName("temporary_files")]
    public int TemporaryFiles => _store.FileCount;

    /// <summary>The server's private upload folder.</summary>
    [JsonIgnore]
    public string TemporaryDirectory => _store.Root;

    /// <summary>Mean time to a caption over the successful requests so far, in milliseconds (0 before the first).</summary>
    [JsonPropertyName("mean_latency_ms")]
    public double MeanLatencyMilliseconds
    {
        get
        {
            long n = Captioned;
            return n == 0 ? 0 : TimeSpan.FromTicks(Interlocked.Read(ref _latencyTicks) / n).TotalMilliseconds;
        }
    }

    internal void RecordRequest() => Interlocked.Increment(ref _requests);

    internal void RecordRejected() => Interlocked.Increment(ref _rejected);

    internal void RecordTimeout() => Interlocked.Increment(ref _timedOut);

    internal void RecordCaption(TimeSpan latency)
    {
        Interlocked.Add(ref _latencyTicks, latency.Ticks);
        Interlocked.Increment(ref _captioned);
    }

    internal void RecordBatch(int size)
    {
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _batchedVideos, size);
        long seen;
        while (size > (seen = Interlocked.Read(ref _largestBatch)) && Interlocked.CompareExchange(ref _largestBatch, size, seen) != seen)
        {
        }
    }
}
