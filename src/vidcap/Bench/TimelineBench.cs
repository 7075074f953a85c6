using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.VideoCaptioning.Cli.Commands;
using Microsoft.ML.VideoCaptioning.Cli.Demo;
using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Features;
using Microsoft.ML.VideoCaptioning.Models;
using Microsoft.ML.VideoCaptioning.Models.QFormer;
using Microsoft.ML.VideoCaptioning.Models.Qwen2;
using Microsoft.ML.VideoCaptioning.Text;
using Microsoft.ML.VideoCaptioning.Timeline;
using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning.Cli.Bench;

/// <summary>
/// <c>vidcap bench timeline</c>: real-time factor of timeline captioning on a long 1280×720 H.264 video (generated once
/// with ffmpeg's testsrc2 unless one is given): the decoding pass alone, then decoding + featurizing + captioning with the
/// given model or, without one, the demo's model shapes with random weights (whose captions run to the full 16 tokens,
/// the slowest case). Resident memory is printed before and after, and at its peak.
/// </summary>
public static class TimelineBench
{
    private const int DemoFrames = 16;   // the demo's frames per clip (DemoRunner)

    public static List<BenchRow> Run(string? video, double minutes, string? modelPath, double window, Action<string> log)
    {
        var rows = new List<BenchRow> { new("resident memory at start", Rss(), "MB") };
        string path = video ?? Generate(minutes, log);
        using var pieces = modelPath != null ? Pieces.From(LoadedCaptioner.Load(modelPath, "cpu")) : Pieces.DemoShapes(log);
        var reader = new VideoTimelineReader(pieces.Sampling, new TimelineOptions { WindowSeconds = window, Prefetch = 8 });

        var clock = Stopwatch.StartNew();
        var timeline = reader.Open(path);
        int windows = timeline.ReadClips().Count(c => c.Succeeded);
        double decode = clock.Elapsed.TotalSeconds;
        rows.Add(new($"decode pass, {windows} windows of {window:G} s × {pieces.Sampling.FrameCount} frames", timeline.DurationSeconds / decode, "× real time"));
        rows.Add(new("resident memory after the decode pass", Rss(), "MB"));

        clock.Restart();
        var result = new TimelineCaptioner(reader, pieces.Featurize, pieces.Generator, batchSize: 8).Caption(path);
        double caption = clock.Elapsed.TotalSeconds;
        rows.Add(new($"timeline captions ({pieces.Description}), {result.Segments.Count} segments", result.DurationSeconds / caption, "× real time"));
        rows.Add(new("windows captioned", result.Windows.Count / caption, "windows/s"));
        rows.Add(new("resident memory at end", Rss(), "MB"));
        rows.Add(new("resident memory, peak", Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0, "MB"));
        return rows;
    }

    private static double Rss()
    {
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64 / 1048576.0;
    }

    private static string Generate(double minutes, Action<string> log)
    {
        string path = Path.Combine(Path.GetTempPath(), string.Create(CultureInfo.InvariantCulture, $"vidcap-bench-timeline-{minutes:G}min-720p.mp4"));
        if (File.Exists(path)) return path;
        log($"generating {minutes:G} minutes of 1280×720 H.264 (testsrc2, 30 fps) → {path}");
        var info = new ProcessStartInfo(MediaToolsPath()) { RedirectStandardError = true };
        foreach (string a in new[] { "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
                     "-t", (minutes * 60).ToString(CultureInfo.InvariantCulture), "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", path + ".tmp.mp4" })
            info.ArgumentList.Add(a);
        using var ffmpeg = Process.Start(info)!;
        string errors = ffmpeg.StandardError.ReadToEnd();
        ffmpeg.WaitForExit();
        if (ffmpeg.ExitCode != 0) throw new InvalidOperationException($"ffmpeg could not make the benchmark video: {errors}");
        File.Move(path + ".tmp.mp4", path);
        return path;
    }

    private static string MediaToolsPath() => Environment.GetEnvironmentVariable("VIDCAP_FFMPEG") is { Length: > 0 } configured ? configured : "ffmpeg";

    /// <summary>What the benchmark captions with.</summary>
    private sealed class Pieces(VideoFrameSampler.Options sampling, Func<IReadOnlyList<SampledClip>, Tensor> featurize, CaptionGenerator generator,
        string description, Action dispose) : IDisposable
    {
        public VideoFrameSampler.Options Sampling => sampling;
        public Func<IReadOnlyList<SampledClip>, Tensor> Featurize => featurize;
        public CaptionGenerator Generator => generator;
        public string Description => description;

        public static Pieces From(LoadedCaptioner loaded) =>
            new(loaded.Sampling, loaded.Featurizer.Featurize, loaded.Generator, "the given model", loaded.Dispose);

        // The demo's encoder, language model and Q-Former shapes with random weights, written to a temporary folder.
        public static Pieces DemoShapes(Action<string> log)
        {
            string root = Directory.CreateTempSubdirectory("vidcap-bench-timeline-").FullName;
            log("writing random models of the demo's shapes");
            RandomModels.WriteVJepa2(Path.Combine(root, "vjepa2"), DemoRunner.Encoder, seed: 1);
            RandomModels.WriteQwen2(Path.Combine(root, "qwen2"), new Qwen2Config(64, 2, 4, 2, 192, 151936, 1e6, 1e-6, true, [151643], null), seed: 1);
            var featurizer = new VJepaFeaturizer(Path.Combine(root, "vjepa2"));
            var encoder = DemoRunner.Encoder;
            var qformer = new QFormer(new QFormerConfig
            {
                NumQueries = 32, Dim = 64, NumHeads = 4, Depth = 2, VisualDim = encoder.HiddenSize,
                VisualGridTime = DemoFrames / encoder.TubeletSize, VisualGridHeight = encoder.GridSize, VisualGridWidth = encoder.GridSize,
            }, TensorOptions.CpuFloat32);
            Torch.ManualSeed(1);
            qformer.ResetParameters();
            qformer.Eval();
            var tokenizer = Qwen2Tokenizer.LoadDefault();
            var lm = Qwen2ForCausalLM.FromPretrained(Path.Combine(root, "qwen2"));
            var model = new VideoCaptionModel(qformer, lm, tokenizer.Encode("a video showing:").Select(i => (long)i).ToArray());
            var sampling = new VideoFrameSampler.Options { FrameCount = DemoFrames, CropSize = encoder.CropSize };
            return new Pieces(sampling, featurizer.Featurize, new CaptionGenerator(model, tokenizer, new GenerationOptions { MaxNewTokens = 16 }),
                "demo shapes, random weights", () =>
                {
                    featurizer.Dispose();
                    qformer.Dispose();
                    lm.Dispose();
                    Directory.Delete(root, recursive: true);
                });
        }

        public void Dispose() => dispose();
    }
}
