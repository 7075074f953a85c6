using Microsoft.ML.VideoCaptioning.Evaluation;

namespace Microsoft.ML.VideoCaptioning;

/// <summary>
/// Corpus caption metrics of <see cref="VideoCaptioningCatalog.Evaluate"/>, with coco-caption's definitions (PTB
/// tokenization, METEOR 1.5, CIDEr-D). A metric left out by <see cref="CaptionEvaluatorOptions.Metrics"/> is NaN.
/// </summary>
public sealed class CaptioningMetrics
{
    internal CaptioningMetrics(CaptionMetrics m, int skipped)
    {
        Bleu1 = m.Bleu1 ?? double.NaN;
        Bleu2 = m.Bleu2 ?? double.NaN;
        Bleu3 = m.Bleu3 ?? double.NaN;
        Bleu4 = m.Bleu4 ?? double.NaN;
        Meteor = m.Meteor ?? double.NaN;
        RougeL = m.RougeL ?? double.NaN;
        Cider = m.CIDEr ?? double.NaN;
        Count = m.Ids.Count;
        SkippedCount = skipped;
        Details = m;
    }

    /// <summary>Corpus BLEU-1.</summary>
    public double Bleu1 { get; }
    /// <summary>Corpus BLEU-2.</summary>
    public double Bleu2 { get; }
    /// <summary>Corpus BLEU-3.</summary>
    public double Bleu3 { get; }
    /// <summary>Corpus BLEU-4.</summary>
    public double Bleu4 { get; }
    /// <summary>Corpus METEOR (of the summed statistics).</summary>
    public double Meteor { get; }
    /// <summary>ROUGE-L (mean over rows).</summary>
    public double RougeL { get; }
    /// <summary>CIDEr-D (mean over rows).</summary>
    public double Cider { get; }
    /// <summary>Rows scored.</summary>
    public int Count { get; }
    /// <summary>Rows left out because their caption is empty (their video failed).</summary>
    public int SkippedCount { get; }
    /// <summary>Per-row scores and the summed statistics.</summary>
    public CaptionMetrics Details { get; }

    /// <summary>The scores under coco-caption's names (Bleu_1 … CIDEr).</summary>
    public IReadOnlyDictionary<string, double> ToDictionary() => Details.ToDictionary();
}
