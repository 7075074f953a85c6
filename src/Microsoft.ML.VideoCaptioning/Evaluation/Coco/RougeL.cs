namespace Microsoft.ML.VideoCaptioning.Evaluation.Coco;

/// <summary>
/// ROUGE-L exactly as coco-caption's <c>Rouge</c>: tokens from Python <c>str.split(" ")</c> (so an empty caption is one
/// empty token), longest common subsequence with each reference, precision and recall maximized independently over
/// the references, <c>F = (1 + β²)PR / (R + β²P)</c> with β = 1.2, and the corpus value is the numpy mean.
/// </summary>
internal static class RougeL
{
    private const double Beta = 1.2;

    public static (double Corpus, double[] PerItem) Score(IReadOnlyList<string> candidates, IReadOnlyList<IReadOnlyList<string>> references,
        ParallelOptions parallel)
    {
        var perItem = new double[candidates.Count];
        Parallel.For(0, candidates.Count, parallel, i => perItem[i] = ScoreItem(candidates[i], references[i]));
        return (LegacyText.NumpyMean(perItem), perItem);
    }

    private static double ScoreItem(string candidate, IReadOnlyList<string> references)
    {
        string[] c = candidate.Split(' ');
        double precisionMax = double.NegativeInfinity, recallMax = double.NegativeInfinity;
        foreach (string reference in references)
        {
            string[] r = reference.Split(' ');
            int lcs = LongestCommonSubsequence(r, c);
            precisionMax = Math.Max(precisionMax, lcs / (double)c.Length);
            recallMax = Math.Max(recallMax, lcs / (double)r.Length);
        }
        if (precisionMax == 0 || recallMax == 0) return 0.0;
        double beta2 = Math.Pow(Beta, 2);
        return (1 + beta2) * precisionMax * recallMax / (recallMax + beta2 * precisionMax);
    }

    private static int LongestCommonSubsequence(string[] a, string[] b)
    {
        if (a.Length < b.Length) (a, b) = (b, a);
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
                current[j] = string.Equals(a[i - 1], b[j - 1], StringComparison.Ordinal)
                    ? previous[j - 1] + 1
                    : Math.Max(previous[j], current[j - 1]);
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
