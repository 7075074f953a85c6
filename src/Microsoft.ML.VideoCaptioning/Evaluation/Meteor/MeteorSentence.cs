namespace Microsoft.ML.VideoCaptioning.Evaluation.Meteor;

/// <summary>One side of a Meteor alignment: the words of a normalized, lowercased line and what the matchers need.</summary>
internal sealed class MeteorSentence
{
    public required string[] Words { get; init; }

    /// <summary>Java <c>String.hashCode</c> of each word: Meteor compares words (and stems) by hash.</summary>
    public required int[] Hashes { get; init; }

    public required int[] StemHashes { get; init; }

    public required int[][] Synsets { get; init; }

    public required bool[] IsFunctionWord { get; init; }

    /// <summary>Paraphrase-table ids of the words (-1 when unknown), or null without a table.</summary>
    public int[]? ParaphraseIds { get; init; }
}
