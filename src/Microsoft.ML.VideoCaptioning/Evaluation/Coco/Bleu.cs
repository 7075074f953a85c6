namespace Microsoft.ML.VideoCaptioning.Evaluation.Coco;

/// <summary>
/// BLEU-1..4 exactly as coco-caption's <c>Bleu(4)</c> (BleuScorer, option "closest"): words from Python
/// <c>str.split()</c>, clipped counts against the per-n-gram maximum over references, precisions smoothed as
/// <c>(correct + 1e-15) / (guess + 1e-9)</c>, brevity penalty from the closest reference length. The corpus value
/// uses summed statistics; per-item values apply the same formula to one item.
/// </summary>
internal static class Bleu
{
    private const double Tiny = 1e-15;
    private const double Small = 1e-9;

    private readonly struct ItemStats(int testLength, int referenceLength, int[] guess, int[] correct)
    {
        public int TestLength { get; } = testLength;
        public int ReferenceLength { get; } = referenceLength;
        public int[] Guess { get; } = guess;
        public int[] Correct { get; } = correct;
    }

    /// <summary>Scores all items: corpus BLEU-1..4, per-item BLEU-1..4 (PerItem[i][n-1]) and the summed statistics.</summary>
    public static (double[] Corpus, double[][] PerItem, BleuStatistics Statistics) Score(
        IReadOnlyList<int[]> candidates, IReadOnlyList<int[][]> references, ParallelOptions parallel)
    {
        int count = candidates.Count;
        var stats = new ItemStats[count];
        var perItem = new double[count][];
        Parallel.For(0, count, parallel, i =>
        {
            stats[i] = Cook(candidates[i], references[i]);
            perItem[i] = Combine(stats[i].Guess, stats[i].Correct, stats[i].TestLength, stats[i].ReferenceLength);
        });

        long testLength = 0, referenceLength = 0;
        var guess = new long[NGrams.MaxOrder];
        var correct = new long[NGrams.MaxOrder];
        foreach (var s in stats)
        {
            testLength += s.TestLength;
            referenceLength += s.ReferenceLength;
            for (int k = 0; k < NGrams.MaxOrder; k++)
            {
                guess[k] += s.Guess[k];
                correct[k] += s.Correct[k];
            }
        }
        var corpus = Combine(guess, correct, testLength, referenceLength);
        return (corpus, perItem, new BleuStatistics(testLength, referenceLength, guess, correct));
    }

    [ThreadStatic] private static Dictionary<NGram, int>? t_maxCounts;

    private static ItemStats Cook(int[] candidate, int[][] references)
    {
        var maxCounts = t_maxCounts ??= [];
        maxCounts.Clear();
        int closest = -1;
        foreach (var reference in references)
        {
            foreach (var (gram, n) in NGrams.Count(reference))
                if (!maxCounts.TryGetValue(gram, out int m) || n > m) maxCounts[gram] = n;
            int length = reference.Length;
            int diff = Math.Abs(length - candidate.Length);
            if (closest < 0 || diff < Math.Abs(closest - candidate.Length) || (diff == Math.Abs(closest - candidate.Length) && length < closest))
                closest = length;
        }

        var guess = new int[NGrams.MaxOrder];
        var correct = new int[NGrams.MaxOrder];
        for (int k = 1; k <= NGrams.MaxOrder; k++) guess[k - 1] = Math.Max(0, candidate.Length - k + 1);
        foreach (var (gram, n) in NGrams.Count(candidate))
            correct[gram.Order - 1] += Math.Min(maxCounts.GetValueOrDefault(gram), n);
        return new ItemStats(candidate.Length, closest, guess, correct);
    }

    private static double[] Combine<T>(T[] guess, T[] correct, long testLength, long referenceLength)
        where T : System.Numerics.INumber<T>
    {
        var scores = new double[NGrams.MaxOrder];
        double bleu = 1.0;
        for (int k = 0; k < NGrams.MaxOrder; k++)
        {
            bleu *= (double.CreateChecked(correct[k]) + Tiny) / (double.CreateChecked(guess[k]) + Small);
            scores[k] = Math.Pow(bleu, 1.0 / (k + 1));
        }
        double ratio = (testLength + Tiny) / (referenceLength + Small);
        if (ratio < 1)
            for (int k = 0; k < NGrams.MaxOrder; k++) scores[k] *= Math.Exp(1 - 1 / ratio);
        return scores;
    }
}
