namespace Microsoft.ML.VideoCaptioning.Evaluation;

/// <summary>Corpus and per-item caption metrics, with coco-caption's definitions.</summary>
public sealed class CaptionMetrics
{
    /// <summary>Corpus BLEU-1 (from summed statistics); null if not computed.</summary>
    public double? Bleu1 { get; init; }

    /// <summary>Corpus BLEU-2.</summary>
    public double? Bleu2 { get; init; }

    /// <summary>Corpus BLEU-3.</summary>
    public double? Bleu3 { get; init; }

    /// <summary>Corpus BLEU-4.</summary>
    public double? Bleu4 { get; init; }

    /// <summary>Corpus METEOR (score of the summed Meteor statistics, not the mean of item scores).</summary>
    public double? Meteor { get; init; }

    /// <summary>Corpus ROUGE-L (mean of the item scores).</summary>
    public double? RougeL { get; init; }

    /// <summary>Corpus CIDEr-D (mean of the item scores).</summary>
    public double? CIDEr { get; init; }

    /// <summary>Summed BLEU statistics, when BLEU was computed.</summary>
    public BleuStatistics? BleuStatistics { get; init; }

    /// <summary>Summed Meteor statistics, when METEOR was computed.</summary>
    public MeteorStatistics? MeteorStatistics { get; init; }

    /// <summary>Item ids in evaluation order.</summary>
    public required IReadOnlyList<string> Ids { get; init; }

    /// <summary>Scores of each item, by id.</summary>
    public required IReadOnlyDictionary<string, CaptionItemScores> PerItem { get; init; }

    /// <summary>The computed corpus scores under coco-caption's names: <c>Bleu_1</c>, <c>Bleu_2</c>, <c>Bleu_3</c>,
    /// <c>Bleu_4</c>, <c>METEOR</c>, <c>ROUGE_L</c>, <c>CIDEr</c> (in that order).</summary>
    public IReadOnlyDictionary<string, double> ToDictionary() => Named(Bleu1, Bleu2, Bleu3, Bleu4, Meteor, RougeL, CIDEr);

    internal static IReadOnlyDictionary<string, double> Named(double? b1, double? b2, double? b3, double? b4, double? meteor,
        double? rouge, double? cider)
    {
        var d = new Dictionary<string, double>();
        if (b1 is { } v1) d["Bleu_1"] = v1;
        if (b2 is { } v2) d["Bleu_2"] = v2;
        if (b3 is { } v3) d["Bleu_3"] = v3;
        if (b4 is { } v4) d["Bleu_4"] = v4;
        if (meteor is { } m) d["METEOR"] = m;
        if (rouge is { } r) d["ROUGE_L"] = r;
        if (cider is { } c) d["CIDEr"] = c;
        return d;
    }
}
