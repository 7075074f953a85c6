namespace Microsoft.ML.VideoCaptioning.Evaluation.Coco;

/// <summary>
/// CIDEr-D exactly as coco-caption's <c>Cider</c> (n = 1..4, σ = 6): tf-idf vectors with raw counts and
/// <c>idf = log(N) - log(max(1, df))</c>, where df counts items whose references contain the n-gram; the candidate
/// side is clipped (<c>min(v_hyp, v_ref) · v_ref</c>); a Gaussian penalty on the difference in bigram counts;
/// mean over n, mean over references, ×10. The corpus value is the numpy mean of the item values.
/// </summary>
internal static class CiderD
{
    private const double Sigma = 6.0;

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

        var documentFrequency = DocumentFrequencies(referenceCounts);
        double logItems = Math.Log(count); // coco-caption's ref_len
        var perItem = new double[count];
        Parallel.For(0, count, parallel, i => perItem[i] = ScoreItem(candidateCounts[i], referenceCounts[i], documentFrequency, logItems));
        return (LegacyText.NumpyMean(perItem), perItem);
    }

    /// <summary>For each n-gram, the number of items whose references contain it.</summary>
    internal static Dictionary<NGram, double> DocumentFrequencies(IEnumerable<(NGram Gram, int Count)[][]> referenceCounts)
    {
        var documentFrequency = new Dictionary<NGram, double>();
        var seen = new HashSet<NGram>();
        foreach (var refs in referenceCounts)
        {
            seen.Clear();
            foreach (var counts in refs)
                foreach (var (gram, _) in counts)
                    if (seen.Add(gram)) documentFrequency[gram] = documentFrequency.GetValueOrDefault(gram) + 1.0;
        }
        return documentFrequency;
    }

    /// <summary>One item's CIDEr-D given the document frequencies and log of the number of items they were counted over.</summary>
    internal static double ScoreItem((NGram Gram, int Count)[] candidate, (NGram Gram, int Count)[][] references,
        Dictionary<NGram, double> documentFrequency, double logItems)
    {
        // Candidate tf-idf weights in n-gram insertion order (the order coco-caption sums them in).
        var hypValues = new double[candidate.Length];
        var hypIndex = new Dictionary<NGram, int>(candidate.Length);
        var (hypNorms, hypBigrams) = Weights(candidate, documentFrequency, logItems, hypValues);
        for (int k = 0; k < candidate.Length; k++) hypIndex[candidate[k].Gram] = k;

        var score = new double[NGrams.MaxOrder];
        var refValues = new double[candidate.Length];
        double[] refWeights = [];
        foreach (var reference in references)
        {
            if (refWeights.Length < reference.Length) refWeights = new double[reference.Length];
            var (refNorms, refBigrams) = Weights(reference, documentFrequency, logItems, refWeights);
            Array.Clear(refValues);
            for (int k = 0; k < reference.Length; k++)
                if (hypIndex.TryGetValue(reference[k].Gram, out int at)) refValues[at] = refWeights[k];

            double delta = hypBigrams - refBigrams;
            double penalty = Math.Pow(Math.E, -Math.Pow(delta, 2) / (2 * Math.Pow(Sigma, 2)));
            var val = new double[NGrams.MaxOrder];
            for (int k = 0; k < candidate.Length; k++)
                val[candidate[k].Gram.Order - 1] += Math.Min(hypValues[k], refValues[k]) * refValues[k];
            for (int n = 0; n < val.Length; n++)
            {
                if (hypNorms[n] != 0 && refNorms[n] != 0) val[n] /= hypNorms[n] * refNorms[n];
                val[n] *= penalty;
                score[n] += val[n];
            }
        }
        double average = LegacyText.NumpyMean(score);
        average /= references.Length;
        average *= 10.0;
        return average;
    }

    // tf-idf weight of each n-gram (into weights), the norm per order and the number of bigrams.
    private static (double[] Norms, int Bigrams) Weights((NGram Gram, int Count)[] counts, Dictionary<NGram, double> documentFrequency,
        double logItems, double[] weights)
    {
        var norms = new double[NGrams.MaxOrder];
        int bigrams = 0;
        for (int k = 0; k < counts.Length; k++)
        {
            var (gram, termFrequency) = counts[k];
            double df = Math.Log(Math.Max(1.0, documentFrequency.GetValueOrDefault(gram)));
            int n = gram.Order - 1;
            double v = termFrequency * (logItems - df);
            weights[k] = v;
            norms[n] += Math.Pow(v, 2);
            if (n == 1) bigrams += termFrequency;
        }
        for (int n = 0; n < norms.Length; n++) norms[n] = Math.Sqrt(norms[n]);
        return (norms, bigrams);
    }
}
