using System.CommandLine;
using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Serving;

namespace Microsoft.ML.VideoCaptioning.Cli.Commands;

using Command = System.CommandLine.Command;

/// <summary><c>vidcap serve</c>: an HTTP server captioning uploaded videos with a trained model zip (<see cref="CaptionServer"/>).</summary>
public static class ServeCommand
{
    private const double MaxTimeoutSeconds = 86_400;

    public static Command Create()
    {
        var defaults = new CaptionServerOptions { ModelPath = "captioner.zip" };
        var model = new Option<string>("--model") { Description = "Trained captioner zip (vidcap demo writes one)", Required = true };
        var urls = new Option<string>("--urls") { Description = "Addresses to listen on, separated by ';' (port 0: any free port)", DefaultValueFactory = _ => string.Join(';', defaults.Urls) };
        var maxUpload = new Option<int>("--max-upload-mb") { Description = "Largest accepted video in MB; larger uploads get 413", DefaultValueFactory = _ => defaults.MaxUploadMegabytes };
        var concurrency = new Option<int>("--max-concurrency") { Description = "Requests handled at once", DefaultValueFactory = _ => defaults.MaxConcurrentRequests };
        var queue = new Option<int>("--queue") { Description = "Requests that may wait for a slot; more get 429", DefaultValueFactory = _ => defaults.QueueLength };
        var batch = new Option<int>("--batch") { Description = "Most videos captioned in one model call", DefaultValueFactory = _ => defaults.MaxBatchSize };
        var window = new Option<int>("--batch-window-ms") { Description = "Wait for more videos after the first of a batch, in ms", DefaultValueFactory = _ => defaults.BatchWindowMilliseconds };
        var timeout = new Option<double>("--timeout-s") { Description = "Time allowed per request in seconds; then 504", DefaultValueFactory = _ => defaults.RequestTimeout.TotalSeconds };
        var device = CliOptions.Device();
        var encoder = new Option<string?>("--encoder") { Description = "V-JEPA 2 directory to use instead of the one the model records" };
        var languageModel = new Option<string?>("--language-model") { Description = "Qwen2 directory to use instead of the one the model records" };
        var noVerify = new Option<bool>("--no-verify") { Description = "Accept frozen models whose hashes differ from the ones the model was trained with" };
        var cmd = new Command("serve", "Serve a trained captioner over HTTP: POST /v1/captions (multipart field 'file'), GET /healthz, /v1/model, /v1/stats, /openapi.json. Ctrl+C or SIGTERM stops it gracefully.")
        {
            model, urls, maxUpload, concurrency, queue, batch, window, timeout, device, encoder, languageModel, noVerify,
        };
        // A synchronous action: the server's host handles Ctrl+C and SIGTERM itself and drains requests in flight.
        cmd.SetAction(p =>
        {
            if (p.GetValue(timeout) is not (> 0 and <= MaxTimeoutSeconds and var seconds))
                throw new UsageException($"--timeout-s must be a number of seconds above 0 and at most {MaxTimeoutSeconds}.");
            int? gpu = CliOptions.GpuId(p.GetValue(device)!);
            var options = defaults with
            {
                ModelPath = p.GetValue(model)!,
                Urls = p.GetValue(urls)!.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                MaxUploadMegabytes = p.GetValue(maxUpload),
                MaxConcurrentRequests = p.GetValue(concurrency),
                QueueLength = p.GetValue(queue),
                MaxBatchSize = p.GetValue(batch),
                BatchWindowMilliseconds = p.GetValue(window),
                RequestTimeout = TimeSpan.FromSeconds(seconds),
                GpuDeviceId = gpu,
                ModelLoadOptions = new VideoCaptioningLoadOptions
                {
                    EncoderPath = p.GetValue(encoder),
                    LanguageModelPath = p.GetValue(languageModel),
                    SkipFrozenModelVerification = p.GetValue(noVerify),
                },
            };
            if (!File.Exists(options.ModelPath)) throw new UsageException($"Model file not found: {options.ModelPath}.");
            CaptionServer.RunAsync(options).GetAwaiter().GetResult();
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
