using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Models;
using Parquet.Serialization;

namespace Microsoft.ML.VideoCaptioning.Indexing;

/// <summary>
/// A loaded video index (<see cref="VideoIndexStore"/>): entries and their embeddings in memory; visual prefixes are read
/// from the shards only for the entries a text search re-ranks.
/// </summary>
public sealed class VideoIndex
{
    private readonly float[] _embeddings;
    private readonly (string Shard, int Row)[] _locations;

    private VideoIndex(List<VideoIndexEntry> entries, float[] embeddings, int dim, (string, int)[] locations)
    {
        Entries = entries;
        _embeddings = embeddings;
        Dim = dim;
        _locations = locations;
    }

    /// <summary>The entries, shard by shard.</summary>
    public IReadOnlyList<VideoIndexEntry> Entries { get; }

    /// <summary>Embedding width (0 for an empty index).</summary>
    public int Dim { get; }

    /// <summary>Loads an index directory.</summary>
    /// <exception cref="DirectoryNotFoundException">The directory is not an index.</exception>
    public static VideoIndex Open(string directory)
    {
        var store = new VideoIndexStore(directory, create: false);
        var entries = new List<VideoIndexEntry>();
        var embeddings = new List<float>();
        var locations = new List<(string, int)>();
        int dim = 0;
        foreach (string shard in store.Shards)
        {
            var video = VideoIndexStore.Read(shard, withPrefixes: false);
            if (dim != 0 && video.Dim != dim)
                throw new InvalidDataException($"Index shard '{shard}' has {video.Dim}-wide embeddings, the others {dim}: the index mixes captioners. Rebuild it.");
            dim = video.Dim;
            entries.AddRange(video.Entries);
            embeddings.AddRange(video.Embeddings);
            locations.AddRange(Enumerable.Range(0, video.Entries.Count).Select(row => (shard, row)));
        }
        return new VideoIndex(entries, embeddings.ToArray(), dim, locations.ToArray());
    }

    /// <summary>Entry <paramref name="index"/>'s embedding.</summary>
    public ReadOnlySpan<float> Embedding(int index) => _embeddings.AsSpan(index * Dim, Dim);

    /// <summary>The <paramref name="k"/> entries most similar to an embedding (cosine similarity; both sides L2-normalised), best first.</summary>
    public IReadOnlyList<SearchHit> SearchLike(ReadOnlySpan<float> embedding, int k)
    {
        if (embedding.Length != Dim)
            throw new ArgumentException($"The query embedding has {embedding.Length} values but the index's have {Dim}: use the captioner that built the index.");
        var scores = new double[Entries.Count];
        for (int i = 0; i < scores.Length; i++)
        {
            var e = Embedding(i);
            double dot = 0;
            for (int d = 0; d < Dim; d++) dot += (double)e[d] * embedding[d];
            scores[i] = dot;
        }
        return Top(scores, Enumerable.Range(0, Entries.Count), k);
    }

    /// <summary>
    /// The <paramref name="k"/> entries under which the captioner finds <paramref name="text"/> most likely: total log-probability
    /// of the text's tokens after each entry's stored visual prefix and the prompt. Exact scoring costs a language-model pass
    /// per entry, so a first stage (TF-IDF cosine between the text and each entry's caption) keeps the best
    /// <paramref name="rerank"/> entries and only those are scored; 0, or at least the index size, scores every entry.
    /// </summary>
    public IReadOnlyList<SearchHit> SearchText(CaptionGenerator generator, string text, int k, int rerank = 200, int batchSize = 64)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        IEnumerable<int> candidates = Enumerable.Range(0, Entries.Count);
        if (rerank > 0 && rerank < Entries.Count)
        {
            var first = new CaptionTextRanker(Entries.Select(e => e.Caption).ToList()).Scores(text);
            candidates = candidates.OrderByDescending(i => first[i]).ThenBy(i => i).Take(rerank).Order();
        }
        var chosen = candidates.ToArray();
        var scores = new double[Entries.Count];
        using var scope = TensorScope.Open();
        var likelihood = generator.TextLogLikelihood(Prefixes(chosen), text, batchSize);
        for (int i = 0; i < chosen.Length; i++)
            scores[chosen[i]] = likelihood[i];
        return Top(scores, chosen, k);
    }

    /// <summary>The stored visual prefixes of some entries: (n, queries, hidden) float16 on the CPU, in the given order.</summary>
    public Tensor Prefixes(IReadOnlyList<int> entries)
    {
        using var scope = TensorScope.Open();
        var rows = new Tensor[entries.Count];
        foreach (var shard in entries.Select((entry, position) => (entry, position)).GroupBy(p => _locations[p.entry].Shard))
        {
            using var file = SafeTensorsFile.Open(shard.Key);
            var all = file.Read("prefixes");
            foreach (var (entry, position) in shard)
                rows[position] = all.Select(0, _locations[entry].Row);
        }
        return Tensor.Stack(rows, 0).MoveToOuterScope();
    }

    /// <summary>Writes the entries with their embeddings to a Parquet file (columns video, start, end, caption, confidence, embedding), for vector databases.</summary>
    public void ExportParquet(string path)
    {
        var rows = Entries.Select((e, i) => new ParquetRow
        {
            Video = e.Source, Start = e.Start, End = e.End, Caption = e.Caption, Confidence = e.Confidence, Embedding = Embedding(i).ToArray(),
        }).ToList();
        string tmp = path + ".tmp";
        ParquetSerializer.SerializeAsync(rows, tmp).GetAwaiter().GetResult();
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Reads back a file written by <see cref="ExportParquet"/>.</summary>
    public static IReadOnlyList<(VideoIndexEntry Entry, float[] Embedding)> ReadParquet(string path) =>
        ParquetSerializer.DeserializeAsync<ParquetRow>(path).GetAwaiter().GetResult().Data
            .Select((ParquetRow r) => (new VideoIndexEntry(r.Video, r.Start, r.End, r.Caption, r.Confidence), r.Embedding)).ToList();

    private IReadOnlyList<SearchHit> Top(double[] scores, IEnumerable<int> candidates, int k) =>
        candidates.OrderByDescending(i => scores[i]).ThenBy(i => i).Take(Math.Max(0, k)).Select(i => new SearchHit(Entries[i], scores[i])).ToList();

    /// <summary>One Parquet row.</summary>
    internal sealed class ParquetRow
    {
        public string Video { get; set; } = "";
        public double Start { get; set; }
        public double End { get; set; }
        public string Caption { get; set; } = "";
        public double Confidence { get; set; }
        public float[] Embedding { get; set; } = [];
    }
}
