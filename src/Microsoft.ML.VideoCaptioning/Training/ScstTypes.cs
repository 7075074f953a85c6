namespace Microsoft.ML.VideoCaptioning.Training;

/// <summary>The reward of self-critical sequence training.</summary>
public enum ScstReward
{
    /// <summary>CIDEr-D with document frequencies from the training references (Rennie et al. 2017).</summary>
    CiderD,
    /// <summary>Sentence BLEU-4 (coco-caption's per-item value).</summary>
    Bleu4,
    /// <summary>(1 − w) · CIDEr-D + w · BLEU-4 with w = <see cref="QFormerTrainerOptions.ScstBleuWeight"/>.</summary>
    Mixed,
}

/// <summary>What a sample's reward is compared with in self-critical sequence training.</summary>
public enum ScstBaseline
{
    /// <summary>The reward of the greedy caption of the same clip (the original SCST).</summary>
    Greedy,
    /// <summary>The mean reward of the clip's other K − 1 samples (no greedy decoding).</summary>
    MeanOfOtherSamples,
}

/// <summary>Self-critical statistics of a step or an epoch: mean sample reward, mean baseline, share of samples above it.</summary>
public sealed record ScstStatistics(double Reward, double Baseline, double BeatBaseline);
