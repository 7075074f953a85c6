using Microsoft.ML.VideoCaptioning.Cli.Demo;
using Microsoft.ML.VideoCaptioning.Data;
using Microsoft.ML.VideoCaptioning.Indexing;
using Microsoft.ML.VideoCaptioning.Timeline;
using Xunit.Abstractions;

namespace Microsoft.ML.VideoCaptioning.Tests.Timeline;

/// <summary>
/// Timeline captions, --like and --text on the synthetic world with the demo's models: measured against what the same
/// model reaches on single held-out clips (the demo's own metrics), never against fixed numbers.
/// </summary>
public class DemoCaptionerAccuracyTests(DemoCaptionerFixture demo, ITestOutputHelper output) : IClassFixture<DemoCaptionerFixture>
{
    private static readonly string[] Attributes = ["color", "shape", "motion", "all"];

    // Sampling slack of an accuracy measured on n items when the true rate is p: two standard errors, and one item.
    private static double Slack(double p, int n) => 2 * Math.Sqrt(p * (1 - p) / n) + 1.0 / n;

    private static string? Attribute((string? Color, string? Shape, string? Motion) a, string name) => name switch
    {
        "color" => a.Color, "shape" => a.Shape, "motion" => a.Motion, _ => $"{a.Color}/{a.Shape}/{a.Motion}",
    };

    [Fact]
    public void ALongVideoOfKnownSegmentsGetsTheirCaptionsAtTheSingleClipAccuracyWithBoundariesWithinOneWindow()
    {
        var segments = DemoTimeline.Segments(16, seed: 11);   // not the demo's own long video
        string path = Path.Combine(demo.Options.OutputDirectory, "sequence.mp4");
        var world = demo.Options.World;
        var starts = SyntheticWorld.RenderSequence(path, segments, side: world.MinSize, framesPerPass: (int)(DemoTimeline.WindowSeconds * world.FramesPerSecond), options: world, seed: 11);

        var result = demo.Context.VideoCaptioning().CaptionTimeline(demo.Model, path, new TimelineOptions { WindowSeconds = DemoTimeline.WindowSeconds });

        int n = result.Windows.Count;
        Assert.Equal(segments.Sum(s => s.Passes), n);
        var truth = result.Windows.Select(w => segments[DemoTimeline.TruthAt(starts, (w.Window.Start + w.Window.End) / 2)])
            .Select(s => ((string?)s.Color, (string?)s.Shape, (string?)s.Motion)).ToList();
        var predicted = result.Windows.Select(w => SyntheticWorld.ParseAttributes(w.Caption ?? "")).ToList();
        foreach (var attribute in Attributes)
        {
            double single = demo.SingleClipAccuracy(attribute);
            double windows = truth.Zip(predicted).Count(p => Attribute(p.First, attribute) == Attribute(p.Second, attribute)) / (double)n;
            output.WriteLine($"{attribute}: {windows:P0} of {n} windows, {single:P0} of single held-out clips");
            Assert.True(windows >= single - Slack(single, n), $"{attribute}: {windows:P0} of the windows against {single:P0} of single clips");
        }
        // every boundary between segments is within one window of a boundary between caption segments
        var found = result.Segments.Skip(1).Select(s => s.Start).ToList();
        foreach (double boundary in starts.Skip(1))
        {
            double off = found.Count == 0 ? double.PositiveInfinity : found.Min(f => Math.Abs(f - boundary));
            output.WriteLine($"boundary at {boundary:F1} s: nearest caption change {off:F1} s away");
            Assert.True(off <= DemoTimeline.WindowSeconds, $"no caption change within one window of the boundary at {boundary} s");
        }
    }

    [Fact]
    public void TheDemoReportShowsItsLongVideoAsATimelineStrip()
    {
        var html = File.ReadAllText(demo.Result.ReportPath);
        Assert.Contains("Timeline of a long video", html);
        var thumbnails = System.Text.RegularExpressions.Regex.Matches(html, "<img src=\"(timeline/w\\d+\\.png)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal((int)demo.Result.Metrics["timeline_windows"], thumbnails.Count);
        Assert.All(thumbnails, t => Assert.True(new FileInfo(Path.Combine(demo.Options.OutputDirectory, t)).Length > 100, t));
        foreach (var line in demo.Log) output.WriteLine(line);
        foreach (var attribute in Attributes)
            output.WriteLine($"demo's long video, {attribute}: {demo.Result.Metrics[$"timeline_accuracy_{attribute}"]:P0} of windows, {demo.SingleClipAccuracy(attribute):P0} of single clips");
    }

    private (VideoIndex Index, List<(string? Color, string? Shape, string? Motion)> Truth) IndexTestClips()
    {
        var rows = DatasetLoaders.Jsonl(Path.Combine(demo.DataDirectory, "test.jsonl")).ToList();
        var parts = TrainedCaptioner.From(demo.Model);
        var store = new VideoIndexStore(Path.Combine(demo.Options.OutputDirectory, "index"), create: true);
        var report = new VideoIndexer(store, "demo", parts.Featurizer.Featurize, parts.Generator, parts.Sampling).Run(rows.Select(r => r.VideoPath));
        Assert.Empty(report.Failures);
        var index = VideoIndex.Open(store.Directory);
        var byPath = rows.ToDictionary(r => Path.GetFullPath(r.VideoPath), r => SyntheticWorld.ParseAttributes(r.Captions[0]));
        return (index, index.Entries.Select(e => byPath[e.Source]).ToList());
    }

    [Fact]
    public void LikeReturnsClipsThatShareTheQueryAttributesFirst()
    {
        var (index, truth) = IndexTestClips();
        int n = index.Entries.Count;
        foreach (var attribute in Attributes)
        {
            double precision = 0, chance = 0;
            for (int q = 0; q < n; q++)
            {
                var hits = index.SearchLike(index.Embedding(q), 6).Where(h => h.Entry != index.Entries[q]).Take(5).ToList();
                string? wanted = Attribute(truth[q], attribute);
                precision += hits.Count(h => Attribute(truth[index.Entries.ToList().IndexOf(h.Entry)], attribute) == wanted) / 5.0;
                chance += Enumerable.Range(0, n).Count(i => i != q && Attribute(truth[i], attribute) == wanted) / (double)(n - 1);
            }
            (precision, chance) = (precision / n, chance / n);
            output.WriteLine($"--like precision@5, same {attribute}: {precision:F3} (a random ranking: {chance:F3}; single-clip caption accuracy {demo.SingleClipAccuracy(attribute):P0})");
            // what the model tells apart in its captions, its embeddings group together: clips sharing the attribute come first
            if (demo.SingleClipAccuracy(attribute) >= 0.9 && attribute != "all")
                Assert.True(precision >= 2 * chance, $"{attribute}: precision@5 {precision:F3} is not clearly above chance {chance:F3}");
        }
    }

    [Fact]
    public void TextWithAClipsTrueCaptionRanksThatClipsCombinationInTheTopFive()
    {
        var (index, truth) = IndexTestClips();
        var generator = TrainedCaptioner.From(demo.Model).Generator;
        var combinations = truth.Distinct().ToList();
        int found = 0;
        foreach (var combination in combinations)
        {
            string text = SyntheticWorld.Captions(combination.Color!, combination.Shape!, combination.Motion!)[0];
            var hits = index.SearchText(generator, text, 5, rerank: 0);
            if (hits.Any(h => truth[index.Entries.ToList().IndexOf(h.Entry)] == combination)) found++;
        }
        double share = found / (double)combinations.Count, single = demo.SingleClipAccuracy("all");
        output.WriteLine($"--text: the true caption ranks its combination in the top 5 for {found} of {combinations.Count} combinations ({share:P0}); single-clip accuracy (all attributes) {single:P0}");
        Assert.True(share >= single - Slack(single, combinations.Count), $"{share:P0} of combinations found against {single:P0} single-clip accuracy");
    }
}
