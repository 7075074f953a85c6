using Microsoft.ML.VideoCaptioning.Evaluation;
using Xunit;

namespace Microsoft.ML.VideoCaptioning.Tests.Evaluation;

public class CaptionEvaluatorTests
{
    private static readonly string MeteorData = Path.Combine(TestPaths.Assets, "meteor-1.5");

    private static readonly (IReadOnlyDictionary<string, IReadOnlyList<string>> Refs, IReadOnlyDictionary<string, string> Cands) Public =
        CaptionDataLoader.Load(Path.Combine(TestPaths.Data, "metrics", "public_captions_gts.json"),
            Path.Combine(TestPaths.Data, "metrics", "public_captions_res.json"));

    [Fact]
    public void OnlyRequestedMetricsAreComputed()
    {
        var result = new CaptionEvaluator(new CaptionEvaluatorOptions { Metrics = CaptionMetricKinds.Bleu | CaptionMetricKinds.CIDEr })
            .Evaluate(Public.Refs, Public.Cands);
        Assert.Equal(["Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "CIDEr"], result.ToDictionary().Keys);
        Assert.Null(result.Meteor);
        Assert.Null(result.RougeL);
        Assert.Null(result.MeteorStatistics);
        Assert.All(result.PerItem.Values, s => Assert.Null(s.Meteor));
    }

    [Fact]
    public void DefaultsFindTheShippedMeteorDataAndUseCocoNamesInOrder()
    {
        Assert.True(File.Exists(Path.Combine(CaptionEvaluator.DefaultMeteorDataDirectory, "english.synsets")));
        var result = new CaptionEvaluator().Evaluate(Public.Refs, Public.Cands);
        Assert.Equal(["Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "METEOR", "ROUGE_L", "CIDEr"], result.ToDictionary().Keys);
        Assert.Equal(result.Ids.Count, result.PerItem.Count);
    }

    [Fact]
    public void ResultsDoNotDependOnParallelismOrConcurrentUse()
    {
        var sequential = new CaptionEvaluator(new CaptionEvaluatorOptions { MeteorDataDirectory = MeteorData, MaxDegreeOfParallelism = 1 })
            .Evaluate(Public.Refs, Public.Cands);
        var shared = new CaptionEvaluator(new CaptionEvaluatorOptions { MeteorDataDirectory = MeteorData });
        var concurrent = Enumerable.Range(0, 4).AsParallel().Select(_ => shared.Evaluate(Public.Refs, Public.Cands)).ToArray();
        foreach (var r in concurrent)
        {
            Assert.Equal(sequential.ToDictionary(), r.ToDictionary());
            foreach (string id in sequential.Ids) Assert.Equal(sequential.PerItem[id].ToDictionary(), r.PerItem[id].ToDictionary());
        }
    }

    [Fact]
    public void CiderDependsOnTheWholeSet()
    {
        var evaluator = new CaptionEvaluator(new CaptionEvaluatorOptions { Metrics = CaptionMetricKinds.CIDEr });
        string id = Public.Cands.Keys.First();
        var alone = evaluator.Evaluate(new Dictionary<string, IReadOnlyList<string>> { [id] = Public.Refs[id] },
            new Dictionary<string, string> { [id] = Public.Cands[id] });
        Assert.Equal(0.0, alone.CIDEr); // log(1) - log(df) = 0 for every n-gram of a one-item set
        var all = evaluator.Evaluate(Public.Refs, Public.Cands);
        Assert.True(all.PerItem[id].CIDEr > 0);
    }

    [Fact]
    public void MismatchedIdsAreRejected()
    {
        var evaluator = new CaptionEvaluator(new CaptionEvaluatorOptions { Metrics = CaptionMetricKinds.Bleu });
        var refs = new Dictionary<string, IReadOnlyList<string>> { ["a"] = ["x y"], ["b"] = ["x"] };
        var e = Assert.Throws<ArgumentException>(() => evaluator.Evaluate(refs, new Dictionary<string, string> { ["a"] = "x", ["c"] = "y" }));
        Assert.Contains("'c'", e.Message);
        e = Assert.Throws<ArgumentException>(() => evaluator.Evaluate(refs, new Dictionary<string, string> { ["a"] = "x" }));
        Assert.Contains("'b'", e.Message);
        e = Assert.Throws<ArgumentException>(() => evaluator.Evaluate(
            new Dictionary<string, IReadOnlyList<string>> { ["a"] = [] }, new Dictionary<string, string> { ["a"] = "x" }));
        Assert.Contains("no references", e.Message);
    }

    [Fact]
    public void MissingMeteorDataIsReportedWhenMeteorIsUsed()
    {
        string missing = Path.Combine(Path.GetTempPath(), "no-such-meteor-dir-" + Guid.NewGuid().ToString("N"));
        var evaluator = new CaptionEvaluator(new CaptionEvaluatorOptions { MeteorDataDirectory = missing });
        var e = Assert.Throws<FileNotFoundException>(() => evaluator.Evaluate(Public.Refs, Public.Cands));
        Assert.Contains(missing, e.Message);
    }
}
