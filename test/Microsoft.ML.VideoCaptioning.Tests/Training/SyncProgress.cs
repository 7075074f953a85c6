using Microsoft.ML.VideoCaptioning.Training;

namespace Microsoft.ML.VideoCaptioning.Tests.Training;

/// <summary>IProgress that reports on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
internal sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value) => report(value);
}
