using Microsoft.ML.VideoCaptioning.Evaluation.Coco;
using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Evaluation;
using Microsoft.ML.VideoCaptioning.Training;

namespace Microsoft.ML.VideoCaptioning.Tests.Training;

/// <summary>
/// Self-critical rewards against <see cref="CaptionEvaluator"/> on the public caption set (real references with
/// punctuation, several per item), taken as the training set: document frequencies come from all training references,
/// so a reward equals the evaluator's per-item score when the evaluator sees the whole training set, whatever the batch.
/// </summary>
public class ScstRewardTests
{
    private static readonly (IReadOnlyDictionary<string, IReadOnlyList<string>> Refs, IReadOnlyDictionary<string, string> Cands) Public =
        CaptionDataLoader.Load(Path.Combine(TestPaths.Data, "metrics", "public_captions_gts.json"),
            Path.Combine(TestPaths.Data, "metrics", "public_captions_res.json"));

    private static readonly string[] Ids = Public.Cands.Keys.ToArray();

    private static List<CaptionExample> Train() =>
        Ids.Select(id => new CaptionExample(id, Public.Refs[id], () => throw new InvalidOperationException("no features needed"))).ToList();

    private static CaptionMetrics Evaluate(CaptionMetricKinds kinds, IEnumerable<string> ids) =>
        new CaptionEvaluator(new CaptionEvaluatorOptions { Metrics = kinds }).Evaluate(
            ids.ToDictionary(id => id, id => Public.Refs[id]), ids.ToDictionary(id => id, id => Public.Cands[id]));

    [Fact]
    public void CiderDRewardsEqualTheEvaluatorsPerItemScoresWithTrainingDocumentFrequencies()
    {
        var expected = Evaluate(CaptionMetricKinds.CIDEr, Ids);
        var scorer = new ScstRewardScorer(Train(), ScstReward.CiderD, 0.5);
        // a batch of a few clips, one twice, in scrambled order: document frequencies stay those of the whole set
        int[] batch = [7, 2, 2, Ids.Length - 1, 0];
        var rewards = scorer.Score(batch, batch.Select(i => Public.Cands[Ids[i]]).ToArray());
        for (int j = 0; j < batch.Length; j++) Assert.Equal(expected.PerItem[Ids[batch[j]]].CIDEr!.Value, rewards[j], 12);
        Assert.Contains(rewards, r => r > 0.5);

        // the batch alone would give other values (its own document frequencies): the corpus matters
        var alone = Evaluate(CaptionMetricKinds.CIDEr, batch.Distinct().Select(i => Ids[i]));
        Assert.NotEqual(alone.PerItem[Ids[7]].CIDEr!.Value, rewards[0], 6);
    }

    [Fact]
    public void CiderDScorerScoresUnseenWordsAndEveryItemLikeTheEvaluator()
    {
        var expected = Evaluate(CaptionMetricKinds.CIDEr, Ids);
        var scorer = new CiderDScorer(Ids.Select(id => Public.Refs[id]).ToList());
        Assert.Equal(Ids.Length, scorer.CorpusSize);
        var all = scorer.Score(Ids.Select(id => Public.Cands[id]).ToList(), Ids.Select(id => Public.Refs[id]).ToList());
        for (int i = 0; i < Ids.Length; i++) Assert.Equal(expected.PerItem[Ids[i]].CIDEr!.Value, all[i], 12);
        // words outside the corpus count as document frequency 0 and match only themselves
        const string Novel = "zyzzyva quokka axolotl narwhal";
        var unseen = scorer.Score([Novel, Novel], [[Novel], ["a man"]]);
        Assert.Equal(10.0, unseen[0], 9);   // caption = reference with n-grams of every order: cosine 1 for n = 1..4, ×10
        Assert.Equal(0.0, unseen[1]);
    }

    [Fact]
    public void Bleu4AndMixedRewardsUseTheEvaluatorsPerItemBleu()
    {
        var expected = Evaluate(CaptionMetricKinds.CIDEr | CaptionMetricKinds.Bleu, Ids);
        int[] batch = [3, 5, 11];
        var cands = batch.Select(i => Public.Cands[Ids[i]]).ToArray();
        var bleu = new ScstRewardScorer(Train(), ScstReward.Bleu4, 0.5).Score(batch, cands);
        var mixed = new ScstRewardScorer(Train(), ScstReward.Mixed, 0.25).Score(batch, cands);
        for (int j = 0; j < batch.Length; j++)
        {
            var item = expected.PerItem[Ids[batch[j]]];
            Assert.Equal(item.Bleu4!.Value, bleu[j], 12);
            Assert.Equal(0.75 * item.CIDEr!.Value + 0.25 * item.Bleu4!.Value, mixed[j], 12);
        }
    }
}
