using System.Diagnostics;
using System.Net;
using Xunit.Abstractions;

namespace Microsoft.ML.VideoCaptioning.Serving.Tests;

/// <summary>Captioning over HTTP, the read-only endpoints, and batching of concurrent requests.</summary>
[Collection(ServerCollection.Name)]
public sealed class CaptionTests(TinyCaptioner captioner, ITestOutputHelper output)
{
    [Fact]
    public async Task CaptionsAnUploadedVideo()
    {
        await using var server = await RunningServer.StartAsync(captioner);
        using var warmUp = await server.UploadAsync(captioner.Videos[0]);
        await RunningServer.AssertStatusAsync(HttpStatusCode.OK, warmUp);

        var clock = Stopwatch.StartNew();
        using var response = await server.UploadAsync(captioner.Videos[1]);
        var latency = clock.Elapsed;
        await RunningServer.AssertStatusAsync(HttpStatusCode.OK, response);
        var json = await RunningServer.JsonAsync(response);
        Assert.NotNull(json.GetProperty("caption").GetString());
        Assert.Equal(TinyCaptioner.FrameCount, json.GetProperty("frames").GetInt32());
        double elapsed = json.GetProperty("elapsed_ms").GetDouble();
        Assert.InRange(elapsed, 0.001, latency.TotalMilliseconds);
        Assert.Equal(0, server.TemporaryFiles);
        // Uploads go to a private folder inside the configured one, readable by the server's user only.
        Assert.Equal(server.Options.TemporaryDirectory, Path.GetDirectoryName(server.Stats.TemporaryDirectory));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(server.Stats.TemporaryDirectory));
        output.WriteLine($"single request: {latency.TotalMilliseconds:F0} ms at the client, elapsed_ms {elapsed:F0}; caption \"{json.GetProperty("caption").GetString()}\"");
    }

    [Fact]
    public async Task ServesHealthModelManifestStatsAndOpenApi()
    {
        await using var server = await RunningServer.StartAsync(captioner);

        using var health = await server.Client.GetAsync("/healthz");
        await RunningServer.AssertStatusAsync(HttpStatusCode.OK, health);
        Assert.Equal("ok", (await RunningServer.JsonAsync(health)).GetProperty("status").GetString());

        using var model = await server.Client.GetAsync("/v1/model");
        await RunningServer.AssertStatusAsync(HttpStatusCode.OK, model);
        var described = await RunningServer.JsonAsync(model);
        Assert.Equal("ML.NET model zip", described.GetProperty("format").GetString());
        Assert.Equal(TinyCaptioner.FrameCount, described.GetProperty("frames").GetInt32());
        Assert.Equal("VideoPath", described.GetProperty("video_path_column").GetString());
        // the description names no path of the host
        Assert.DoesNotContain(Path.GetTempPath().TrimEnd('/'), described.GetRawText());
        using var stats = await server.Client.GetAsync("/v1/stats");
        Assert.Equal(0, (await RunningServer.JsonAsync(stats)).GetProperty("requests").GetInt64());

        using var openApi = await server.Client.GetAsync("/openapi.json");
        await RunningServer.AssertStatusAsync(HttpStatusCode.OK, openApi);
        var document = await RunningServer.JsonAsync(openApi);
        var post = document.GetProperty("paths").GetProperty("/v1/captions").GetProperty("post");
        var form = post.GetProperty("requestBody").GetProperty("content").GetProperty("multipart/form-data").GetProperty("schema");
        var formName = form.GetProperty("$ref").GetString()!.Split('/')[^1];
        var formSchema = document.GetProperty("components").GetProperty("schemas").GetProperty(formName);
        Assert.True(formSchema.GetProperty("properties").TryGetProperty("file", out _), "the upload form has no 'file' field");
        foreach (var code in new[] { "200", "400", "413", "422", "429", "503", "504" })
            Assert.True(post.GetProperty("responses").TryGetProperty(code, out _), $"the OpenAPI document lists no {code} answer");
        Assert.True(document.GetProperty("paths").TryGetProperty("/healthz", out _));

        using var missing = await server.Client.GetAsync("/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("Not Found", (await RunningServer.JsonAsync(missing)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task ThirtyTwoParallelUploadsAreAllCaptionedInBatches()
    {
        const int Requests = 32;
        await using var server = await RunningServer.StartAsync(captioner, o => o with
        {
            MaxConcurrentRequests = Requests, QueueLength = 0, MaxBatchSize = 8, BatchWindowMilliseconds = 50,
        });
        using var warmUp = await server.UploadAsync(captioner.Videos[0]);
        await RunningServer.AssertStatusAsync(HttpStatusCode.OK, warmUp);
        long batchesBefore = server.Stats.Batches;

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var clock = Stopwatch.StartNew();
        var responses = await Task.WhenAll(Enumerable.Range(0, Requests).Select(i => server.UploadAsync(captioner.Videos[i % captioner.Videos.Count], cancellation: timeout.Token)));
        var wall = clock.Elapsed;
        try
        {
            foreach (var r in responses)
            {
                await RunningServer.AssertStatusAsync(HttpStatusCode.OK, r);
                Assert.NotNull((await RunningServer.JsonAsync(r)).GetProperty("caption").GetString());
            }
        }
        finally
        {
            foreach (var r in responses) r.Dispose();
        }
        long batches = server.Stats.Batches - batchesBefore;
        Assert.True(batches < Requests, $"{Requests} requests took {batches} model calls: nothing was batched");
        Assert.True(server.Stats.LargestBatch > 1);
        Assert.Equal(0, server.TemporaryFiles);
        output.WriteLine($"{Requests} parallel requests: {wall.TotalSeconds:F2} s, {Requests / wall.TotalSeconds:F1} requests/s, " +
            $"{batches} batches (largest {server.Stats.LargestBatch})");
    }
}
