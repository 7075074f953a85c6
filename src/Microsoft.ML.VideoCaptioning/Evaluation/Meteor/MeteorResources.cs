using System.Text;

namespace Microsoft.ML.VideoCaptioning.Evaluation.Meteor;

/// <summary>
/// The Meteor 1.5 English data: function words (<c>english.words</c>), WordNet synonym sets (<c>english.synsets</c>),
/// morphological exceptions (<c>english.exceptions</c>) and the normalizer's non-breaking prefixes
/// (<c>english.prefixes</c>). Immutable after loading, so it can be shared between threads.
/// </summary>
internal sealed class MeteorResources
{
    private static readonly int[] NoSynsets = [];

    private readonly HashSet<string> _functionWords;
    private readonly Dictionary<string, int[]> _wordToSynsets;
    private readonly Dictionary<string, List<string>> _wordToBases;

    /// <summary>Non-breaking prefixes: true where the prefix only stays attached to its period before a number.</summary>
    public IReadOnlyDictionary<string, bool> NonbreakingPrefixes { get; }

    private MeteorResources(HashSet<string> functionWords, Dictionary<string, int[]> wordToSynsets,
        Dictionary<string, List<string>> wordToBases, Dictionary<string, bool> prefixes)
    {
        _functionWords = functionWords;
        _wordToSynsets = wordToSynsets;
        _wordToBases = wordToBases;
        NonbreakingPrefixes = prefixes;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<MeteorResources>> Cache = new(StringComparer.Ordinal);

    /// <summary>The data of <paramref name="directory"/>, read once per process and shared (it is immutable).</summary>
    public static MeteorResources Get(string directory)
    {
        string key = Path.GetFullPath(directory);
        var lazy = Cache.GetOrAdd(key, k => new Lazy<MeteorResources>(() => Load(k), LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return lazy.Value;
        }
        catch
        {
            Cache.TryRemove(new KeyValuePair<string, Lazy<MeteorResources>>(key, lazy));
            throw;
        }
    }

    private static MeteorResources Load(string directory)
    {
        string words = Required(directory, "english.words");
        string synsets = Required(directory, "english.synsets");
        string exceptions = Required(directory, "english.exceptions");
        string prefixes = Required(directory, "english.prefixes");

        var functionWords = new HashSet<string>(File.ReadLines(words, Encoding.UTF8), StringComparer.Ordinal);

        var wordToSynsets = new Dictionary<string, int[]>(StringComparer.Ordinal);
        using (var reader = new StreamReader(synsets, Encoding.UTF8))
        {
            while (reader.ReadLine() is { } word)
            {
                string ids = reader.ReadLine() ?? throw new InvalidDataException($"Meteor synonym file '{synsets}' ends after word '{word}'.");
                wordToSynsets[word] = LegacyText.JavaStringTokenizer(ids)
                    .Select(id => int.Parse(id, System.Globalization.CultureInfo.InvariantCulture)).Distinct().Order().ToArray();
            }
        }

        var wordToBases = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        using (var reader = new StreamReader(exceptions, Encoding.UTF8))
        {
            while (reader.ReadLine() is { } baseForm)
            {
                string forms = reader.ReadLine() ?? throw new InvalidDataException($"Meteor exception file '{exceptions}' ends after '{baseForm}'.");
                foreach (string form in LegacyText.JavaStringTokenizer(forms))
                {
                    if (!wordToBases.TryGetValue(form, out var bases)) wordToBases[form] = bases = [];
                    bases.Add(baseForm);
                }
            }
        }

        var prefixMap = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (string line in File.ReadLines(prefixes, Encoding.UTF8))
        {
            var tokens = LegacyText.JavaStringTokenizer(line);
            if (tokens.Count == 0 || tokens[0].StartsWith('#')) continue;
            prefixMap[tokens[0]] = tokens.Count > 1 && tokens[1] == "#NUMERIC_ONLY#";
        }

        return new MeteorResources(functionWords, wordToSynsets, wordToBases, prefixMap);
    }

    private static string Required(string directory, string name)
    {
        string path = Path.Combine(directory, name);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Meteor data file '{name}' was not found in '{directory}'. Set the Meteor data directory to a folder holding the Meteor 1.5 English data.", path);
        return path;
    }

    public bool IsFunctionWord(string word) => _functionWords.Contains(word);

    /// <summary>
    /// Sorted synset ids of <paramref name="word"/> together with those of its base form (Meteor's SynonymMatcher:
    /// <c>getSynSets(w) ∪ getStemSynSets(w)</c>, the base form coming from the exception list or WordNet morphology).
    /// </summary>
    public int[] SynsetsWithBaseForms(string word)
    {
        var own = SynsetsOf(word);
        int[] fromBase;
        if (_wordToBases.TryGetValue(word, out var bases))
        {
            var union = new SortedSet<int>();
            foreach (string b in bases) union.UnionWith(SynsetsOf(b));
            fromBase = union.ToArray();
        }
        else
        {
            fromBase = SynsetsOf(Morph(word));
        }
        if (fromBase.Length == 0) return own;
        if (own.Length == 0) return fromBase;
        var all = new SortedSet<int>(own);
        all.UnionWith(fromBase);
        return all.ToArray();
    }

    private int[] SynsetsOf(string word) => _wordToSynsets.TryGetValue(word, out var ids) ? ids : NoSynsets;

    // WordNet 3 detachment rules as Meteor applies them: the first suffix rewrite that yields a known word wins.
    private static readonly (string Suffix, string Ending)[] Detachments =
    [
        ("s", ""), ("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"), ("men", "man"), ("ies", "y"),
        ("s", ""), ("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""), ("ing", "e"), ("ing", ""),
        ("er", ""), ("est", ""), ("er", "e"), ("est", "e"),
    ];

    private string Morph(string word)
    {
        if (word.EndsWith("ss", StringComparison.Ordinal) || word.Length <= 2) return word;
        foreach (var (suffix, ending) in Detachments)
        {
            if (!word.EndsWith(suffix, StringComparison.Ordinal)) continue;
            string candidate = string.Concat(word.AsSpan(0, word.Length - suffix.Length), ending);
            if (_wordToSynsets.ContainsKey(candidate)) return candidate;
        }
        return "";
    }
}
