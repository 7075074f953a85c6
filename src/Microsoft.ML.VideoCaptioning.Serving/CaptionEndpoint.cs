using System.Diagnostics;
using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning.Serving;

/// <summary>
/// <c>POST /v1/captions</c>: size check → a slot (or the queue, or 429) → stream the upload to a private file →
/// probe it with ffprobe (422 when it is no video) → caption it in the next batch → answer; the upload file is
/// deleted before the answer is sent, whatever happened.
/// </summary>
internal sealed class CaptionEndpoint(
    CaptionServerOptions options, UploadStore store, CaptionBatcher batcher, ConcurrencyLimiter limiter, ShutdownState shutdown,
    CaptionServerStats stats, ILogger<CaptionEndpoint> log)
{
    private const string UploadName = "the upload";

    public async Task HandleAsync(HttpContext context)
    {
        var clock = Stopwatch.StartNew();
        stats.RecordRequest();
        using var timeout = new CancellationTokenSource(options.RequestTimeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, timeout.Token, shutdown.Deadline);
        var cancellation = linked.Token;
        RateLimitLease? lease = null;
        UploadFile? upload = null;
        bool bodyRead = false;
        int status;
        object answer;
        try
        {
            if (shutdown.IsStopping) throw CaptionBatcher.ShuttingDown();
            if (context.Request.ContentLength > options.MaxRequestBodyBytes) throw MultipartUpload.TooLarge(options.MaxUploadBytes);
            lease = await limiter.AcquireAsync(1, cancellation);
            if (!lease.IsAcquired)
            {
                stats.RecordRejected();
                context.Response.Headers.RetryAfter = RetryAfterSeconds().ToString(CultureInfo.InvariantCulture);
                throw new CaptionRequestException(StatusCodes.Status429TooManyRequests,
                    $"The server is busy ({options.MaxConcurrentRequests} requests running, {options.QueueLength} waiting); retry later.");
            }
            upload = await MultipartUpload.ReadAsync(context.Request, store, options.MaxUploadBytes, cancellation);
            bodyRead = true;
            await ProbeAsync(upload, options.RequestTimeout - clock.Elapsed, cancellation);
            var result = await batcher.CaptionAsync(upload, cancellation);
            stats.RecordCaption(clock.Elapsed);
            (status, answer) = (StatusCodes.Status200OK, new CaptionResponse(result.Caption, result.Frames, clock.Elapsed.TotalMilliseconds));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        catch (IOException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            stats.RecordTimeout();
            (status, answer) = (StatusCodes.Status504GatewayTimeout, Error(FormattableString.Invariant(
                $"The request took longer than the server's limit of {options.RequestTimeout.TotalSeconds:0.#} s; send a shorter video or retry when the server is less busy.")));
        }
        catch (OperationCanceledException) when (shutdown.Deadline.IsCancellationRequested)
        {
            (status, answer) = (StatusCodes.Status503ServiceUnavailable, Error(CaptionBatcher.ShuttingDown().Message));
        }
        catch (CaptionRequestException e)
        {
            (status, answer) = (e.StatusCode, Error(e.Message));
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's own limits while reading the body (e.g. 413 past MaxRequestBodySize) and malformed requests.
            (status, answer) = (e.StatusCode,
                Error(e.StatusCode == StatusCodes.Status413PayloadTooLarge ? MultipartUpload.TooLarge(options.MaxUploadBytes).Message : e.Message));
        }
        catch (VideoDecodeException e)
        {
            (status, answer) = VideoError(e, upload?.Path);
        }
        catch (Exception e)
        {
            log.LogError(e, "Captioning failed.");
            (status, answer) = (StatusCodes.Status500InternalServerError, Error($"Captioning failed: {e.Message}"));
        }
        finally
        {
            upload?.Release();
            lease?.Dispose();
        }
        log.LogInformation("Caption request: {Status} in {Milliseconds:F0} ms.", status, clock.Elapsed.TotalMilliseconds);
        // An answer sent before the body was read to its end closes the connection: the rest of the body is not read.
        if (!bodyRead) context.Response.Headers.Connection = "close";
        context.Response.StatusCode = status;
        try
        {
            await context.Response.WriteAsJsonAsync(answer, answer.GetType(), context.RequestAborted);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
        {
            // The client left while the answer was being sent.
        }
    }

    private static ErrorResponse Error(string message) => new(message);

    // Probing reads the file with ffprobe, so the content decides, never the name.
    private static Task ProbeAsync(UploadFile upload, TimeSpan timeLeft, CancellationToken cancellation)
    {
        if (timeLeft <= TimeSpan.Zero) throw new OperationCanceledException(cancellation);
        return Task.Factory.StartNew(() => VideoProbe.Probe(upload.Path, timeLeft, cancellation), cancellation,
            TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    private (int, object) VideoError(VideoDecodeException e, string? path)
    {
        var message = path == null ? e.Message : Sanitize(e.Message, path);
        switch (e.Reason)
        {
            case VideoDecodeReason.NotAVideo or VideoDecodeReason.NoVideoStream or VideoDecodeReason.NoDecodableFrames or VideoDecodeReason.CorruptData:
                return (StatusCodes.Status422UnprocessableEntity, Error(message));
            case VideoDecodeReason.Timeout:
                stats.RecordTimeout();
                return (StatusCodes.Status504GatewayTimeout, Error(message));
            default:
                log.LogError(e, "The server cannot read videos.");
                return (StatusCodes.Status500InternalServerError, Error("The server cannot read videos right now (its ffmpeg installation failed); see the server log."));
        }
    }

    /// <summary>The message with the server's file path replaced by "the upload".</summary>
    private static string Sanitize(string message, string path)
    {
        var s = message.Replace($"'{path}'", UploadName).Replace("file:" + path, UploadName).Replace(path, UploadName);
        return s.StartsWith(UploadName, StringComparison.Ordinal) ? char.ToUpperInvariant(s[0]) + s[1..] : s;
    }

    // The mean time of a caption, in whole seconds (at least 1): about when a slot may be free again.
    private int RetryAfterSeconds() => (int)Math.Clamp(Math.Ceiling(stats.MeanLatencyMilliseconds / 1000), 1, 60);
}
