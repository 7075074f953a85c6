using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Models.QFormer;

namespace Microsoft.ML.VideoCaptioning.Training;

/// <summary>
/// One training or validation example: an id, one or more reference captions (paraphrases; training draws one per epoch)
/// and a loader of its visual features (N, visual_dim), e.g. from the feature cache. The loader is called once per use,
/// so features never need to be held in memory all at once.
/// </summary>
public sealed record CaptionExample(string Id, IReadOnlyList<string> Captions, Func<Tensor> LoadFeatures);

/// <summary>What the trainer reports while it runs.</summary>
public sealed record TrainingProgress(
    string Phase, int Epoch, int Epochs, long Step, long TotalSteps, double? Loss, double SamplesPerSecond, TimeSpan? Eta,
    IReadOnlyDictionary<string, double>? Metrics = null, ScstStatistics? Scst = null);

/// <summary>One epoch's summary; <paramref name="Scst"/> is set for self-critical epochs (whose TrainLoss is the SCST loss).</summary>
public sealed record EpochSummary(int Epoch, double TrainLoss, double? ValidationLoss, IReadOnlyDictionary<string, double>? Metrics, bool IsBest,
    ScstStatistics? Scst = null);

/// <summary>The outcome of <see cref="QFormerTrainingLoop.Train"/>.</summary>
public sealed record TrainingResult(QFormerModel QFormer, IReadOnlyList<EpochSummary> Epochs, int BestEpoch, bool StoppedEarly, bool Cancelled);
