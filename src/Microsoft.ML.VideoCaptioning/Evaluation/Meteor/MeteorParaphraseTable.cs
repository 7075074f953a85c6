using System.IO.Compression;
using System.Text;

namespace Microsoft.ML.VideoCaptioning.Evaluation.Meteor;

/// <summary>
/// A Meteor paraphrase table (<c>paraphrase-en.gz</c>): gzip-compressed UTF-8 text made of line triples
/// "probability / phrase / paraphrase" (the probability is ignored, as Meteor does). Phrases are stored in a trie
/// over word ids; lookups return every entry whose phrase starts at a position, shortest first, in file order.
/// Immutable after loading.
/// </summary>
internal sealed class MeteorParaphraseTable
{
    private readonly Dictionary<string, int> _vocabulary;
    private readonly Dictionary<long, int> _children;
    private readonly Dictionary<int, List<int>> _emits;
    private readonly List<int[]> _paraphrases;

    private MeteorParaphraseTable(Dictionary<string, int> vocabulary, Dictionary<long, int> children,
        Dictionary<int, List<int>> emits, List<int[]> paraphrases)
    {
        _vocabulary = vocabulary;
        _children = children;
        _emits = emits;
        _paraphrases = paraphrases;
    }

    public static MeteorParaphraseTable Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Meteor paraphrase table '{path}' was not found.", path);
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        return Read(reader);
    }

    /// <summary>Reads the uncompressed text of a table.</summary>
    public static MeteorParaphraseTable Read(TextReader reader)
    {
        var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        var children = new Dictionary<long, int>();
        var emits = new Dictionary<int, List<int>>();
        var paraphrases = new List<int[]>();
        int nodes = 1; // node 0 is the root

        int[] Map(string? line)
        {
            var words = LegacyText.JavaStringTokenizer(line ?? "");
            var ids = new int[words.Count];
            for (int i = 0; i < ids.Length; i++)
            {
                if (!vocabulary.TryGetValue(words[i], out int id))
                {
                    id = vocabulary.Count;
                    vocabulary.Add(words[i], id);
                }
                ids[i] = id;
            }
            return ids;
        }

        while (reader.ReadLine() is not null)
        {
            int[] phrase = Map(reader.ReadLine());
            int[] paraphrase = Map(reader.ReadLine());
            int node = 0;
            foreach (int word in phrase)
            {
                long key = Key(node, word);
                if (!children.TryGetValue(key, out int child))
                {
                    child = nodes++;
                    children.Add(key, child);
                }
                node = child;
            }
            if (!emits.TryGetValue(node, out var list)) emits[node] = list = [];
            list.Add(paraphrases.Count);
            paraphrases.Add(paraphrase);
        }
        return new MeteorParaphraseTable(vocabulary, children, emits, paraphrases);
    }

    private static long Key(int node, int word) => ((long)node << 32) | (uint)word;

    /// <summary>The word's id in the table, or -1 when it never occurs there.</summary>
    public int Translate(string word) => _vocabulary.TryGetValue(word, out int id) ? id : -1;

    public int[] Paraphrase(int index) => _paraphrases[index];

    /// <summary>(phrase length, paraphrase index) for every phrase of the table that starts at <paramref name="start"/>.</summary>
    public List<(int Length, int Index)> PhrasesAt(int[] words, int start)
    {
        var found = new List<(int, int)>();
        int node = 0;
        for (int i = 0; start + i < words.Length; i++)
        {
            if (words[start + i] < 0 || !_children.TryGetValue(Key(node, words[start + i]), out node)) break;
            if (_emits.TryGetValue(node, out var list))
                foreach (int index in list) found.Add((i + 1, index));
        }
        return found;
    }
}
