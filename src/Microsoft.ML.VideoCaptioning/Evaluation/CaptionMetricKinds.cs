namespace Microsoft.ML.VideoCaptioning.Evaluation;

/// <summary>The metrics a <see cref="CaptionEvaluator"/> computes.</summary>
[Flags]
public enum CaptionMetricKinds
{
    /// <summary>No metric.</summary>
    None = 0,

    /// <summary>BLEU-1..4 (coco-caption <c>Bleu_1</c>..<c>Bleu_4</c>).</summary>
    Bleu = 1,

    /// <summary>METEOR 1.5 (coco-caption <c>METEOR</c>); needs the Meteor data files.</summary>
    Meteor = 2,

    /// <summary>ROUGE-L (coco-caption <c>ROUGE_L</c>).</summary>
    RougeL = 4,

    /// <summary>CIDEr-D (coco-caption <c>CIDEr</c>).</summary>
    CIDEr = 8,

    /// <summary>All of the above.</summary>
    All = Bleu | Meteor | RougeL | CIDEr,
}
