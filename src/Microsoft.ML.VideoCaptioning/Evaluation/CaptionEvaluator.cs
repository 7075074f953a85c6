using Microsoft.ML.VideoCaptioning.Evaluation.Coco;
using Microsoft.ML.VideoCaptioning.Evaluation.Meteor;
using Microsoft.ML.VideoCaptioning.Evaluation.Ptb;

namespace Microsoft.ML.VideoCaptioning.Evaluation;

/// <summary>
/// Caption metrics that reproduce coco-caption (pycocoevalcap) numbers: PTB tokenization, BLEU-1..4, METEOR 1.5,
/// ROUGE-L and CIDEr-D. Thread-safe; the Meteor data is loaded once, on first use.
/// </summary>
public sealed class CaptionEvaluator
{
    private readonly CaptionEvaluatorOptions _options;
    private readonly Lazy<MeteorScorer> _meteor;

    /// <summary>The Meteor data shipped with the library: <c>assets/meteor-1.5</c> next to the application.</summary>
    public static string DefaultMeteorDataDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "assets", "meteor-1.5");

    /// <summary>Creates an evaluator. Nothing is loaded until the first evaluation that needs METEOR.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="CaptionEvaluatorOptions.MaxDegreeOfParallelism"/> is below 1.</exception>
    public CaptionEvaluator(CaptionEvaluatorOptions? options = null)
    {
        _options = options ?? new CaptionEvaluatorOptions();
        if (_options.MaxDegreeOfParallelism is < 1)
            throw new ArgumentOutOfRangeException(nameof(options), _options.MaxDegreeOfParallelism, "MaxDegreeOfParallelism must be at least 1.");
        _meteor = new Lazy<MeteorScorer>(() => new MeteorScorer(
                MeteorResources.Get(_options.MeteorDataDirectory ?? DefaultMeteorDataDirectory),
                _options.MeteorParaphraseFile is { } file ? MeteorParaphraseTable.Load(file) : null),
            LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>
    /// Scores candidates against references. Both dictionaries must have the same ids; every id needs at least one
    /// reference. Items are processed in the candidates' enumeration order, which is also the order coco-caption would
    /// see them in (it matters only for floating-point summation and for PTB look-ahead across lines).
    /// </summary>
    /// <exception cref="ArgumentException">The id sets differ or an item has no references.</exception>
    /// <exception cref="FileNotFoundException">METEOR is requested and a Meteor data file or the paraphrase table is missing.</exception>
    public CaptionMetrics Evaluate(IReadOnlyDictionary<string, IReadOnlyList<string>> references, IReadOnlyDictionary<string, string> candidates)
    {
        ArgumentNullException.ThrowIfNull(references);
        ArgumentNullException.ThrowIfNull(candidates);
        var ids = candidates.Keys.ToArray();
        Validate(references, candidates, ids);

        var rawCandidates = ids.Select(id => candidates[id]).ToArray();
        var rawReferences = ids.Select(id => references[id]).ToArray();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.MaxDegreeOfParallelism ?? -1 };
        string[] cands;
        IReadOnlyList<string>[] refs;
        if (_options.Tokenize)
        {
            cands = PtbTokenizer.Tokenize(rawCandidates, parallel);
            var flat = PtbTokenizer.Tokenize(rawReferences.SelectMany(r => r).ToArray(), parallel);
            refs = new IReadOnlyList<string>[ids.Length];
            int at = 0;
            for (int i = 0; i < ids.Length; i++)
            {
                refs[i] = flat.AsSpan(at, rawReferences[i].Count).ToArray();
                at += rawReferences[i].Count;
            }
        }
        else
        {
            cands = rawCandidates;
            refs = rawReferences;
        }

        var metrics = _options.Metrics;

        double[]? bleu = null;
        double[][]? bleuItems = null;
        BleuStatistics? bleuStats = null;
        double? cider = null;
        double[]? ciderItems = null;
        if ((metrics & (CaptionMetricKinds.Bleu | CaptionMetricKinds.CIDEr)) != 0)
        {
            var vocabulary = new Vocabulary();
            var candidateIds = cands.Select(c => vocabulary.ToIds(LegacyText.PythonSplit(c))).ToArray();
            var referenceIds = refs.Select(r => r.Select(x => vocabulary.ToIds(LegacyText.PythonSplit(x))).ToArray()).ToArray();
            if ((metrics & CaptionMetricKinds.Bleu) != 0) (bleu, bleuItems, bleuStats) = Bleu.Score(candidateIds, referenceIds, parallel);
            if ((metrics & CaptionMetricKinds.CIDEr) != 0) (cider, ciderItems) = CiderD.Score(candidateIds, referenceIds, parallel);
        }

        MeteorStatistics? meteorTotal = null;
        MeteorStatistics[]? meteorStats = null;
        if ((metrics & CaptionMetricKinds.Meteor) != 0) (meteorTotal, meteorStats) = _meteor.Value.Score(cands, refs, parallel);

        double? rouge = null;
        double[]? rougeItems = null;
        if ((metrics & CaptionMetricKinds.RougeL) != 0) (rouge, rougeItems) = RougeL.Score(cands, refs, parallel);

        var perItem = new Dictionary<string, CaptionItemScores>(ids.Length, StringComparer.Ordinal);
        for (int i = 0; i < ids.Length; i++)
        {
            perItem[ids[i]] = new CaptionItemScores
            {
                Bleu1 = bleuItems?[i][0], Bleu2 = bleuItems?[i][1], Bleu3 = bleuItems?[i][2], Bleu4 = bleuItems?[i][3],
                Meteor = meteorStats?[i].Score, RougeL = rougeItems?[i], CIDEr = ciderItems?[i], MeteorStatistics = meteorStats?[i],
            };
        }

        return new CaptionMetrics
        {
            Bleu1 = bleu?[0], Bleu2 = bleu?[1], Bleu3 = bleu?[2], Bleu4 = bleu?[3],
            Meteor = meteorTotal?.Score, RougeL = rouge, CIDEr = cider,
            BleuStatistics = bleuStats,
            MeteorStatistics = meteorTotal,
            Ids = ids,
            PerItem = perItem,
        };
    }

    private static void Validate(IReadOnlyDictionary<string, IReadOnlyList<string>> references, IReadOnlyDictionary<string, string> candidates, string[] ids)
    {
        if (ids.Length == 0) throw new ArgumentException("There are no candidates to evaluate.", nameof(candidates));
        var missing = ids.Where(id => !references.ContainsKey(id)).ToArray();
        if (missing.Length > 0)
            throw new ArgumentException($"{missing.Length} candidate id(s) have no references: {CaptionDataLoader.FewIds(missing)}.", nameof(references));
        var extra = references.Keys.Where(id => !candidates.ContainsKey(id)).ToArray();
        if (extra.Length > 0)
            throw new ArgumentException($"{extra.Length} reference id(s) have no candidate: {CaptionDataLoader.FewIds(extra)}.", nameof(candidates));
        var empty = ids.Where(id => references[id] is not { Count: > 0 }).ToArray();
        if (empty.Length > 0)
            throw new ArgumentException($"{empty.Length} item(s) have no references: {CaptionDataLoader.FewIds(empty)}.", nameof(references));
        foreach (string id in ids)
        {
            if (candidates[id] is null) throw new ArgumentException($"The candidate of item '{id}' is null.", nameof(candidates));
            if (references[id].Any(r => r is null)) throw new ArgumentException($"A reference of item '{id}' is null.", nameof(references));
        }
    }
}
