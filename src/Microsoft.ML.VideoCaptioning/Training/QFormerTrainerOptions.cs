using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Models.QFormer;
using Microsoft.ML.VideoCaptioning.Models.Qwen2;

namespace Microsoft.ML.VideoCaptioning.Training;

/// <summary>Learning-rate shape over the optimizer steps.</summary>
public enum LearningRateSchedule
{
    /// <summary>Constant after the warm-up (the seed uses no schedule and no warm-up).</summary>
    Constant,
    /// <summary>Cosine decay from the peak to <see cref="QFormerTrainerOptions.MinLearningRateRatio"/> × peak after the warm-up.</summary>
    Cosine,
}

/// <summary>
/// Settings of <see cref="QFormerTrainingLoop"/>. Defaults are the seed project's recipe: AdamW lr 5e-5, weight decay
/// 0.03, batch 8 × accumulation 16, prompt "a video showing:", except that padding is masked out of the labels by default
/// (set <see cref="MaskPaddingInLabels"/> = false for the seed's behaviour).
/// </summary>
public record QFormerTrainerOptions
{
    /// <summary>Text between the visual prefix and the caption.</summary>
    public string Prompt { get; init; } = "a video showing:";
    /// <summary>Label −100 on caption padding (true), or train on it like the seed (false).</summary>
    public bool MaskPaddingInLabels { get; init; } = true;
    /// <summary>Captions are truncated to this many tokens (eos included).</summary>
    public int MaxCaptionTokens { get; init; } = 64;

    /// <summary>Q-Former shape; <c>Dim</c> and <c>VisualDim</c> are taken from the language model and the features.</summary>
    public QFormerConfig QFormer { get; init; } = new();

    public double LearningRate { get; init; } = 5e-5;
    public double WeightDecay { get; init; } = 0.03;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public double AdamEpsilon { get; init; } = 1e-8;
    /// <summary>Examples per forward/backward pass.</summary>
    public int BatchSize { get; init; } = 8;
    /// <summary>Passes per optimizer step (effective batch = BatchSize × this); the loss is divided by it.</summary>
    public int GradientAccumulationSteps { get; init; } = 16;
    public int Epochs { get; init; } = 100;
    /// <summary>Linear warm-up from 0 over this many optimizer steps.</summary>
    public int WarmupSteps { get; init; }
    public LearningRateSchedule Schedule { get; init; } = LearningRateSchedule.Constant;
    public double MinLearningRateRatio { get; init; }
    /// <summary>Clip the global gradient norm to this value (null = no clipping, as the seed).</summary>
    public double? MaxGradNorm { get; init; }
    /// <summary>
    /// Seeds initialisation, dropout, shuffling and paraphrase choice: a run is reproducible on the CPU. As in PyTorch, dropout
    /// draws from libtorch's process-wide generator, so other code drawing random numbers at the same time breaks that.
    /// </summary>
    public ulong Seed { get; init; }

    /// <summary>Decoding used for validation captions (and kept with the model for prediction).</summary>
    public GenerationOptions Generation { get; init; } = new() { MaxNewTokens = 30 };
    /// <summary>Metric that picks the best epoch: "loss" (lower is better) or a coco name (CIDEr, Bleu_4, METEOR, ROUGE_L).</summary>
    public string SelectionMetric { get; init; } = "CIDEr";
    /// <summary>Stop when the selection metric has not improved for this many epochs (null = never).</summary>
    public int? EarlyStoppingPatience { get; init; }
    /// <summary>Limit the validation captions generated per epoch (null = all validation examples).</summary>
    public int? MaxValidationCaptions { get; init; }

    /// <summary>
    /// Epochs of self-critical sequence training after the cross-entropy epochs (0 = off). They start from the best
    /// cross-entropy epoch (when <see cref="CheckpointDirectory"/> is set; else from the last), sample
    /// <see cref="ScstSamples"/> captions per clip at temperature 1 and minimise −mean (r − b) · mean token log-probability.
    /// Batching, accumulation, clipping, validation, best-epoch selection and checkpoints are those of the first phase.
    /// </summary>
    public int ScstEpochs { get; init; }
    /// <summary>Sampled captions per clip in self-critical training (K).</summary>
    public int ScstSamples { get; init; } = 5;
    /// <summary>Constant learning rate of the self-critical epochs.</summary>
    public double ScstLearningRate { get; init; } = 5e-6;
    /// <summary>The self-critical reward (CIDEr-D from the training references' document frequencies by default).</summary>
    public ScstReward ScstReward { get; init; } = ScstReward.CiderD;
    /// <summary>Weight w of BLEU-4 in <see cref="ScstReward.Mixed"/>: (1 − w) · CIDEr-D + w · BLEU-4.</summary>
    public double ScstBleuWeight { get; init; } = 0.5;
    /// <summary>The self-critical baseline: the greedy caption's reward, or the mean reward of the other samples.</summary>
    public ScstBaseline ScstBaseline { get; init; } = ScstBaseline.Greedy;

    /// <summary>Where checkpoints, the best model and the JSONL log go (null = keep nothing on disk).</summary>
    public string? CheckpointDirectory { get; init; }
    /// <summary>Also checkpoint every N optimizer steps (0 = only at the end of each epoch).</summary>
    public int CheckpointEverySteps { get; init; }
    /// <summary>Continue from <c>checkpoint.safetensors</c> in the checkpoint directory when it exists.</summary>
    public bool Resume { get; init; } = true;

    /// <summary>Device for the Q-Former and the language model ("auto" picks CUDA when present).</summary>
    public Device Device { get; init; } = Device.Cpu;
    /// <summary>Compute type of the frozen language model: null = bfloat16 on CUDA, float32 on the CPU.</summary>
    public DType? LanguageModelDType { get; init; }

    internal void Validate()
    {
        if (BatchSize < 1 || GradientAccumulationSteps < 1 || Epochs < 1) throw new ArgumentException("BatchSize, GradientAccumulationSteps and Epochs must be at least 1.");
        if (LearningRate <= 0 || WeightDecay < 0) throw new ArgumentException("LearningRate must be positive and WeightDecay non-negative.");
        if (MaxCaptionTokens < 2) throw new ArgumentException("MaxCaptionTokens must be at least 2.");
        if (MaxGradNorm is <= 0) throw new ArgumentException("MaxGradNorm must be positive.");
        if (ScstEpochs < 0 || ScstSamples < 1 || ScstLearningRate <= 0 || ScstBleuWeight is < 0 or > 1)
            throw new ArgumentException("ScstEpochs must be non-negative, ScstSamples at least 1, ScstLearningRate positive and ScstBleuWeight in [0, 1].");
        if (ScstBaseline == ScstBaseline.MeanOfOtherSamples && ScstSamples < 2 && ScstEpochs > 0)
            throw new ArgumentException("ScstBaseline MeanOfOtherSamples needs ScstSamples of at least 2.");
        if (EarlyStoppingPatience is < 1) throw new ArgumentException("EarlyStoppingPatience must be at least 1.");
        if (SelectionMetric is not ("loss" or "CIDEr" or "Bleu_1" or "Bleu_2" or "Bleu_3" or "Bleu_4" or "METEOR" or "ROUGE_L"))
            throw new ArgumentException($"SelectionMetric '{SelectionMetric}' is not one of loss, CIDEr, Bleu_1..Bleu_4, METEOR, ROUGE_L.");
    }
}
