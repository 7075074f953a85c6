using Microsoft.ML.VideoCaptioning.Evaluation.Ptb;

namespace Microsoft.ML.VideoCaptioning.Evaluation.Coco;

/// <summary>
/// CIDEr-D of single captions with document frequencies fixed once from a corpus of reference sets, e.g. the training
/// set's, as self-critical sequence training computes its reward (Rennie et al. 2017; the <c>CiderD(df="corpus")</c> of
/// the reference implementations): <c>idf = log(N) − log(max(1, df))</c> with N and df counted over the corpus, not over
/// the captions being scored. Scoring item i of the corpus against its own references therefore gives exactly
/// <see cref="CaptionEvaluator"/>'s per-item CIDEr when the whole corpus is evaluated. Thread-safe.
/// </summary>
public sealed class CiderDScorer
{
    private readonly Dictionary<string, int> _words = new(StringComparer.Ordinal);
    private readonly Dictionary<NGram, double> _documentFrequency;
    private readonly double _logItems;
    private readonly bool _tokenize;

    /// <summary>
    /// Counts document frequencies over <paramref name="corpus"/> (one set of references per item). With
    /// <paramref name="tokenize"/> (the default) the corpus and every scored caption go through coco-caption's PTB
    /// tokenization first; false takes them as already tokenized (space-separated words).
    /// </summary>
    /// <exception cref="ArgumentException">The corpus is empty or an item has no references.</exception>
    public CiderDScorer(IReadOnlyList<IReadOnlyList<string>> corpus, bool tokenize = true)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        if (corpus.Count == 0) throw new ArgumentException("The corpus of references is empty.", nameof(corpus));
        int empty = corpus.Count(r => r is not { Count: > 0 });
        if (empty > 0) throw new ArgumentException($"{empty} corpus item(s) have no references.", nameof(corpus));
        _tokenize = tokenize;
        var counts = corpus.Select(refs => Words(refs).Select(w => NGrams.Count(ToIds(w, null))).ToArray()).ToList();
        _documentFrequency = CiderD.DocumentFrequencies(counts);
        _logItems = Math.Log(corpus.Count);
        CorpusSize = corpus.Count;
    }

    /// <summary>Items the document frequencies were counted over.</summary>
    public int CorpusSize { get; }

    /// <summary>CIDEr-D of each candidate against its references (same index), with the corpus' document frequencies.</summary>
    /// <exception cref="ArgumentException">The lists differ in length or a candidate has no references.</exception>
    public double[] Score(IReadOnlyList<string> candidates, IReadOnlyList<IReadOnlyList<string>> references)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(references);
        if (candidates.Count != references.Count)
            throw new ArgumentException($"{candidates.Count} candidates but {references.Count} reference sets.", nameof(references));
        if (references.Any(r => r is not { Count: > 0 })) throw new ArgumentException("Every candidate needs at least one reference.", nameof(references));
        var unseen = new Dictionary<string, int>(StringComparer.Ordinal);   // words outside the corpus: ids local to this call
        var cands = Words(candidates);
        var scores = new double[candidates.Count];
        for (int i = 0; i < scores.Length; i++)
        {
            var refCounts = Words(references[i]).Select(w => NGrams.Count(ToIds(w, unseen))).ToArray();
            scores[i] = CiderD.ScoreItem(NGrams.Count(ToIds(cands[i], unseen)), refCounts, _documentFrequency, _logItems);
        }
        return scores;
    }

    private string[][] Words(IReadOnlyList<string> captions) =>
        (_tokenize ? PtbTokenizer.Tokenize(captions) : captions.ToArray()).Select(LegacyText.PythonSplit).ToArray();

    private int[] ToIds(string[] words, Dictionary<string, int>? unseen)
    {
        var ids = new int[words.Length];
        for (int i = 0; i < words.Length; i++)
        {
            if (_words.TryGetValue(words[i], out int id)) { ids[i] = id; continue; }
            if (unseen == null) _words.Add(words[i], id = _words.Count);   // only while counting the corpus
            else if (!unseen.TryGetValue(words[i], out id)) unseen.Add(words[i], id = _words.Count + unseen.Count);
            ids[i] = id;
        }
        return ids;
    }
}
