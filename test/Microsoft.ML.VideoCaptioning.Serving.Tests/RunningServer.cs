using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Microsoft.ML.VideoCaptioning.Serving.Tests;

/// <summary>A real <see cref="CaptionServer"/> listening on a free loopback port, with a client for it.</summary>
public sealed class RunningServer : IAsyncDisposable
{
    private bool _stopped;

    private RunningServer(WebApplication app, CaptionServerOptions options)
    {
        App = app;
        Options = options;
        BaseAddress = new Uri(app.Urls.Single());
        Assert.Equal("127.0.0.1", BaseAddress.Host);
        Client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        Stats = app.Services.GetRequiredService<CaptionServerStats>();
    }

    public WebApplication App { get; }
    public CaptionServerOptions Options { get; }
    public Uri BaseAddress { get; }
    public HttpClient Client { get; }
    public CaptionServerStats Stats { get; }

    /// <summary>Upload files left anywhere under the server's temporary folder.</summary>
    public int TemporaryFiles =>
        Directory.Exists(Options.TemporaryDirectory) ? Directory.EnumerateFiles(Options.TemporaryDirectory!, "*", SearchOption.AllDirectories).Count() : 0;

    /// <summary>Starts a server on 127.0.0.1 (port 0: a free one) for the captioner; <paramref name="configure"/> adjusts the options.</summary>
    public static async Task<RunningServer> StartAsync(TinyCaptioner captioner, Func<CaptionServerOptions, CaptionServerOptions>? configure = null)
    {
        var options = new CaptionServerOptions
        {
            ModelPath = captioner.ModelPath,
            Urls = ["http://127.0.0.1:0"],
            TemporaryDirectory = captioner.NewTemporaryDirectory(),
            MinimumLogLevel = LogLevel.Warning,
        };
        if (configure != null) options = configure(options);
        var app = CaptionServer.Build(options);
        await app.StartAsync();
        return new RunningServer(app, options);
    }

    /// <summary>Posts <paramref name="content"/> as the form field <paramref name="field"/> (with a client file name the server must ignore).</summary>
    public Task<HttpResponseMessage> UploadAsync(byte[] content, string field = "file", CancellationToken cancellation = default)
    {
        var form = new MultipartFormDataContent();
        var part = new ByteArrayContent(content);
        part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(part, field, "../../etc/passwd.mp4");
        return Client.PostAsync("/v1/captions", form, cancellation);
    }

    /// <summary>Asserts the status code, showing the body when it differs.</summary>
    public static async Task AssertStatusAsync(System.Net.HttpStatusCode expected, HttpResponseMessage response)
    {
        if (response.StatusCode != expected)
            Assert.Fail($"expected {(int)expected} {expected}, got {(int)response.StatusCode} {response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>The JSON body of a response.</summary>
    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.Clone();
    }

    /// <summary>Stops the host (graceful shutdown).</summary>
    public async Task StopAsync()
    {
        _stopped = true;
        await App.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopped) await StopAsync();
        await App.DisposeAsync();
        Client.Dispose();
    }
}
