namespace Microsoft.ML.VideoCaptioning.Evaluation.Coco;

/// <summary>Word ids shared by all captions of one evaluation, so n-grams compare as integers.</summary>
internal sealed class Vocabulary
{
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);

    public int[] ToIds(string[] words)
    {
        var ids = new int[words.Length];
        for (int i = 0; i < words.Length; i++)
        {
            if (!_ids.TryGetValue(words[i], out int id))
            {
                id = _ids.Count;
                _ids.Add(words[i], id);
            }
            ids[i] = id;
        }
        return ids;
    }
}
