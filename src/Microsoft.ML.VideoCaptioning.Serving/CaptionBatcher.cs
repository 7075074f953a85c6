using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning.Serving;

/// <summary>What the model made of one video.</summary>
internal sealed record CaptionResult(string Caption, int Frames);

/// <summary>
/// Collects the videos of concurrent requests into batches (up to <see cref="CaptionServerOptions.MaxBatchSize"/>,
/// waiting at most <see cref="CaptionServerOptions.BatchWindowMilliseconds"/> after the first) and runs the pipeline
/// once per batch, on one thread, so the model is never used concurrently.
/// </summary>
internal sealed class CaptionBatcher
{
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ServedModel _model;
    private readonly CaptionServerOptions _options;
    private readonly CaptionServerStats _stats;
    private readonly ILogger _log;
    private readonly CancellationToken _abort;
    private Task _loop = Task.CompletedTask;

    /// <summary>Creates the batcher; <paramref name="abort"/> (the end of the shutdown grace period) stops the running batch and fails what is left.</summary>
    public CaptionBatcher(ServedModel model, CaptionServerOptions options, CaptionServerStats stats, ILogger log, CancellationToken abort)
    {
        _model = model;
        _options = options;
        _stats = stats;
        _log = log;
        _abort = abort;
    }

    /// <summary>Completes when the batcher has stopped (after <see cref="Complete"/>, once the queue is empty).</summary>
    public Task Completion => _loop;

    /// <summary>Starts the batching loop.</summary>
    public void Start() => _loop = Task.Run(RunAsync);

    /// <summary>Accepts no more videos; those queued are still captioned.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    /// <summary>Captions the video in <paramref name="file"/> as part of the next batch; the batcher holds the file until its batch ends.</summary>
    /// <exception cref="CaptionRequestException">503: the server is shutting down.</exception>
    public Task<CaptionResult> CaptionAsync(UploadFile file, CancellationToken cancellation)
    {
        var pending = new Pending(file, cancellation);
        file.AddReference();
        if (!_queue.Writer.TryWrite(pending))
        {
            file.Release();
            throw ShuttingDown();
        }
        return pending.Completion.Task.WaitAsync(cancellation);
    }

    internal static CaptionRequestException ShuttingDown() => new(StatusCodes.Status503ServiceUnavailable, "The server is shutting down; retry on another instance or later.");

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<Pending>(_options.MaxBatchSize);
        while (await reader.WaitToReadAsync())
        {
            batch.Clear();
            await CollectAsync(reader, batch);
            var live = new List<Pending>(batch.Count);
            foreach (var p in batch)
            {
                if (!p.Cancellation.IsCancellationRequested) live.Add(p);
                else
                {
                    p.File.Release();
                    p.Completion.TrySetCanceled(p.Cancellation);
                }
            }
            if (live.Count > 0)
                await Task.Factory.StartNew(() => Run(live), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
    }

    private async Task CollectAsync(ChannelReader<Pending> reader, List<Pending> batch)
    {
        while (batch.Count < _options.MaxBatchSize && reader.TryRead(out var p)) batch.Add(p);
        if (batch.Count == _options.MaxBatchSize || _options.BatchWindowMilliseconds == 0) return;
        using var window = new CancellationTokenSource(_options.BatchWindowMilliseconds);
        while (batch.Count < _options.MaxBatchSize)
        {
            if (reader.TryRead(out var p))
            {
                batch.Add(p);
                continue;
            }
            try
            {
                if (!await reader.WaitToReadAsync(window.Token)) return;
            }
            catch (OperationCanceledException) when (window.IsCancellationRequested)
            {
                return;
            }
        }
    }

    // Runs on a thread of its own: the tensor scope frees every tensor the batch created on it.
    private void Run(List<Pending> batch)
    {
        var outcomes = new (CaptionResult? Result, Exception? Error)[batch.Count];
        // The batch stops early when nobody waits for it any more, or at the end of the shutdown grace period.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(_abort);
        int waiting = batch.Count;
        var registrations = batch.Select(p => p.Cancellation.Register(() =>
        {
            if (Interlocked.Decrement(ref waiting) == 0) stop.Cancel();
        })).ToList();
        try
        {
            using var scope = TensorScope.Open();
            var paths = batch.Select(p => p.File.Path).ToList();
            var captions = Captions(paths, stop.Token);
            for (int i = 0; i < paths.Count; i++) outcomes[i] = Outcome(paths[i], captions[i]);
        }
        catch (Exception e)
        {
            Exception error = _abort.IsCancellationRequested ? ShuttingDown() : e;
            if (e is not OperationCanceledException) _log.LogError(e, "Captioning a batch of {Count} videos failed.", batch.Count);
            for (int i = 0; i < outcomes.Length; i++) outcomes[i] = (null, error);
        }
        finally
        {
            foreach (var r in registrations) r.Dispose();
        }
        _stats.RecordBatch(batch.Count);
        // Files go first, so that a client that has its answer finds nothing of its upload left on the server.
        foreach (var p in batch) p.File.Release();
        for (int i = 0; i < batch.Count; i++)
        {
            var (result, error) = outcomes[i];
            if (result != null) batch[i].Completion.TrySetResult(result);
            else if (error is OperationCanceledException && batch[i].Cancellation.IsCancellationRequested) batch[i].Completion.TrySetCanceled(batch[i].Cancellation);
            else batch[i].Completion.TrySetException(error!);
        }
    }

    /// <summary>The model's captions for the batch's videos, in order ("" for a video that failed).</summary>
    private List<string> Captions(IReadOnlyList<string> paths, CancellationToken cancellation)
    {
        var ml = _model.Context;
        var definition = SchemaDefinition.Create(typeof(VideoRow));
        definition[nameof(VideoRow.VideoPath)].ColumnName = _model.Sampler.InputColumnName;
        var input = ml.Data.LoadFromEnumerable(paths.Select(p => new VideoRow { VideoPath = p }), definition);
        var scored = _model.Model.Transform(input);
        var column = scored.Schema[_model.Captioner.CaptionColumnName];
        var captions = new List<string>();
        using var cursor = scored.GetRowCursor([column]);
        var getter = cursor.GetGetter<ReadOnlyMemory<char>>(column);
        ReadOnlyMemory<char> value = default;
        while (cursor.MoveNext())
        {
            cancellation.ThrowIfCancellationRequested();
            getter(ref value);
            captions.Add(value.ToString());
        }
        return captions;
    }

    private (CaptionResult?, Exception?) Outcome(string path, string caption) =>
        caption.Length > 0
            ? (new CaptionResult(caption, _model.Sampler.Options.FrameCount), null)
            : (null, new VideoDecodeException(VideoDecodeReason.CorruptData, path, _model.TakeError(path) ?? "The video could not be decoded into frames."));

    private sealed class Pending(UploadFile file, CancellationToken cancellation)
    {
        public UploadFile File { get; } = file;
        public CancellationToken Cancellation { get; } = cancellation;
        public TaskCompletionSource<CaptionResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>One row of the batch's input.</summary>
    private sealed class VideoRow
    {
        public string VideoPath { get; set; } = "";
    }
}
