using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Indexing;
using Microsoft.ML.VideoCaptioning.Tests.Video;
using Microsoft.ML.VideoCaptioning.Timeline;
using Microsoft.ML.VideoCaptioning.Video;
using Xunit;

namespace Microsoft.ML.VideoCaptioning.Tests.Timeline;

public class VideoIndexTests(TinyRandomCaptioner tiny, GeneratedVideos videos) : IClassFixture<TinyRandomCaptioner>, IClassFixture<GeneratedVideos>
{
    private string[] Clips() =>
    [
        videos.Get("red.mp4", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=10:duration=1.2", "-c:v", "libx264", "-pix_fmt", "yuv420p"),
        videos.Get("mandel.mp4", "-f", "lavfi", "-i", "mandelbrot=size=64x64:rate=10", "-t", "1.5", "-c:v", "libx264", "-pix_fmt", "yuv420p"),
        videos.Get("smpte.mp4", "-f", "lavfi", "-i", "smptebars=size=64x64:rate=10:duration=1", "-c:v", "libx264", "-pix_fmt", "yuv420p"),
    ];

    private VideoIndexer Indexer(string directory, VideoIndexerOptions? options = null, string identity = "tiny-1") =>
        new(new VideoIndexStore(directory, create: true), identity, tiny.Featurizer.Featurize, tiny.Generator, TinyRandomCaptioner.Sampling, options);

    private string NewDirectory() => Path.Combine(videos.Directory, "index-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void ARerunSkipsCurrentVideosAndRedoesChangedOnes()
    {
        string directory = NewDirectory();
        var clips = Clips().Select(c => videos.GetFile("copy-" + Path.GetFileName(c), p => File.Copy(c, p))).ToArray();

        var first = Indexer(directory, new VideoIndexerOptions { BatchSize = 2 }).Run(clips);
        var second = Indexer(directory).Run(clips);
        File.SetLastWriteTimeUtc(clips[1], DateTime.UtcNow.AddMinutes(1));
        var third = Indexer(directory).Run(clips);
        var otherCaptioner = Indexer(directory, identity: "tiny-2").Run(clips);

        Assert.Equal((3, 3, 0, 3), (first.Total, first.Indexed, first.Skipped, first.Entries));
        Assert.Equal((0, 3), (second.Indexed, second.Skipped));
        Assert.Equal((1, 2), (third.Indexed, third.Skipped));
        Assert.Equal(3, otherCaptioner.Indexed);
        Assert.Equal(3, VideoIndex.Open(directory).Entries.Count);
    }

    [Fact]
    public void FailedVideosAreReportedAndTheOthersIndexed()
    {
        string directory = NewDirectory();
        string missing = Path.Combine(videos.Directory, "gone.mp4");

        var report = Indexer(directory).Run([Clips()[0], missing, Clips()[2]]);

        Assert.Equal(2, report.Indexed);
        var failure = Assert.Single(report.Failures);
        Assert.Equal(missing, failure.Video);
        Assert.Contains("does not exist", failure.Error);
    }

    [Fact]
    public void EntriesHoldTheCaptionerOutputsForTheirClips()
    {
        string directory = NewDirectory();
        var clips = Clips();
        Indexer(directory, new VideoIndexerOptions { BatchSize = 3 }).Run(clips);

        var index = VideoIndex.Open(directory);
        var sampled = clips.Select(c => new VideoFrameSampler(TinyRandomCaptioner.Sampling).Sample(c)).ToList();
        using var scope = TensorScope.Open();
        var features = tiny.Featurizer.Featurize(sampled);
        var expected = tiny.Generator.Describe(features);

        foreach (var (clip, i) in clips.Select((c, i) => (c, i)))
        {
            int at = index.Entries.ToList().FindIndex(e => e.Source == Path.GetFullPath(clip));
            Assert.Equal(expected[i].Caption.Caption, index.Entries[at].Caption);
            Assert.Equal(expected[i].Caption.Confidence, index.Entries[at].Confidence, 6);
            Assert.Equal(expected[i].Embedding, index.Embedding(at).ToArray());
            Assert.Equal(expected[i].Prefix, index.Prefixes([at]).ToArray<Half>());
            Assert.Equal(0, index.Entries[at].Start);
            Assert.Equal(sampled[i].Info.DurationSeconds!.Value, index.Entries[at].End, 6);
        }
    }

    [Fact]
    public void LikeSearchRanksByCosineWithTheQueryOnTop()
    {
        string directory = NewDirectory();
        Indexer(directory, new VideoIndexerOptions { Timeline = new TimelineOptions { WindowSeconds = 0.5 } }).Run(Clips());
        var index = VideoIndex.Open(directory);

        for (int q = 0; q < index.Entries.Count; q++)
        {
            var hits = index.SearchLike(index.Embedding(q), k: index.Entries.Count);

            Assert.Equal(index.Entries.Count, hits.Count);
            // the query scores 1 and nothing scores more (a still picture's windows tie with it)
            Assert.Equal(1.0, hits.Single(h => h.Entry == index.Entries[q]).Score, 5);
            Assert.Equal(1.0, hits[0].Score, 5);
            Assert.All(hits, h => Assert.InRange(h.Score, -1.0 - 1e-6, 1.0 + 1e-6));
            Assert.True(hits.Zip(hits.Skip(1)).All(p => p.First.Score >= p.Second.Score));
        }
        Assert.Equal(3, index.SearchLike(index.Embedding(0), k: 3).Count);
        Assert.True(index.Entries.Count > 3);   // windows of 0.5 s: several per video, with their times
        Assert.Contains(index.Entries, e => e.Start > 0);
    }

    [Fact]
    public void TextSearchScoresAreTheTextLogLikelihoodAndRerankingKeepsTheFirstStagesBest()
    {
        string directory = NewDirectory();
        Indexer(directory, new VideoIndexerOptions { Timeline = new TimelineOptions { WindowSeconds = 0.5 } }).Run(Clips());
        var index = VideoIndex.Open(directory);
        string text = index.Entries[2].Caption.Length > 0 ? index.Entries[2].Caption : "a red circle";

        var exhaustive = index.SearchText(tiny.Generator, text, k: index.Entries.Count, rerank: 0, batchSize: 3);
        var reranked = index.SearchText(tiny.Generator, text, k: 2, rerank: 2);

        using var scope = TensorScope.Open();
        var all = Enumerable.Range(0, index.Entries.Count).ToArray();
        var direct = tiny.Generator.TextLogLikelihood(index.Prefixes(all), text);
        // every entry once, each scored as the direct computation, best first (scores within 1e-4 of each other count as
        // tied: batched and unbatched products may round them into either order)
        var ranks = exhaustive.Select(h => index.Entries.ToList().IndexOf(h.Entry)).ToList();
        Assert.Equal(all, ranks.Order());
        Assert.All(exhaustive, h => Assert.Equal(direct[index.Entries.ToList().IndexOf(h.Entry)], h.Score, 4));
        Assert.All(ranks.Zip(ranks.Skip(1)), p => Assert.True(direct[p.First] >= direct[p.Second] - 1e-4, $"entry {p.First} ranked above {p.Second}"));
        Assert.Equal(2, reranked.Count);
        Assert.All(reranked, h => Assert.True(h.Score <= exhaustive[0].Score + 1e-4));
    }

    [Fact]
    public void ParquetHoldsTheEntriesAndEmbeddings()
    {
        string directory = NewDirectory();
        Indexer(directory).Run(Clips());
        var index = VideoIndex.Open(directory);
        string parquet = Path.Combine(directory, "entries.parquet");

        index.ExportParquet(parquet);
        var rows = VideoIndex.ReadParquet(parquet);

        Assert.Equal(index.Entries, rows.Select(r => r.Entry));
        Assert.Equal(Enumerable.Range(0, index.Entries.Count).Select(i => index.Embedding(i).ToArray()), rows.Select(r => r.Embedding));
    }

    [Fact]
    public void ADirectoryThatIsNotAnIndexIsRefused()
    {
        string directory = NewDirectory();
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "notes.txt"), "x");

        Assert.Throws<DirectoryNotFoundException>(() => VideoIndex.Open(directory));
        Assert.Throws<DirectoryNotFoundException>(() => new VideoIndexStore(directory, create: true));
    }
}
