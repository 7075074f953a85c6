using System.Diagnostics;
using Microsoft.ML.VideoCaptioning.Data;
using Microsoft.ML.VideoCaptioning.Indexing;

namespace Microsoft.ML.VideoCaptioning.Cli.Bench;

/// <summary>
/// <c>vidcap bench search</c>: search latency over a generated index (random unit embeddings and float16 prefixes of the
/// demo's shapes, synthetic-world captions), 100 entries per shard: loading, <c>--like</c>, and <c>--text</c> with the
/// TF-IDF first stage re-ranking 200 entries and exhaustively.
/// </summary>
public static class SearchBench
{
    public static List<BenchRow> Run(int entries, Action<string> log)
    {
        using var captioner = BenchCaptioner.DemoShapes(log);
        string directory = Path.Combine(Path.GetTempPath(), $"vidcap-bench-search-{Guid.NewGuid():N}");
        try
        {
            log($"writing an index of {entries} entries → {directory}");
            var store = new VideoIndexStore(directory, create: true);
            var captions = (from c in SyntheticWorld.Colors from s in SyntheticWorld.Shapes from m in SyntheticWorld.Motions select SyntheticWorld.Captions(c, s, m)[0]).ToArray();
            var random = new Random(1);
            int dim = captioner.Generator.Model.QFormer.Config.Dim, queries = captioner.Generator.Model.QFormer.Config.NumQueries;
            for (int shard = 0; shard * 100 < entries; shard++)
            {
                int n = Math.Min(100, entries - shard * 100);
                var rows = Enumerable.Range(0, n).Select(i => new VideoIndexEntry($"/videos/v{shard:D5}.mp4", i * 4, i * 4 + 4, captions[random.Next(captions.Length)], -0.5)).ToList();
                var embeddings = Enumerable.Range(0, n).SelectMany(_ => Unit(random, dim)).ToArray();
                var prefixes = Enumerable.Range(0, n * queries * dim).Select(_ => (Half)(random.NextDouble() * 2 - 1)).ToArray();
                store.Write($"/videos/v{shard:D5}.mp4", "bench", new IndexedVideo(rows, embeddings, prefixes, dim, queries));
            }
            var clock = Stopwatch.StartNew();
            var index = VideoIndex.Open(directory);
            var rowsOut = new List<BenchRow> { new($"open an index of {index.Entries.Count} entries", clock.Elapsed.TotalMilliseconds, "ms") };
            var query = Unit(random, dim);
            rowsOut.Add(new("--like, cosine over every entry, k = 10", Time(() => index.SearchLike(query, 10)), "ms"));
            string text = "a red circle moving up";
            rowsOut.Add(new("--text, TF-IDF then log-likelihood of the best 200", Time(() => index.SearchText(captioner.Generator, text, 10, rerank: 200)), "ms"));
            rowsOut.Add(new($"--text, log-likelihood of all {index.Entries.Count}", Time(() => index.SearchText(captioner.Generator, text, 10, rerank: 0)), "ms"));
            return rowsOut;
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }

    private static double Time(Action search)
    {
        search();   // warm-up
        var clock = Stopwatch.StartNew();
        search();
        return clock.Elapsed.TotalMilliseconds;
    }

    private static float[] Unit(Random random, int dim)
    {
        var v = Enumerable.Range(0, dim).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        float norm = MathF.Sqrt(v.Sum(x => x * x));
        return v.Select(x => x / norm).ToArray();
    }
}
