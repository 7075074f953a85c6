using System.Diagnostics;
using System.Net;
using Xunit.Abstractions;

namespace Microsoft.ML.VideoCaptioning.Serving.Tests;

/// <summary>The bounded queue, a long run of sequential requests, and graceful shutdown with requests in flight.</summary>
[Collection(ServerCollection.Name)]
public sealed class LoadTests(TinyCaptioner captioner, ITestOutputHelper output)
{
    [Fact]
    public async Task FullQueueGets429WithRetryAfter()
    {
        await using var server = await RunningServer.StartAsync(captioner, o => o with { MaxConcurrentRequests = 1, QueueLength = 1 });
        // The only slot: a client that starts its upload and stalls.
        using var holder = await RawHttp.StartUploadAsync(server.BaseAddress, contentLength: 100_000);
        await holder.WriteAsync(RawHttp.FilePartHeader);
        await WaitUntilAsync(() => server.Stats.Active == 1, "the first request holds the slot");
        // The only queue place.
        using var waiter = await RawHttp.StartUploadAsync(server.BaseAddress, contentLength: 100_000);
        await WaitUntilAsync(() => server.Stats.Queued == 1, "the second request waits in the queue");

        using var rejected = await server.UploadAsync(captioner.Videos[0]);
        await RunningServer.AssertStatusAsync(HttpStatusCode.TooManyRequests, rejected);
        Assert.True(rejected.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "no Retry-After on the 429");
        Assert.Contains("busy", (await RunningServer.JsonAsync(rejected)).GetProperty("error").GetString());
        Assert.Equal(1, server.Stats.Rejected);

        // When the first client goes away, the queued one gets the slot; when it goes too, nothing is left behind.
        holder.Dispose();
        await WaitUntilAsync(() => server.Stats.Queued == 0 && server.Stats.Active == 1, "the queued request gets the slot");
        waiter.Dispose();
        await WaitUntilAsync(() => server.Stats.Active == 0, "the slot is free again");
        await WaitUntilAsync(() => server.TemporaryFiles == 0, "the abandoned uploads are deleted");
    }

    [Fact]
    public async Task FiveHundredSequentialRequestsLeaveMemoryAndTemporaryFilesFlat()
    {
        // Every 25th request is a video to caption and every 25th a non-video (probed, 422); the others are rejected
        // uploads (empty file field: written and deleted, 400; no file field: 400). The mix keeps 500 requests within
        // ~20 s on two cores, where each caption costs three ffmpeg/ffprobe process starts.
        const int Requests = 500, WarmUp = 50;
        const long ManagedBound = 16L << 20, ResidentBound = 96L << 20;
        await using var server = await RunningServer.StartAsync(captioner);
        var garbage = new byte[4096];
        new Random(9).NextBytes(garbage);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        long managedBefore = 0, residentBefore = 0;
        int captions = 0;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < Requests; i++)
        {
            if (i == WarmUp) (managedBefore, residentBefore) = Memory();
            var (content, field, expected) = (i % 25) switch
            {
                0 => (captioner.Videos[i / 25 % captioner.Videos.Count], "file", HttpStatusCode.OK),
                12 => (garbage, "file", HttpStatusCode.UnprocessableEntity),
                _ when i % 2 == 0 => ([], "file", HttpStatusCode.BadRequest),
                _ => (captioner.Videos[0], "clip", HttpStatusCode.BadRequest),
            };
            using var response = await server.UploadAsync(content, field, deadline.Token);
            await RunningServer.AssertStatusAsync(expected, response);
            if (expected == HttpStatusCode.OK) captions++;
            Assert.Equal(0, server.TemporaryFiles);
        }
        var (managedAfter, residentAfter) = Memory();
        output.WriteLine($"{Requests} sequential requests ({captions} captions) in {clock.Elapsed.TotalSeconds:F1} s; after the first {WarmUp}: " +
            $"managed heap {Mb(managedBefore)} → {Mb(managedAfter)} MB, resident set {Mb(residentBefore)} → {Mb(residentAfter)} MB; temporary files 0 after every request");
        Assert.True(managedAfter - managedBefore < ManagedBound, $"managed heap grew by {Mb(managedAfter - managedBefore)} MB (bound {Mb(ManagedBound)} MB)");
        Assert.True(residentAfter - residentBefore < ResidentBound, $"resident set grew by {Mb(residentAfter - residentBefore)} MB (bound {Mb(ResidentBound)} MB)");
        Assert.Equal(Requests, server.Stats.Requests);
        Assert.Equal(captions, server.Stats.Captioned);
    }

    [Fact]
    public async Task ShutdownLetsRequestsInFlightCompleteAndLeavesNoFiles()
    {
        const int InFlight = 8;
        var server = await RunningServer.StartAsync(captioner, o => o with { MaxBatchSize = 4, BatchWindowMilliseconds = 50 });
        await using (server)
        {
            using var warmUp = await server.UploadAsync(captioner.Videos[0]);
            await RunningServer.AssertStatusAsync(HttpStatusCode.OK, warmUp);
            var uploads = Enumerable.Range(0, InFlight).Select(i => server.UploadAsync(captioner.Videos[i % captioner.Videos.Count])).ToList();
            await WaitUntilAsync(() => server.Stats.Requests == InFlight + 1, "every request has arrived");

            var clock = Stopwatch.StartNew();
            var stopping = server.StopAsync();
            foreach (var upload in uploads)
            {
                using var response = await upload.WaitAsync(TimeSpan.FromSeconds(30));
                await RunningServer.AssertStatusAsync(HttpStatusCode.OK, response);
                Assert.NotNull((await RunningServer.JsonAsync(response)).GetProperty("caption").GetString());
            }
            await stopping.WaitAsync(TimeSpan.FromSeconds(30));
            output.WriteLine($"shutdown with {InFlight} requests in flight: all captioned, stopped in {clock.Elapsed.TotalSeconds:F1} s");
            Assert.False(Directory.Exists(server.Stats.TemporaryDirectory), "the private upload folder is still there");
            Assert.Empty(Directory.EnumerateFileSystemEntries(server.Options.TemporaryDirectory!));
        }
    }

    [Fact]
    public async Task ShutdownFailsRequestsStillRunningAfterTheGracePeriodWith503()
    {
        var server = await RunningServer.StartAsync(captioner, o => o with { ShutdownTimeout = TimeSpan.FromSeconds(1) });
        await using (server)
        {
            // A client that never finishes its upload: it can only be failed.
            using var stalled = await RawHttp.StartUploadAsync(server.BaseAddress, contentLength: 100_000);
            await stalled.WriteAsync(RawHttp.FilePartHeader);
            await stalled.WriteAsync(captioner.Videos[0]);
            await WaitUntilAsync(() => server.Stats.Active == 1, "the upload has started");

            var clock = Stopwatch.StartNew();
            var stopping = server.StopAsync();
            var (status, head, body) = await stalled.ReadResponseAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(503, status);
            Assert.Contains("shutting down", body);
            Assert.Contains("Connection: close", head, StringComparison.OrdinalIgnoreCase);
            stalled.Dispose();
            await stopping.WaitAsync(TimeSpan.FromSeconds(20));
            output.WriteLine($"an upload stalled at shutdown: 503 after the 1 s grace period, stopped in {clock.Elapsed.TotalSeconds:F1} s");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"stopping took {clock.Elapsed.TotalSeconds:F1} s");
            Assert.Empty(Directory.EnumerateFileSystemEntries(server.Options.TemporaryDirectory!));
        }
    }

    private static (long Managed, long Resident) Memory()
    {
        for (int i = 0; i < 2; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        using var self = Process.GetCurrentProcess();
        return (GC.GetTotalMemory(forceFullCollection: true), self.WorkingSet64);
    }

    private static string Mb(long bytes) => (bytes / (double)(1 << 20)).ToString("F1");

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(10)) Assert.Fail($"timed out waiting until {what}");
            await Task.Delay(20);
        }
    }
}
