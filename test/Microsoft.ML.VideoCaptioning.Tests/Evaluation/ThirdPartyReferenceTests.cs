using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Microsoft.ML.VideoCaptioning.Evaluation;
using Xunit;

namespace Microsoft.ML.VideoCaptioning.Tests.Evaluation;

/// <summary>
/// Values published by nlg-eval and aac-metrics (thirdparty_reference_values.json). nlg-eval ran the real Meteor jar with
/// its paraphrase table; the only published value that depends on a paraphrase match is nlgeval_examples_corpus METEOR
/// (corpus 0.295797 and item "1" 0.39012536521249613), which is checked with a one-entry paraphrase table below.
/// </summary>
public class ThirdPartyReferenceTests
{
    private static readonly JsonElement Cases = JsonDocument.Parse(
        File.ReadAllText(Path.Combine(TestPaths.Data, "metrics", "thirdparty_reference_values.json"))).RootElement.GetProperty("cases");

    private static JsonElement Case(string name) => Cases.EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    private static CaptionMetrics Evaluate(JsonElement c, string? paraphraseFile = null)
    {
        var gts = c.GetProperty("gts").EnumerateObject().ToDictionary(
            p => p.Name, p => (IReadOnlyList<string>)p.Value.EnumerateArray().Select(e => e.GetString()!).ToList());
        var res = c.GetProperty("res").EnumerateObject().ToDictionary(p => p.Name, p => p.Value[0].GetString()!);
        var evaluator = new CaptionEvaluator(new CaptionEvaluatorOptions
        {
            Tokenize = c.GetProperty("ptb_tokenized").GetBoolean(),
            MeteorDataDirectory = Path.Combine(TestPaths.Assets, "meteor-1.5"),
            MeteorParaphraseFile = paraphraseFile,
        });
        return evaluator.Evaluate(gts, res);
    }

    private static void AssertReproduced(double expected, double actual, string what)
    {
        if (expected == 0) Assert.True(actual == 0, $"{what}: expected 0, got {actual:R}");
        else PublicCaptionSetTests.AssertClose(expected, actual, what);
    }

    // Published numbers are rounded or truncated; the check allows one unit in the last published digit.
    private static void AssertPublished(double published, double actual, string what)
    {
        string text = published.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        int exponent = 0;
        int e = text.IndexOfAny(['e', 'E']);
        if (e >= 0)
        {
            exponent = int.Parse(text[(e + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            text = text[..e];
        }
        int dot = text.IndexOf('.');
        int decimals = dot < 0 ? 0 : text.Length - dot - 1;
        double unit = Math.Pow(10, exponent - decimals);
        Assert.True(Math.Abs(published - actual) <= unit * 1.000001, $"{what}: published {published:R}, got {actual:R}");
    }

    public static TheoryData<string> CaseNames() =>
        ["nlgeval_individual_1", "nlgeval_examples_corpus", "nlgeval_individual_french", "nlgeval_individual_japanese", "aacmetrics_readme"];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void ReproducesReferencePipelineExactly(string name)
    {
        var c = Case(name);
        var result = Evaluate(c);
        var reproduced = c.GetProperty("reproduced_here");
        foreach (var (ours, theirs) in PublicCaptionSetTests.MetricNames)
        {
            AssertReproduced(reproduced.GetProperty("corpus").GetProperty(theirs).GetDouble(), result.ToDictionary()[ours], $"{name} corpus {ours}");
            foreach (var item in reproduced.GetProperty("per_item").EnumerateObject())
                AssertReproduced(item.Value.GetProperty(theirs).GetDouble(), result.PerItem[item.Name].ToDictionary()[ours], $"{name} item {item.Name} {ours}");
        }
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void MatchesPublishedValues(string name)
    {
        var c = Case(name);
        var result = Evaluate(c);
        var published = c.GetProperty("published");
        foreach (var p in published.EnumerateObject())
        {
            if (p.Name == "tolerance") continue;
            if (name == "nlgeval_examples_corpus" && p.Name.StartsWith("METEOR", StringComparison.Ordinal)) continue; // needs the paraphrase table
            if (p.Value.ValueKind == JsonValueKind.Object)
            {
                string metric = p.Name[..p.Name.IndexOf("_per_item", StringComparison.Ordinal)];
                foreach (var item in p.Value.EnumerateObject())
                    AssertPublished(item.Value.GetDouble(), result.PerItem[item.Name].ToDictionary()[metric], $"{name} item {item.Name} {metric}");
            }
            else
            {
                AssertPublished(p.Value.GetDouble(), result.ToDictionary()[p.Name], $"{name} {p.Name}");
            }
        }
    }

    [Fact]
    public void ParaphraseTableReproducesNlgEvalMeteor()
    {
        // The paraphrase match nlg-eval's run used for item "1": "has been" (candidate) <-> "was" (reference).
        string dir = Directory.CreateTempSubdirectory("meteor-paraphrase-").FullName;
        try
        {
            string file = Path.Combine(dir, "paraphrase-en.gz");
            using (var gzip = new GZipStream(File.Create(file), CompressionLevel.Fastest))
            using (var writer = new StreamWriter(gzip, new UTF8Encoding(false)))
            {
                writer.Write("0.5\nwas\nhas been\n0.5\nhas been\nwas\n");
            }
            var c = Case("nlgeval_examples_corpus");
            var result = Evaluate(c, file);
            var published = c.GetProperty("published");
            AssertPublished(published.GetProperty("METEOR").GetDouble(), result.Meteor!.Value, "corpus METEOR");
            foreach (var item in published.GetProperty("METEOR_per_item").EnumerateObject())
                PublicCaptionSetTests.AssertClose(item.Value.GetDouble(), result.PerItem[item.Name].Meteor!.Value, $"item {item.Name} METEOR");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
