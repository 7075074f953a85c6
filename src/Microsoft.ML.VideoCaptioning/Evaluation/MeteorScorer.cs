using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Microsoft.ML.VideoCaptioning.Evaluation;

/// <summary>
/// Meteor sufficient statistics of one item (the best-scoring reference) or of a whole corpus (summed), in the order of
/// Meteor 1.5's 23-number statistics line. Module index 0..3 is exact, stem, synonym, paraphrase.
/// </summary>
public sealed class MeteorStatistics
{
    private const int Modules = MeteorAligner.ModuleCount;

    /// <summary>Words in the candidate (test) line after Meteor normalization.</summary>
    public double TestLength { get; private set; }

    /// <summary>Words in the reference line after Meteor normalization.</summary>
    public double ReferenceLength { get; private set; }

    /// <summary>Function words in the candidate line.</summary>
    public double TestFunctionWords { get; private set; }

    /// <summary>Function words in the reference line.</summary>
    public double ReferenceFunctionWords { get; private set; }

    /// <summary>Matched candidate content words per module.</summary>
    public double[] TestContentMatches { get; } = new double[Modules];

    /// <summary>Matched reference content words per module.</summary>
    public double[] ReferenceContentMatches { get; } = new double[Modules];

    /// <summary>Matched candidate function words per module.</summary>
    public double[] TestFunctionMatches { get; } = new double[Modules];

    /// <summary>Matched reference function words per module.</summary>
    public double[] ReferenceFunctionMatches { get; } = new double[Modules];

    /// <summary>Number of chunks (runs of adjacent matches in the same order on both sides).</summary>
    public double Chunks { get; private set; }

    /// <summary>Matched candidate words.</summary>
    public double TestWordMatches { get; private set; }

    /// <summary>Matched reference words.</summary>
    public double ReferenceWordMatches { get; private set; }

    /// <summary>The Meteor score of these statistics (alpha 0.85, beta 0.2, gamma 0.6, delta 0.75).</summary>
    public double Score { get; private set; }

    internal double TestTotalMatches { get; private set; }

    internal double ReferenceTotalMatches { get; private set; }

    internal static MeteorStatistics FromAlignment(MeteorSentence test, MeteorSentence reference, MeteorAlignment alignment)
    {
        var s = new MeteorStatistics
        {
            TestLength = test.Words.Length,
            ReferenceLength = reference.Words.Length,
            TestFunctionWords = test.IsFunctionWord.Count(f => f),
            ReferenceFunctionWords = reference.IsFunctionWord.Count(f => f),
            Chunks = alignment.Chunks,
        };
        for (int i = 0; i < Modules; i++)
        {
            s.TestContentMatches[i] = alignment.ContentMatches1[i];
            s.ReferenceContentMatches[i] = alignment.ContentMatches2[i];
            s.TestFunctionMatches[i] = alignment.FunctionMatches1[i];
            s.ReferenceFunctionMatches[i] = alignment.FunctionMatches2[i];
            s.TestWordMatches += alignment.ContentMatches1[i] + alignment.FunctionMatches1[i];
            s.ReferenceWordMatches += alignment.ContentMatches2[i] + alignment.FunctionMatches2[i];
        }
        s.ComputeTotalsAndScore();
        return s;
    }

    /// <summary>Sums item statistics as Meteor does; chunks of perfectly matched items are not added.</summary>
    internal static MeteorStatistics Sum(IEnumerable<MeteorStatistics> items)
    {
        var total = new MeteorStatistics();
        foreach (var s in items)
        {
            total.TestLength += s.TestLength;
            total.ReferenceLength += s.ReferenceLength;
            total.TestFunctionWords += s.TestFunctionWords;
            total.ReferenceFunctionWords += s.ReferenceFunctionWords;
            for (int i = 0; i < Modules; i++)
            {
                total.TestContentMatches[i] += s.TestContentMatches[i];
                total.ReferenceContentMatches[i] += s.ReferenceContentMatches[i];
                total.TestFunctionMatches[i] += s.TestFunctionMatches[i];
                total.ReferenceFunctionMatches[i] += s.ReferenceFunctionMatches[i];
            }
            if (!s.IsPerfect) total.Chunks += s.Chunks;
            total.TestWordMatches += s.TestWordMatches;
            total.ReferenceWordMatches += s.ReferenceWordMatches;
        }
        total.ComputeTotalsAndScore();
        return total;
    }

    private bool IsPerfect => TestTotalMatches == TestLength && ReferenceTotalMatches == ReferenceLength && Chunks == 1;

    private static readonly double[] ModuleWeights = [1.0, 0.6, 0.8, 0.6];
    private const double Alpha = 0.85, Beta = 0.2, Gamma = 0.6, Delta = 0.75;

    // MeteorScorer.computeMetrics, with Java's evaluation order.
    private void ComputeTotalsAndScore()
    {
        TestTotalMatches = 0;
        ReferenceTotalMatches = 0;
        for (int i = 0; i < Modules; i++)
        {
            TestTotalMatches += TestContentMatches[i];
            TestTotalMatches += TestFunctionMatches[i];
            ReferenceTotalMatches += ReferenceContentMatches[i];
            ReferenceTotalMatches += ReferenceFunctionMatches[i];
        }

        double testWeightedLength = (Delta * (TestLength - TestFunctionWords)) + ((1.0 - Delta) * TestFunctionWords);
        double referenceWeightedLength = (Delta * (ReferenceLength - ReferenceFunctionWords)) + ((1.0 - Delta) * ReferenceFunctionWords);
        double testWeightedMatches = 0, referenceWeightedMatches = 0;
        for (int i = 0; i < Modules; i++) testWeightedMatches += TestContentMatches[i] * ModuleWeights[i] * Delta;
        for (int i = 0; i < Modules; i++) referenceWeightedMatches += ReferenceContentMatches[i] * ModuleWeights[i] * Delta;
        for (int i = 0; i < Modules; i++) testWeightedMatches += TestFunctionMatches[i] * ModuleWeights[i] * (1.0 - Delta);
        for (int i = 0; i < Modules; i++) referenceWeightedMatches += ReferenceFunctionMatches[i] * ModuleWeights[i] * (1.0 - Delta);

        double precision = testWeightedMatches / testWeightedLength;
        double recall = referenceWeightedMatches / referenceWeightedLength;
        double fMean = 1.0 / (((1.0 - Alpha) / precision) + (Alpha / recall));
        double fragmentation = TestTotalMatches == TestLength && ReferenceTotalMatches == ReferenceLength && Chunks == 1
            ? 0
            : Chunks / ((TestWordMatches + ReferenceWordMatches) / 2);
        double penalty = Gamma * Math.Pow(fragmentation, Beta);
        double score = fMean * (1.0 - penalty);
        Score = double.IsNaN(score) ? 0 : Math.Max(score, 0.0);
    }

    /// <summary>The statistics as Meteor prints them ("7.0 6.0 2.0 ...", 23 numbers).</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        void Add(double v)
        {
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(v.ToString("0.0###############", CultureInfo.InvariantCulture));
        }
        Add(TestLength);
        Add(ReferenceLength);
        Add(TestFunctionWords);
        Add(ReferenceFunctionWords);
        for (int i = 0; i < Modules; i++)
        {
            Add(TestContentMatches[i]);
            Add(ReferenceContentMatches[i]);
            Add(TestFunctionMatches[i]);
            Add(ReferenceFunctionMatches[i]);
        }
        Add(Chunks);
        Add(TestWordMatches);
        Add(ReferenceWordMatches);
        return sb.ToString();
    }
}

/// <summary>
/// METEOR 1.5 as coco-caption runs it (<c>-l en -norm</c>, task "rank"): each line is normalized, lowercased and split on
/// whitespace; the candidate is aligned with every reference and the best-scoring reference's statistics are kept; the
/// corpus score is the score of the summed statistics. The hypothesis goes through coco-caption's wrapper first
/// ("|||" deleted, double spaces collapsed once) and the line is split on "|||" as Meteor's stdio mode does.
/// Thread-safe; normalized sentences are cached per instance.
/// </summary>
internal sealed class MeteorScorer(MeteorResources resources, MeteorParaphraseTable? paraphrases)
{
    private readonly MeteorAligner _aligner = new(paraphrases);
    private readonly ConcurrentDictionary<string, int> _stemHashes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]> _synsets = new(StringComparer.Ordinal);

    /// <summary>Statistics of each item (best reference) and their sum, whose score is the corpus METEOR.</summary>
    public (MeteorStatistics Total, MeteorStatistics[] Items) Score(IReadOnlyList<string> candidates,
        IReadOnlyList<IReadOnlyList<string>> references, ParallelOptions parallel)
    {
        var stats = new MeteorStatistics[candidates.Count];
        Parallel.For(0, candidates.Count, parallel, i => stats[i] = ScoreItem(candidates[i], references[i]));
        return (MeteorStatistics.Sum(stats), stats);
    }

    private MeteorStatistics ScoreItem(string candidate, IReadOnlyList<string> references)
    {
        // coco-caption: hypothesis.replace('|||', '').replace('  ', ' '), then "SCORE ||| r1 ||| ... ||| hyp".
        string hypothesis = candidate.Replace("|||", "", StringComparison.Ordinal).Replace("  ", " ", StringComparison.Ordinal);
        string line = "SCORE ||| " + string.Join(" ||| ", references) + " ||| " + hypothesis;
        var parts = JavaSplit(line, "|||");
        var test = Prepare(LegacyText.JavaTrim(parts[^1]));

        MeteorStatistics? best = null;
        for (int p = 1; p < parts.Count - 1; p++)
        {
            var reference = Prepare(LegacyText.JavaTrim(parts[p]));
            var stats = MeteorStatistics.FromAlignment(test, reference, _aligner.Align(test, reference));
            if (best is null || stats.Score > best.Score) best = stats;
        }
        return best!;
    }

    // Java String.split with a literal separator: trailing empty strings are removed.
    private static List<string> JavaSplit(string s, string separator)
    {
        var parts = s.Split(separator).ToList();
        while (parts.Count > 0 && parts[^1].Length == 0) parts.RemoveAt(parts.Count - 1);
        return parts;
    }

    private MeteorSentence Prepare(string line)
    {
        string normalized = LegacyText.JavaToLowerCase(MeteorNormalizer.Normalize(line, resources.NonbreakingPrefixes));
        string[] words = LegacyText.JavaStringTokenizer(normalized).ToArray();
        return new MeteorSentence
        {
            Words = words,
            Hashes = words.Select(LegacyText.JavaHashCode).ToArray(),
            StemHashes = words.Select(w => _stemHashes.GetOrAdd(w, x => LegacyText.JavaHashCode(SnowballEnglishStemmer.Stem(x)))).ToArray(),
            Synsets = words.Select(w => _synsets.GetOrAdd(w, resources.SynsetsWithBaseForms)).ToArray(),
            IsFunctionWord = words.Select(w => resources.IsFunctionWord(LegacyText.JavaToLowerCase(w))).ToArray(),
            ParaphraseIds = paraphrases is null ? null : words.Select(paraphrases.Translate).ToArray(),
        };
    }
}
