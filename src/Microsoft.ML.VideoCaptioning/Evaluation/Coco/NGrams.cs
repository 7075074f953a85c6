namespace Microsoft.ML.VideoCaptioning.Evaluation.Coco;

/// <summary>N-gram counting as coco-caption's <c>precook</c>: orders 1..4, each in sentence order.</summary>
internal static class NGrams
{
    public const int MaxOrder = 4;

    /// <summary>Counts every n-gram once, in the order of first appearance (Python dict insertion order).</summary>
    public static (NGram Gram, int Count)[] Count(int[] words)
    {
        var index = t_index ??= [];
        var counts = t_counts ??= [];
        index.Clear();
        counts.Clear();
        for (int k = 1; k <= MaxOrder; k++)
        {
            for (int i = 0; i + k <= words.Length; i++)
            {
                var gram = new NGram(words[i], k > 1 ? words[i + 1] : -1, k > 2 ? words[i + 2] : -1, k > 3 ? words[i + 3] : -1);
                if (index.TryGetValue(gram, out int at))
                {
                    counts[at] = (gram, counts[at].Item2 + 1);
                }
                else
                {
                    index.Add(gram, counts.Count);
                    counts.Add((gram, 1));
                }
            }
        }
        return counts.ToArray();
    }

    [ThreadStatic] private static Dictionary<NGram, int>? t_index;
    [ThreadStatic] private static List<(NGram, int)>? t_counts;
}
