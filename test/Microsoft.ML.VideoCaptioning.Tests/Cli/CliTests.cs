using System.Text.Json;
using Microsoft.ML.VideoCaptioning.Cli;

namespace Microsoft.ML.VideoCaptioning.Tests.Cli;

/// <summary>The vidcap program's exit codes and JSON output, run in-process.</summary>
[Collection(nameof(ConsoleOutput))]
public sealed class CliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vidcap-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        var (o, e) = (new StringWriter(), new StringWriter());
        Console.SetOut(o);
        Console.SetError(e);
        try { return (Program.Main(args), o.ToString(), e.ToString()); }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldErr);
        }
    }

    [Fact]
    public void EvaluatePrintsCocoJsonAndRejectsBadInputWithCode2()
    {
        var gts = Path.Combine(TestPaths.Data, "metrics", "public_captions_gts.json");
        var res = Path.Combine(TestPaths.Data, "metrics", "public_captions_res.json");
        var (code, output, _) = Run("evaluate", "--references", gts, "--candidates", res, "--json");
        Assert.Equal(0, code);
        var json = JsonDocument.Parse(output).RootElement;
        var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Data, "metrics", "public_captions_expected.json"))).RootElement;
        Assert.True(json.GetProperty("CIDEr").GetDouble() > 0);
        foreach (var key in new[] { "Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "METEOR", "ROUGE_L", "CIDEr" }) Assert.True(json.TryGetProperty(key, out _), key);
        Assert.Contains("CIDEr", expected.GetRawText());

        var bad = Path.Combine(_dir, "bad.json");
        File.WriteAllText(bad, "{ not json");
        var (code2, _, err) = Run("evaluate", "--references", gts, "--candidates", bad);
        Assert.Equal(2, code2);
        Assert.Contains("bad.json", err);
        var (code3, _, _) = Run("evaluate", "--references", gts);
        Assert.Equal(2, code3);
    }

    [Fact]
    public void AnUnusableDeviceIsTheSameUsageErrorInEveryCommand()
    {
        // cuda:99 exists on no machine: a CPU build says CUDA is unavailable, a CUDA build that device 99 does not exist
        var video = Path.Combine(TestPaths.Data, "videos", "h2b_task5_closing_0.webm");
        var missing = Path.Combine(_dir, "none");
        string[][] commands =
        [
            ["train", "--train", missing + ".jsonl", "--encoder", missing, "--language-model", missing, "--out", missing + ".zip", "--device", "cuda:99"],
            ["caption", video, "--model", missing + ".zip", "--device", "cuda:99"],
            ["featurize", video, "--encoder", missing, "--cache", missing, "--device", "cuda:99"],
            ["serve", "--model", missing + ".zip", "--device", "cuda:99"],
        ];
        var errors = commands.Select(c => Run(c)).ToList();
        Assert.All(errors, r => Assert.Equal(2, r.Code));
        Assert.All(errors, r => Assert.Contains("cuda:99", r.Err));
        Assert.Single(errors.Select(r => r.Err).Distinct());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CaptionNamesMissingFilesAndStillCaptionsTheOthers(bool timeline)
    {
        using var f = new Pipeline.TinyPipelineFixture();
        var (a, b) = (f.Test[0].VideoPath, f.Test[^1].VideoPath);
        var missing = Path.Combine(_dir, "missing.mp4");
        string subtitles = Path.Combine(_dir, "subtitles");
        string[] args = ["caption", a, missing, b, "--model", f.Zip, "--json"];
        var (code, output, err) = Run(timeline ? [.. args, "--timeline", "--window", "1", "--srt", subtitles] : args);
        Assert.Equal(1, code);
        Assert.Contains("missing.mp4: not found", err);
        var items = JsonDocument.Parse(output).RootElement.EnumerateArray().ToList();
        Assert.Equal(3, items.Count);
        Assert.Equal("not found", items.Single(i => i.TryGetProperty("error", out _)).GetProperty("error").GetString());
        if (!timeline)
        {
            Assert.Equal(2, items.Count(i => i.TryGetProperty("caption", out var c) && c.GetString()!.Length > 0));
            return;
        }
        var captioned = items.Where(i => i.TryGetProperty("segments", out _)).ToList();
        Assert.Equal([a, b], captioned.Select(i => i.GetProperty("video").GetString()));
        foreach (var item in captioned)
        {
            var segments = item.GetProperty("segments").EnumerateArray().ToList();
            Assert.Equal(0, segments[0].GetProperty("start").GetDouble());
            Assert.Equal(item.GetProperty("duration").GetDouble(), segments[^1].GetProperty("end").GetDouble(), 6);
            Assert.All(segments, s => Assert.False(string.IsNullOrEmpty(s.GetProperty("caption").GetString())));
            var srt = Path.Combine(subtitles, Path.GetFileNameWithoutExtension(item.GetProperty("video").GetString()) + ".srt");
            var cues = Subtitles.SubtitleParser.Parse(File.ReadAllText(srt));
            Assert.Equal(segments.Select(s => Math.Round(s.GetProperty("start").GetDouble(), 3)), cues.Select(c => c.Start));
            Assert.Equal(Math.Round(item.GetProperty("duration").GetDouble(), 3), cues[^1].End);
        }
    }

    [Fact]
    public void TimelineOptionsWithoutTimelineAreAUsageError()
    {
        var video = Path.Combine(TestPaths.Data, "videos", "h2b_task5_closing_0.webm");
        var (code, _, err) = Run("caption", video, "--model", Path.Combine(_dir, "none.zip"), "--srt", Path.Combine(_dir, "out.srt"));
        Assert.Equal(2, code);
        Assert.Contains("--srt goes with --timeline", err);
    }

    [Fact]
    public void CaptionReportsAMissingModelWithCode2()
    {
        var (code, _, err) = Run("caption", Path.Combine(TestPaths.Data, "videos", "h2b_task5_closing_0.webm"), "--model", Path.Combine(_dir, "none.zip"));
        Assert.Equal(2, code);
        Assert.Contains("none.zip", err);
    }
}

/// <summary>Tests that redirect the process-wide console run alone.</summary>
[CollectionDefinition(nameof(ConsoleOutput), DisableParallelization = true)]
public sealed class ConsoleOutput;
