using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Microsoft.ML.VideoCaptioning.Serving;

/// <summary>Whether the host is stopping, and the end of the grace period that requests in flight get.</summary>
internal sealed class ShutdownState
{
    private readonly CancellationTokenSource _deadline = new();
    private volatile bool _stopping;

    /// <summary>True once the host began to stop: new requests get 503.</summary>
    public bool IsStopping => _stopping;

    /// <summary>Cancelled when the grace period is over: requests still running get 503 and the running batch stops.</summary>
    public CancellationToken Deadline => _deadline.Token;

    public void Begin(TimeSpan grace)
    {
        _stopping = true;
        _deadline.CancelAfter(grace);
    }
}

/// <summary>
/// Starts the batcher with the host; when the host stops, gives requests in flight their grace period, then (after the
/// web server has stopped) lets the batcher finish, unloads the model and deletes the upload folder.
/// </summary>
internal sealed class CaptionServerLifetime(
    CaptionServerOptions options, ServedModel model, UploadStore store, CaptionBatcher batcher, ShutdownState shutdown, ILogger<CaptionServerLifetime> log)
    : IHostedLifecycleService
{
    private static readonly TimeSpan BatchStopTimeout = TimeSpan.FromSeconds(10);

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        log.LogInformation(
            "Serving {Model} on {Device}: {Concurrent} requests at once, {Queue} queued, batches of up to {Batch}, uploads up to {Upload} MB, timeout {Timeout} s.",
            options.ModelPath, options.GpuDeviceId is { } gpu ? $"cuda:{gpu}" : "cpu", options.MaxConcurrentRequests, options.QueueLength, options.MaxBatchSize,
            options.MaxUploadMegabytes, options.RequestTimeout.TotalSeconds);
        batcher.Start();
        return Task.CompletedTask;
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken)
    {
        log.LogInformation("Stopping: requests in flight have {Seconds} s to complete.", options.ShutdownTimeout.TotalSeconds);
        shutdown.Begin(options.ShutdownTimeout);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // Every request has ended by now (answered, or aborted by the host's timeout); a batch still running was stopped
    // at the end of the grace period and ends at its next cancellation check.
    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        batcher.Complete();
        try
        {
            await batcher.Completion.WaitAsync(BatchStopTimeout, CancellationToken.None);
            model.Dispose();
        }
        catch (TimeoutException)
        {
            log.LogWarning("A batch did not stop within {Seconds} s; the model stays loaded until the process exits.", BatchStopTimeout.TotalSeconds);
        }
        store.Dispose();
    }
}
