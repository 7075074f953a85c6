using Microsoft.ML.VideoCaptioning.Evaluation.Ptb;
using Microsoft.ML.VideoCaptioning.Evaluation.Coco;
using Microsoft.ML.VideoCaptioning.Evaluation;

namespace Microsoft.ML.VideoCaptioning.Training;

/// <summary>
/// Rewards of sampled captions of training clips with coco-caption's scorers: PTB tokenization, then CIDEr-D with the
/// document frequencies of all training references (counted once, here), sentence BLEU-4, or their mix.
/// </summary>
internal sealed class ScstRewardScorer
{
    private readonly IReadOnlyList<string>[] _references;
    private readonly CiderDScorer _cider;
    private readonly ScstReward _kind;
    private readonly double _bleuWeight;

    public ScstRewardScorer(IReadOnlyList<CaptionExample> train, ScstReward kind, double bleuWeight)
    {
        var flat = PtbTokenizer.Tokenize(train.SelectMany(e => e.Captions).ToArray());
        _references = new IReadOnlyList<string>[train.Count];
        for (int i = 0, at = 0; i < train.Count; at += train[i].Captions.Count, i++) _references[i] = flat.AsSpan(at, train[i].Captions.Count).ToArray();
        _cider = new CiderDScorer(_references, tokenize: false);
        _kind = kind;
        _bleuWeight = bleuWeight;
    }

    /// <summary>The reward of each candidate caption against the references of training clip <paramref name="clips"/>[i].</summary>
    public double[] Score(IReadOnlyList<int> clips, IReadOnlyList<string> candidates)
    {
        var cands = PtbTokenizer.Tokenize(candidates);
        var refs = clips.Select(c => _references[c]).ToArray();
        double[]? cider = _kind == ScstReward.Bleu4 ? null : _cider.Score(cands, refs);
        double[]? bleu = _kind == ScstReward.CiderD ? null : Bleu4(cands, refs);
        return _kind switch
        {
            ScstReward.CiderD => cider!,
            ScstReward.Bleu4 => bleu!,
            _ => cider!.Zip(bleu!, (c, b) => (1 - _bleuWeight) * c + _bleuWeight * b).ToArray(),
        };
    }

    private static double[] Bleu4(string[] candidates, IReadOnlyList<string>[] references)
    {
        var vocabulary = new Vocabulary();
        var candidateIds = candidates.Select(c => vocabulary.ToIds(LegacyText.PythonSplit(c))).ToArray();
        var referenceIds = references.Select(r => r.Select(x => vocabulary.ToIds(LegacyText.PythonSplit(x))).ToArray()).ToArray();
        var (_, perItem, _) = Bleu.Score(candidateIds, referenceIds, new ParallelOptions { MaxDegreeOfParallelism = 1 });
        return perItem.Select(p => p[3]).ToArray();
    }
}
