using Microsoft.Extensions.Logging;

namespace Microsoft.ML.VideoCaptioning.Serving;

/// <summary>Settings of a <see cref="CaptionServer"/>.</summary>
public sealed record CaptionServerOptions
{
    /// <summary>Bytes in one megabyte of <see cref="MaxUploadMegabytes"/> (MiB).</summary>
    public const long BytesPerMegabyte = 1L << 20;

    /// <summary>
    /// Room for the multipart framing (boundaries, part headers, small extra fields) allowed in a request body on top
    /// of <see cref="MaxUploadBytes"/>.
    /// </summary>
    public const long MultipartOverheadBytes = 64 << 10;

    /// <summary>Longest accepted <see cref="RequestTimeout"/> and <see cref="ShutdownTimeout"/>.</summary>
    public static readonly TimeSpan LongestTimeout = TimeSpan.FromDays(1);

    /// <summary>The model zip written by <c>ctx.Model.Save</c> (e.g. <c>captioner.zip</c>).</summary>
    public required string ModelPath { get; init; }

    /// <summary>How the model is loaded: frozen-model overrides, hash verification.</summary>
    public VideoCaptioningLoadOptions ModelLoadOptions { get; init; } = new();

    /// <summary>The GPU to caption on (null = the CPU).</summary>
    public int? GpuDeviceId { get; init; }

    /// <summary>Addresses to listen on, e.g. <c>http://127.0.0.1:8080</c>; port 0 picks a free port.</summary>
    public IReadOnlyList<string> Urls { get; init; } = ["http://127.0.0.1:8080"];

    /// <summary>Largest accepted video, in megabytes (MiB); larger uploads get 413 without being read to the end.</summary>
    public int MaxUploadMegabytes { get; init; } = 256;

    /// <summary>Requests handled at once (uploading, probing or captioning); more wait in the queue.</summary>
    public int MaxConcurrentRequests { get; init; } = 16;

    /// <summary>Requests that may wait for a free slot; beyond that requests get 429 with Retry-After.</summary>
    public int QueueLength { get; init; } = 64;

    /// <summary>Most videos captioned in one model call.</summary>
    public int MaxBatchSize { get; init; } = 8;

    /// <summary>How long the batcher waits for more videos after the first one of a batch arrives.</summary>
    public int BatchWindowMilliseconds { get; init; } = 20;

    /// <summary>Time allowed for one request from its arrival (queueing, upload, probing, captioning); then 504.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// When the host stops, how long requests in flight may still take to complete; those still running after it
    /// get 503. The host's own shutdown timeout is set a few seconds longer so that those answers are delivered.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Folder in which the server creates its private upload folder (owner-only permissions, removed when the server
    /// stops); the system temporary folder when null.
    /// </summary>
    public string? TemporaryDirectory { get; init; }

    /// <summary>Least severe log level written to the console.</summary>
    public LogLevel MinimumLogLevel { get; init; } = LogLevel.Information;

    /// <summary>Largest accepted video in bytes.</summary>
    public long MaxUploadBytes => MaxUploadMegabytes * BytesPerMegabyte;

    /// <summary>Largest accepted request body in bytes: the video plus <see cref="MultipartOverheadBytes"/>.</summary>
    public long MaxRequestBodyBytes => MaxUploadBytes + MultipartOverheadBytes;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that is out of range.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ModelPath)) throw new ArgumentException("ModelPath is required.", nameof(ModelPath));
        if (Urls.Count == 0) throw new ArgumentException("At least one URL to listen on is required.", nameof(Urls));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxUploadMegabytes, 1, nameof(MaxUploadMegabytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxUploadMegabytes, 1 << 20, nameof(MaxUploadMegabytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConcurrentRequests, 1, nameof(MaxConcurrentRequests));
        ArgumentOutOfRangeException.ThrowIfNegative(QueueLength, nameof(QueueLength));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatchSize, 1, nameof(MaxBatchSize));
        ArgumentOutOfRangeException.ThrowIfNegative(BatchWindowMilliseconds, nameof(BatchWindowMilliseconds));
        if (RequestTimeout <= TimeSpan.Zero || RequestTimeout > LongestTimeout)
            throw new ArgumentOutOfRangeException(nameof(RequestTimeout), $"RequestTimeout must be positive and at most {LongestTimeout}.");
        if (ShutdownTimeout < TimeSpan.Zero || ShutdownTimeout > LongestTimeout)
            throw new ArgumentOutOfRangeException(nameof(ShutdownTimeout), $"ShutdownTimeout must not be negative and at most {LongestTimeout}.");
    }
}
