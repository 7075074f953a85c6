using System.Text.RegularExpressions;

namespace Microsoft.ML.VideoCaptioning.Indexing;

/// <summary>
/// The cheap first stage of text search: TF-IDF cosine similarity between the query and each entry's caption (lower-cased
/// words and numbers; idf = ln((N + 1)/(df + 1)) + 1).
/// </summary>
internal sealed partial class CaptionTextRanker
{
    private readonly List<Dictionary<string, double>> _vectors;
    private readonly Dictionary<string, double> _idf;

    public CaptionTextRanker(IReadOnlyList<string> captions)
    {
        var counts = captions.Select(Counts).ToList();
        _idf = counts.SelectMany(c => c.Keys).GroupBy(w => w)
            .ToDictionary(g => g.Key, g => Math.Log((captions.Count + 1.0) / (g.Count() + 1.0)) + 1);
        _vectors = counts.Select(Weigh).ToList();
    }

    /// <summary>Similarity of the query to every caption, in caption order.</summary>
    public double[] Scores(string query)
    {
        var q = Weigh(Counts(query));
        return _vectors.Select(v => q.Sum(kv => v.TryGetValue(kv.Key, out double w) ? kv.Value * w : 0)).ToArray();
    }

    // Unit-length tf-idf vector (words unknown to the captions weigh nothing).
    private Dictionary<string, double> Weigh(Dictionary<string, int> counts)
    {
        var weights = counts.Where(kv => _idf.ContainsKey(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value * _idf[kv.Key]);
        double norm = Math.Sqrt(weights.Values.Sum(w => w * w));
        return norm > 0 ? weights.ToDictionary(kv => kv.Key, kv => kv.Value / norm) : weights;
    }

    private static Dictionary<string, int> Counts(string text) =>
        Words().Matches(text.ToLowerInvariant()).GroupBy(m => m.Value).ToDictionary(g => g.Key, g => g.Count());

    [GeneratedRegex(@"[\p{L}\p{N}]+")]
    private static partial Regex Words();
}
