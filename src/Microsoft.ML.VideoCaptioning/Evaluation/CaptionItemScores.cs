namespace Microsoft.ML.VideoCaptioning.Evaluation;

/// <summary>Scores of one item; a metric that was not computed is null.</summary>
public sealed class CaptionItemScores
{
    /// <summary>BLEU-1 of this item alone.</summary>
    public double? Bleu1 { get; init; }

    /// <summary>BLEU-2 of this item alone.</summary>
    public double? Bleu2 { get; init; }

    /// <summary>BLEU-3 of this item alone.</summary>
    public double? Bleu3 { get; init; }

    /// <summary>BLEU-4 of this item alone.</summary>
    public double? Bleu4 { get; init; }

    /// <summary>METEOR against the best-scoring reference.</summary>
    public double? Meteor { get; init; }

    /// <summary>ROUGE-L.</summary>
    public double? RougeL { get; init; }

    /// <summary>CIDEr-D (document frequencies come from the references of the whole evaluated set).</summary>
    public double? CIDEr { get; init; }

    /// <summary>Meteor statistics of the best-scoring reference, when METEOR was computed.</summary>
    public MeteorStatistics? MeteorStatistics { get; init; }

    /// <summary>The computed scores under coco-caption's names (<c>Bleu_1</c>, …, <c>CIDEr</c>).</summary>
    public IReadOnlyDictionary<string, double> ToDictionary() =>
        CaptionMetrics.Named(Bleu1, Bleu2, Bleu3, Bleu4, Meteor, RougeL, CIDEr);
}
