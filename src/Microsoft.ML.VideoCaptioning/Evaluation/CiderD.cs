namespace Microsoft.ML.VideoCaptioning.Evaluation;

/// <summary>
/// CIDEr-D exactly as coco-caption's <c>Cider</c> (n = 1..4, σ = 6): tf-idf vectors with raw counts and
/// <c>idf = log(N) - log(max(1, df))</c>, where df counts items whose references contain the n-gram; the candidate
/// side is clipped (<c>min(v_hyp, v_ref) · v_ref</c>); a Gaussian penalty on the difference in bigram counts;
/// mean over n, mean over references, ×10. The corpus value is the numpy mean of the item values.
/// </summary>
internal static class CiderD
{
    private const double Sigma = 6.0;

    private sealed class Vector(Dictionary<NGram, double>[] values, double[] norms, int length)
    {
        public Dictionary<NGram, double>[] Values { get; } = values;
        public double[] Norms { get; } = norms;
        public int Length { get; } = length;
    }

    public static (double Corpus, double[] PerItem) Score(IReadOnlyList<int[]> candidates, IReadOnlyList<int[][]> references,
        ParallelOptions parallel)
    {
        int count = candidates.Count;
        var candidateCounts = new (NGram Gram, int Count)[count][];
        var referenceCounts = new (NGram Gram, int Count)[count][][];
        Parallel.For(0, count, parallel, i =>
        {
            candidateCounts[i] = NGrams.Count(candidates[i]);
            referenceCounts[i] = references[i].Select(NGrams.Count).ToArray();
        });

        var documentFrequency = new Dictionary<NGram, double>();
        var seen = new HashSet<NGram>();
        foreach (var refs in referenceCounts)
        {
            seen.Clear();
            foreach (var counts in refs)
                foreach (var (gram, _) in counts)
                    if (seen.Add(gram)) documentFrequency[gram] = documentFrequency.GetValueOrDefault(gram) + 1.0;
        }

        double refLength = Math.Log(count);
        var perItem = new double[count];
        Parallel.For(0, count, parallel, i =>
        {
            var hyp = ToVector(candidateCounts[i], documentFrequency, refLength);
            var score = new double[NGrams.MaxOrder];
            foreach (var refCounts in referenceCounts[i])
            {
                var sim = Similarity(hyp, ToVector(refCounts, documentFrequency, refLength));
                for (int n = 0; n < score.Length; n++) score[n] += sim[n];
            }
            double average = LegacyText.NumpyMean(score);
            average /= referenceCounts[i].Length;
            average *= 10.0;
            perItem[i] = average;
        });
        return (LegacyText.NumpyMean(perItem), perItem);
    }

    private static Vector ToVector((NGram Gram, int Count)[] counts, Dictionary<NGram, double> documentFrequency, double refLength)
    {
        var values = new Dictionary<NGram, double>[NGrams.MaxOrder];
        for (int n = 0; n < values.Length; n++) values[n] = [];
        var norms = new double[NGrams.MaxOrder];
        int length = 0;
        foreach (var (gram, termFrequency) in counts)
        {
            double df = Math.Log(Math.Max(1.0, documentFrequency.GetValueOrDefault(gram)));
            int n = gram.Order - 1;
            double v = termFrequency * (refLength - df);
            values[n][gram] = v;
            norms[n] += v * v;
            if (n == 1) length += termFrequency;
        }
        for (int n = 0; n < norms.Length; n++) norms[n] = Math.Sqrt(norms[n]);
        return new Vector(values, norms, length);
    }

    private static double[] Similarity(Vector hyp, Vector reference)
    {
        double delta = hyp.Length - reference.Length;
        double penalty = Math.Pow(Math.E, -(delta * delta) / (2 * Sigma * Sigma));
        var val = new double[NGrams.MaxOrder];
        for (int n = 0; n < val.Length; n++)
        {
            foreach (var (gram, v) in hyp.Values[n])
            {
                double r = reference.Values[n].GetValueOrDefault(gram);
                val[n] += Math.Min(v, r) * r;
            }
            if (hyp.Norms[n] != 0 && reference.Norms[n] != 0) val[n] /= hyp.Norms[n] * reference.Norms[n];
            val[n] *= penalty;
        }
        return val;
    }
}
