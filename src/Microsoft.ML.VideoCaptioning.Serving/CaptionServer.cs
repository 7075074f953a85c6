using System.Text.Json.Serialization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Microsoft.ML.VideoCaptioning.Serving;

/// <summary>
/// An HTTP server (ASP.NET Core minimal APIs on Kestrel) that captions uploaded videos with a trained captioner zip.
/// </summary>
/// <remarks>
/// <para>Endpoints: <c>POST /v1/captions</c> (multipart/form-data, field <c>file</c>) →
/// <c>{"caption", "frames", "elapsed_ms"}</c>; <c>GET /healthz</c>; <c>GET /v1/model</c> (the model's columns and settings, no host paths);
/// <c>GET /v1/stats</c> (<see cref="CaptionServerStats"/>); <c>GET /openapi.json</c>. Errors are
/// <c>{"error": "..."}</c>: 400 (no or empty <c>file</c> field, malformed form), 413 (over
/// <see cref="CaptionServerOptions.MaxUploadMegabytes"/>, refused from Content-Length before reading, or as soon as the
/// streamed body passes the limit), 415 (not multipart/form-data), 422 (ffprobe cannot read the content as video),
/// 429 with Retry-After (queue full), 503 (shutting down), 504 (over <see cref="CaptionServerOptions.RequestTimeout"/>).</para>
/// <para>Concurrent requests are captioned together: a background batcher collects up to
/// <see cref="CaptionServerOptions.MaxBatchSize"/> uploaded videos and runs the pipeline once on them.</para>
/// <para>Uploads go to a private folder under server-chosen names and are deleted before the answer is sent (or when
/// the request is cancelled); the folder is removed when the server stops.</para>
/// </remarks>
/// <example><code>
/// await using var app = CaptionServer.Build(new CaptionServerOptions { ModelPath = "captioner.zip", Urls = ["http://127.0.0.1:8080"] });
/// await app.RunAsync();
/// // curl -F file=@clip.mp4 http://127.0.0.1:8080/v1/captions
/// </code></example>
public static class CaptionServer
{
    /// <summary>Extra time the host gets past <see cref="CaptionServerOptions.ShutdownTimeout"/> to deliver the 503 answers.</summary>
    private static readonly TimeSpan AnswerTime = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Loads the model and builds the server (not started: call <c>StartAsync</c>/<c>RunAsync</c> on it). Stopping the
    /// host lets requests in flight finish, then unloads the model and removes the upload folder.
    /// </summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    /// <exception cref="ModelPackageException">The model zip cannot be loaded or does not start with frame sampling.</exception>
    public static WebApplication Build(CaptionServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.SetMinimumLevel(options.MinimumLogLevel);
        // The server logs one line per caption request itself; ASP.NET Core's per-request lines only from warnings on.
        builder.Logging.AddFilter("Microsoft.AspNetCore", level => level >= LogLevel.Warning && level >= options.MinimumLogLevel);
        builder.WebHost.UseUrls([.. options.Urls]);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
        });
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = options.ShutdownTimeout + AnswerTime);
        // Numbers are numbers in the answers and in the OpenAPI document (the web default also reads them from strings).
        builder.Services.ConfigureHttpJsonOptions(j => j.SerializerOptions.NumberHandling = JsonNumberHandling.Strict);
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "vidcap caption server";
            document.Info.Description = "Captions uploaded videos with a trained Microsoft.ML.VideoCaptioning model.";
            return Task.CompletedTask;
        }));

        var model = ServedModel.Load(options.ModelPath, options.GpuDeviceId, options.ModelLoadOptions);
        UploadStore? store = null;
        try
        {
            store = new UploadStore(options.TemporaryDirectory);
            var limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
            {
                PermitLimit = options.MaxConcurrentRequests, QueueLimit = options.QueueLength, QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            });
            var shutdown = new ShutdownState();
            var stats = new CaptionServerStats(limiter, store, options.MaxConcurrentRequests);
            builder.Services.AddSingleton(options).AddSingleton(model).AddSingleton(store).AddSingleton(limiter).AddSingleton(shutdown).AddSingleton(stats);
            builder.Services.AddSingleton(sp => new CaptionBatcher(model, options, stats,
                sp.GetRequiredService<ILoggerFactory>().CreateLogger<CaptionBatcher>(), shutdown.Deadline));
            builder.Services.AddSingleton<CaptionEndpoint>();
            builder.Services.AddHostedService<CaptionServerLifetime>();
            var app = builder.Build();
            MapEndpoints(app);
            return app;
        }
        catch
        {
            store?.Dispose();
            model.Dispose();
            throw;
        }
    }

    /// <summary>Builds the server, runs it until <paramref name="cancellation"/> fires or the process is asked to stop (Ctrl+C, SIGTERM), and shuts it down gracefully.</summary>
    public static async Task RunAsync(CaptionServerOptions options, CancellationToken cancellation = default)
    {
        await using var app = Build(options);
        await app.StartAsync(cancellation);
        await app.WaitForShutdownAsync(cancellation);
    }

    private static void MapEndpoints(WebApplication app)
    {
        app.UseStatusCodePages(async context =>
        {
            // Answers of the routing layer (404, 405, and 415 for a caption request that is not multipart/form-data).
            var response = context.HttpContext.Response;
            var message = response.StatusCode == StatusCodes.Status415UnsupportedMediaType
                ? MultipartUpload.NotMultipartMessage
                : ReasonPhrases.GetReasonPhrase(response.StatusCode);
            await response.WriteAsJsonAsync(new ErrorResponse(message));
        });

        app.MapPost("/v1/captions", (HttpContext context, CaptionEndpoint endpoint) => endpoint.HandleAsync(context))
            .WithName("Caption")
            .WithTags("vidcap")
            .WithSummary("Caption a video")
            .WithDescription("Upload a video as multipart/form-data in the field 'file'; the content is checked with ffprobe, never by name.")
            .Accepts<CaptionUploadForm>("multipart/form-data")
            .Produces<CaptionResponse>(StatusCodes.Status200OK)
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status413PayloadTooLarge)
            .Produces<ErrorResponse>(StatusCodes.Status415UnsupportedMediaType)
            .Produces<ErrorResponse>(StatusCodes.Status422UnprocessableEntity)
            .Produces<ErrorResponse>(StatusCodes.Status429TooManyRequests)
            .Produces<ErrorResponse>(StatusCodes.Status500InternalServerError)
            .Produces<ErrorResponse>(StatusCodes.Status503ServiceUnavailable)
            .Produces<ErrorResponse>(StatusCodes.Status504GatewayTimeout);

        app.MapGet("/healthz", (ShutdownState shutdown) => shutdown.IsStopping
                ? Results.Json(new HealthResponse("stopping"), statusCode: StatusCodes.Status503ServiceUnavailable)
                : Results.Json(new HealthResponse("ok")))
            .WithName("Health")
            .WithTags("vidcap")
            .WithSummary("Liveness: ok, or 503 while shutting down")
            .Produces<HealthResponse>(StatusCodes.Status200OK)
            .Produces<HealthResponse>(StatusCodes.Status503ServiceUnavailable);

        app.MapGet("/v1/model", (ServedModel model) => Results.Json(model.Description))
            .WithName("Model")
            .WithTags("vidcap")
            .WithSummary("The served model: its columns and settings")
            .Produces(StatusCodes.Status200OK, contentType: "application/json");

        app.MapGet("/v1/stats", (CaptionServerStats stats) => Results.Json(stats))
            .WithName("Stats")
            .WithTags("vidcap")
            .WithSummary("Request, batch and queue counters")
            .Produces<CaptionServerStats>(StatusCodes.Status200OK);

        app.MapOpenApi("/openapi.json");
    }
}
