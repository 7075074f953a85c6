using System.Net;
using System.Text;

namespace Microsoft.ML.VideoCaptioning.Serving.Tests;

/// <summary>Upload size limits, malformed and non-video uploads, and the per-request timeout.</summary>
[Collection(ServerCollection.Name)]
public sealed class UploadLimitTests(TinyCaptioner captioner)
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task DeclaredOversizedUploadIsRefusedBeforeItsBodyIsSent()
    {
        await using var server = await RunningServer.StartAsync(captioner, o => o with { MaxUploadMegabytes = 1 });
        // One byte over the limit is declared, and not a byte of it is sent: the answer can only come from Content-Length.
        using var upload = await RawHttp.StartUploadAsync(server.BaseAddress, server.Options.MaxRequestBodyBytes + 1);
        var (status, head, body) = await upload.ReadResponseAsync(AnswerTimeout);
        Assert.Equal(413, status);
        Assert.Contains("Connection: close", head, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("larger than the limit of 1 MB", body);
        Assert.True(await upload.ClosedByServerAsync(AnswerTimeout), "the server kept the connection open, waiting for the body");
        Assert.Equal(0, upload.BodyBytesSent);
        Assert.Equal(0, server.TemporaryFiles);
    }

    [Fact]
    public async Task StreamedOversizedUploadIsCutOffAtTheLimit()
    {
        await using var server = await RunningServer.StartAsync(captioner, o => o with { MaxUploadMegabytes = 1 });
        // No Content-Length (chunked): the server must count while it streams, and answer without the end of the body.
        using var upload = await RawHttp.StartUploadAsync(server.BaseAddress, contentLength: null);
        long limit = server.Options.MaxUploadBytes;
        using var sending = new CancellationTokenSource(AnswerTimeout);
        var writer = Task.Run(async () =>
        {
            await upload.WriteChunkAsync(RawHttp.FilePartHeader, sending.Token);
            var chunk = new byte[64 << 10];
            while (upload.BodyBytesSent < limit + (256 << 10)) await upload.WriteChunkAsync(chunk, sending.Token);
        });
        var (status, _, body) = await upload.ReadResponseAsync(AnswerTimeout);
        Assert.Equal(413, status);
        Assert.Contains("larger than the limit of 1 MB", body);
        await sending.CancelAsync();
        try
        {
            await writer;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            // The server closed the connection, or the rest was no longer needed.
        }
        Assert.True(await upload.ClosedByServerAsync(AnswerTimeout));
        Assert.Equal(0, server.TemporaryFiles);
    }

    [Fact]
    public async Task EmptyMissingGarbageAndNonFormUploadsAreRefusedWithJsonErrors()
    {
        await using var server = await RunningServer.StartAsync(captioner);

        using var empty = await server.UploadAsync([]);
        await RunningServer.AssertStatusAsync(HttpStatusCode.BadRequest, empty);
        Assert.Contains("empty", (await RunningServer.JsonAsync(empty)).GetProperty("error").GetString());

        using var missing = await server.UploadAsync(captioner.Videos[0], field: "video");
        await RunningServer.AssertStatusAsync(HttpStatusCode.BadRequest, missing);
        Assert.Contains("no 'file' field", (await RunningServer.JsonAsync(missing)).GetProperty("error").GetString());

        var garbage = new byte[8192];
        new Random(5).NextBytes(garbage);
        using var notVideo = await server.UploadAsync(garbage);
        await RunningServer.AssertStatusAsync(HttpStatusCode.UnprocessableEntity, notVideo);
        var message = (await RunningServer.JsonAsync(notVideo)).GetProperty("error").GetString()!;
        Assert.Contains("not a video file", message);
        Assert.DoesNotContain(server.Options.TemporaryDirectory!, message);

        // A video with an innocent name and a text file named like a video: the content decides.
        using var text = await server.UploadAsync(Encoding.UTF8.GetBytes("this is not a video, whatever its name says\n"));
        await RunningServer.AssertStatusAsync(HttpStatusCode.UnprocessableEntity, text);

        using var json = await server.Client.PostAsync("/v1/captions", new StringContent("{\"file\": \"clip.mp4\"}", Encoding.UTF8, "application/json"));
        await RunningServer.AssertStatusAsync(HttpStatusCode.UnsupportedMediaType, json);
        Assert.Contains("multipart/form-data", (await RunningServer.JsonAsync(json)).GetProperty("error").GetString());

        Assert.Equal(0, server.TemporaryFiles);
        Assert.Equal(0, server.Stats.Captioned);
    }

    [Fact]
    public async Task RequestOverTheTimeoutGets504()
    {
        await using var server = await RunningServer.StartAsync(captioner, o => o with { RequestTimeout = TimeSpan.FromSeconds(1) });
        // A client that sends half of its upload and stalls.
        using var upload = await RawHttp.StartUploadAsync(server.BaseAddress, contentLength: 100_000);
        await upload.WriteAsync(RawHttp.FilePartHeader);
        await upload.WriteAsync(new byte[10_000]);
        var (status, _, body) = await upload.ReadResponseAsync(AnswerTimeout);
        Assert.Equal(504, status);
        Assert.Contains("longer than the server's limit of 1 s", body);
        Assert.Equal(1, server.Stats.TimedOut);
        Assert.Equal(0, server.TemporaryFiles);
    }
}
