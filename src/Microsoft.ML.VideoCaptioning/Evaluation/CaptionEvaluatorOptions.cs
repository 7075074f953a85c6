namespace Microsoft.ML.VideoCaptioning.Evaluation;

/// <summary>Options of a <see cref="CaptionEvaluator"/>.</summary>
public sealed class CaptionEvaluatorOptions
{
    /// <summary>The metrics to compute. Default: all.</summary>
    public CaptionMetricKinds Metrics { get; init; } = CaptionMetricKinds.All;

    /// <summary>Folder with the Meteor 1.5 English data (<c>english.words</c>, <c>english.synsets</c>,
    /// <c>english.exceptions</c>, <c>english.prefixes</c>). Default: <see cref="CaptionEvaluator.DefaultMeteorDataDirectory"/>.</summary>
    public string? MeteorDataDirectory { get; init; }

    /// <summary>Optional Meteor paraphrase table (<c>paraphrase-en.gz</c>). Without it METEOR uses exact, stem and synonym
    /// matches only, which equals coco-caption's METEOR whenever no paraphrase match exists.</summary>
    public string? MeteorParaphraseFile { get; init; }

    /// <summary>Run coco-caption's PTB tokenization first (default true). False passes the raw strings to the scorers,
    /// as nlg-eval does.</summary>
    public bool Tokenize { get; init; } = true;

    /// <summary>Upper bound on threads used per evaluation; null uses all processors. Results do not depend on it.</summary>
    public int? MaxDegreeOfParallelism { get; init; }
}
