using System.Collections.Concurrent;

namespace Microsoft.ML.VideoCaptioning.Evaluation.Meteor;

/// <summary>
/// METEOR 1.5 as coco-caption runs it (<c>-l en -norm</c>, task "rank"): each line is normalized, lowercased and split on
/// whitespace; the candidate is aligned with every reference and the best-scoring reference's statistics are kept; the
/// corpus score is the score of the summed statistics. The hypothesis goes through coco-caption's wrapper first
/// ("|||" deleted, double spaces collapsed once) and the line is split on "|||" as Meteor's stdio mode does.
/// Thread-safe; the stem and synonym sets of each word are cached per instance.
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
