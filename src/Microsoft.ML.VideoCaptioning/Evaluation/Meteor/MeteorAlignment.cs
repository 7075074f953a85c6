namespace Microsoft.ML.VideoCaptioning.Evaluation.Meteor;

/// <summary>Per-module match counts of the best alignment, split into content and function words.</summary>
internal sealed class MeteorAlignment
{
    public required int[] ContentMatches1 { get; init; }
    public required int[] ContentMatches2 { get; init; }
    public required int[] FunctionMatches1 { get; init; }
    public required int[] FunctionMatches2 { get; init; }
    public required int Chunks { get; init; }
}
