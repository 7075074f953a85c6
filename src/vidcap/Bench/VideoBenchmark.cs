using System.Diagnostics;
using System.Globalization;

using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning.Cli.Bench;

/// <summary>Measures how many clips per second <see cref="VideoFrameSampler.SampleMany"/> turns into encoder input.</summary>
public static class VideoBenchmark
{
    /// <summary>
    /// Samples <paramref name="clips"/> (repeated <paramref name="repetitions"/> times), then a synthetic 1920×1080
    /// 30 fps H.264 clip of <paramref name="syntheticSeconds"/> seconds generated with ffmpeg's <c>testsrc</c> into a
    /// temporary directory (deleted afterwards), each with bounded parallel decoding.
    /// </summary>
    /// <param name="clips">Real videos to sample; may be empty.</param>
    /// <param name="options">Sampler settings; defaults when null.</param>
    /// <param name="maxParallelism">Videos decoded concurrently; 0 for <see cref="Environment.ProcessorCount"/>.</param>
    /// <param name="repetitions">How many times each real clip is sampled (the synthetic one at least
    /// <paramref name="maxParallelism"/> times, so that all workers are busy).</param>
    /// <param name="syntheticSeconds">Length of the synthetic 1080p clip; 0 to skip it.</param>
    /// <param name="cancellationToken">Stops the benchmark.</param>
    /// <returns>One result for the real clips (when given) and one for the synthetic clip (when generated).</returns>
    public static IReadOnlyList<VideoBenchmarkResult> Run(
        IReadOnlyList<string> clips,
        VideoFrameSampler.Options? options = null,
        int maxParallelism = 0,
        int repetitions = 3,
        double syntheticSeconds = 10,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(clips);
        ArgumentOutOfRangeException.ThrowIfLessThan(repetitions, 1);
        int parallelism = maxParallelism == 0 ? Environment.ProcessorCount : maxParallelism;
        var sampler = new VideoFrameSampler(options);
        var results = new List<VideoBenchmarkResult>();
        if (clips.Count > 0)
        {
            sampler.Sample(clips[0], cancellationToken);
            var work = Enumerable.Repeat(clips, repetitions).SelectMany(c => c).ToList();
            results.Add(Measure($"{clips.Count} real clips", sampler, work, parallelism, cancellationToken));
        }
        if (syntheticSeconds > 0)
        {
            string directory = Path.Combine(Path.GetTempPath(), "vidcap-benchmark-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(directory);
            try
            {
                string video = Path.Combine(directory, "testsrc_1080p.mp4");
                Generate1080p(video, syntheticSeconds, cancellationToken);
                var work = Enumerable.Repeat(video, Math.Max(repetitions, parallelism)).ToList();
                string seconds = syntheticSeconds.ToString("0.##", CultureInfo.InvariantCulture);
                results.Add(Measure($"synthetic 1920x1080 30 fps H.264, {seconds} s", sampler, work, parallelism, cancellationToken));
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        return results;
    }

    private static VideoBenchmarkResult Measure(string name, VideoFrameSampler sampler, List<string> work, int parallelism, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        foreach (var result in sampler.SampleMany(work, parallelism, cancellationToken))
        {
            if (result.Error is not null)
                throw new InvalidOperationException($"Benchmark video '{result.Path}' failed: {result.Error.Message}", result.Error);
        }
        return new VideoBenchmarkResult(name, work.Count, clock.Elapsed.TotalSeconds, parallelism);
    }

    /// <summary>
    /// Writes a 1920×1080 30 fps H.264 <c>testsrc</c> clip with ffmpeg (<c>VIDCAP_FFMPEG</c> when set, else the one on
    /// PATH, as the library's sampler finds it).
    /// </summary>
    private static void Generate1080p(string path, double seconds, CancellationToken cancellationToken)
    {
        string ffmpeg = Environment.GetEnvironmentVariable("VIDCAP_FFMPEG") is { Length: > 0 } configured ? configured : "ffmpeg";
        string source = string.Create(CultureInfo.InvariantCulture, $"testsrc=size=1920x1080:rate=30:duration={seconds}");
        var start = new ProcessStartInfo(ffmpeg, ["-nostdin", "-hide_banner", "-v", "error", "-y", "-f", "lavfi", "-i", source,
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "file:" + Path.GetFullPath(path)])
        { RedirectStandardError = true };
        Process process;
        try { process = Process.Start(start) ?? throw new InvalidOperationException($"{ffmpeg} did not start"); }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"Cannot start '{ffmpeg}' to write the benchmark video ({e.Message}): install FFmpeg " +
                "('apt-get install ffmpeg') or set VIDCAP_FFMPEG to the ffmpeg executable.", e);
        }
        using var _ = process;
        var errors = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            process.WaitForExitAsync(cancellationToken).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"ffmpeg could not generate the benchmark video: {errors.GetAwaiter().GetResult().Trim()}");
    }
}
