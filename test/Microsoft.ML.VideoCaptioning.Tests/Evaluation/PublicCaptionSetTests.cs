using System.Text.Json;
using Microsoft.ML.VideoCaptioning.Evaluation;
using Microsoft.ML.VideoCaptioning.Evaluation.Ptb;
using Xunit;

namespace Microsoft.ML.VideoCaptioning.Tests.Evaluation;

/// <summary>The 41-item public golden set (pycocoevalcap + Stanford PTBTokenizer 3.4.1 + Meteor 1.5, no paraphrase table).</summary>
public class PublicCaptionSetTests
{
    private static readonly string MetricsDir = Path.Combine(TestPaths.Data, "metrics");
    private static readonly Lazy<CaptionMetrics> Result = new(() =>
    {
        var (refs, cands) = CaptionDataLoader.Load(Path.Combine(MetricsDir, "public_captions_gts.json"), Path.Combine(MetricsDir, "public_captions_res.json"));
        return new CaptionEvaluator(new CaptionEvaluatorOptions { MeteorDataDirectory = Path.Combine(TestPaths.Assets, "meteor-1.5") })
            .Evaluate(refs, cands);
    });

    private static readonly JsonElement Expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(MetricsDir, "public_captions_expected.json"))).RootElement;

    internal static readonly (string Ours, string Theirs)[] MetricNames =
    [
        ("Bleu_1", "Bleu_1"), ("Bleu_2", "Bleu_2"), ("Bleu_3", "Bleu_3"), ("Bleu_4", "Bleu_4"),
        ("METEOR", "METEOR_no_paraphrase"), ("ROUGE_L", "ROUGE_L"), ("CIDEr", "CIDEr"),
    ];

    internal static void AssertClose(double expected, double actual, string what)
    {
        double tolerance = 1e-9 * Math.Max(Math.Abs(expected), 1e-300);
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"{what}: expected {expected:R}, got {actual:R}");
    }

    [Fact]
    public void TokenizationMatchesCocoCaption()
    {
        var gts = JsonSerializer.Deserialize<Dictionary<string, string[]>>(File.ReadAllText(Path.Combine(MetricsDir, "public_captions_gts.json")))!;
        var res = JsonSerializer.Deserialize<Dictionary<string, string[]>>(File.ReadAllText(Path.Combine(MetricsDir, "public_captions_res.json")))!;
        var expectedGts = Expected.GetProperty("gts_tokenized");
        var expectedRes = Expected.GetProperty("res_tokenized");
        var tokenizedGts = PtbTokenizer.Tokenize(gts.Values.SelectMany(v => v).ToArray());
        var tokenizedRes = PtbTokenizer.Tokenize(res.Values.Select(v => v[0]).ToArray());
        int at = 0, item = 0;
        foreach (var (id, refs) in gts)
        {
            var expected = expectedGts.GetProperty(id).EnumerateArray().Select(e => e.GetString()).ToArray();
            Assert.Equal(expected, tokenizedGts.Skip(at).Take(refs.Length).ToArray());
            at += refs.Length;
            Assert.Equal(expectedRes.GetProperty(id)[0].GetString(), tokenizedRes[item++]);
        }
    }

    [Fact]
    public void CorpusScoresMatch()
    {
        var ours = Result.Value.ToDictionary();
        var corpus = Expected.GetProperty("corpus");
        foreach (var (name, theirs) in MetricNames) AssertClose(corpus.GetProperty(theirs).GetDouble(), ours[name], name);
    }

    [Fact]
    public void PerItemScoresMatch()
    {
        var perItem = Expected.GetProperty("per_item");
        Assert.Equal(perItem.EnumerateObject().Select(p => p.Name), Result.Value.Ids);
        foreach (var item in perItem.EnumerateObject())
        {
            var ours = Result.Value.PerItem[item.Name].ToDictionary();
            foreach (var (name, theirs) in MetricNames) AssertClose(item.Value.GetProperty(theirs).GetDouble(), ours[name], $"{item.Name} {name}");
        }
    }

    [Fact]
    public void MeteorStatisticsMatch()
    {
        foreach (var item in Expected.GetProperty("meteor_stats_no_paraphrase").EnumerateObject())
            Assert.Equal(item.Value.GetString(), Result.Value.PerItem[item.Name].MeteorStatistics!.ToString());
    }

    [Fact]
    public void BleuStatisticsMatch()
    {
        var expected = Expected.GetProperty("bleu_corpus_stats");
        var ours = Result.Value.BleuStatistics!;
        Assert.Equal(expected.GetProperty("testlen").GetInt64(), ours.TestLength);
        Assert.Equal(expected.GetProperty("reflen").GetInt64(), ours.ReferenceLength);
        Assert.Equal(expected.GetProperty("guess").EnumerateArray().Select(e => e.GetInt64()), ours.Guess);
        Assert.Equal(expected.GetProperty("correct").EnumerateArray().Select(e => e.GetInt64()), ours.Correct);
    }
}
