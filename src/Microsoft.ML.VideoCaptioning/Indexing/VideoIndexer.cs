using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Features;
using Microsoft.ML.VideoCaptioning.Models;
using Microsoft.ML.VideoCaptioning.Timeline;
using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning.Indexing;

/// <summary>
/// Fills a <see cref="VideoIndexStore"/>: per video (or per window of a long video) the caption, its confidence, the
/// embedding and the visual prefix, from one Q-Former pass per batch. Resumable like featurization: videos whose shard is
/// current are skipped, every finished video is on disk, failed videos are reported and the run goes on.
/// </summary>
public sealed class VideoIndexer
{
    private readonly VideoIndexStore _store;
    private readonly Func<IReadOnlyList<SampledClip>, Tensor> _featurize;
    private readonly CaptionGenerator _generator;
    private readonly VideoFrameSampler.Options _sampling;
    private readonly VideoIndexerOptions _options;
    private readonly string _producer;

    /// <summary>Creates an indexer.</summary>
    /// <param name="store">The index.</param>
    /// <param name="captionerIdentity">Identifies the captioner (e.g. a hash of its model file): shards made by another are redone.</param>
    /// <param name="featurize">Encodes a batch of clips to features (B, N, visual_dim), into the caller's tensor scope.</param>
    /// <param name="generator">Captions, embeds and gives the visual prefixes.</param>
    /// <param name="sampling">How clips (or windows) are sampled; the encoder's frame count and crop.</param>
    /// <param name="options">Batching and timeline settings.</param>
    public VideoIndexer(VideoIndexStore store, string captionerIdentity, Func<IReadOnlyList<SampledClip>, Tensor> featurize, CaptionGenerator generator,
        VideoFrameSampler.Options sampling, VideoIndexerOptions? options = null)
    {
        _store = store;
        _featurize = featurize;
        _generator = generator;
        _sampling = sampling;
        _options = options ?? new VideoIndexerOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.BatchSize, 1, nameof(VideoIndexerOptions.BatchSize));
        var t = _options.Timeline;
        _producer = $"{captionerIdentity};{VJepaFeaturizer.DescribePreprocessing(sampling)};" + (t == null ? "clip"
            : string.Create(CultureInfo.InvariantCulture, $"timeline={t.WindowSeconds}/{t.Stride}/{(t.Scenes ? $"scenes>{t.SceneThreshold}" : "fixed")}"));
    }

    /// <summary>Indexes the videos (duplicates once), skipping those already current; <paramref name="log"/> hears of each video written (failures are in the report).</summary>
    public IndexReport Run(IEnumerable<string> videos, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var all = videos.Select(Path.GetFullPath).Distinct().ToList();
        var todo = all.Where(v => !_store.IsCurrent(v, _producer)).ToList();
        var failures = new List<IndexFailure>();
        int indexed = 0, entries = 0, damaged = 0;
        var open = new List<VideoAccumulator>();
        var batch = new List<(VideoAccumulator Video, TimelineWindow Window, SampledClip Clip)>();

        void Describe()
        {
            if (batch.Count == 0) return;
            using var scope = TensorScope.Open();
            var described = _generator.Describe(_featurize(batch.Select(b => b.Clip).ToList()));
            for (int i = 0; i < batch.Count; i++)
                batch[i].Video.Add(batch[i].Window, described[i]);
            batch.Clear();
        }

        void WriteFinished()
        {
            foreach (var video in open.Where(v => v.Ended && v.Pending == 0).ToList())
            {
                open.Remove(video);
                if (video.Count == 0) continue;   // every window damaged: nothing to keep, a rerun tries again
                _store.Write(video.Path, _producer, video.ToIndexedVideo());
                indexed++;
                entries += video.Count;
                log?.Invoke($"{video.Path}: {video.Count} entries");
            }
        }

        foreach (var (path, window, clip, error) in Clips(todo, cancellationToken))
        {
            if (error != null)
                failures.Add(new IndexFailure(path, error));
            var video = open.LastOrDefault(v => v.Path == path);
            if (video == null && error == null)
                open.Add(video = new VideoAccumulator(path));
            if (clip != null)
            {
                video!.Pending++;
                batch.Add((video, window!, clip));
                if (batch.Count == _options.BatchSize) Describe();
            }
            else if (window != null)
            {
                damaged++;
            }
            else if (video != null)
            {
                video.Ended = true;
            }
            WriteFinished();
            cancellationToken.ThrowIfCancellationRequested();
        }
        Describe();
        WriteFinished();
        return new IndexReport(all.Count, indexed, all.Count - todo.Count, failures, entries, damaged, clock.Elapsed.TotalSeconds);
    }

    // Per video: its clips (window and clip), damaged windows (window, no clip), then an end marker (no window, no clip);
    // or one error. In clip mode the whole video is one window.
    private IEnumerable<(string Path, TimelineWindow? Window, SampledClip? Clip, string? Error)> Clips(List<string> videos, CancellationToken cancellationToken)
    {
        if (_options.Timeline == null)
        {
            foreach (var result in new VideoFrameSampler(_sampling).SampleMany(videos, _options.DecodeParallelism, cancellationToken))
            {
                if (!result.Succeeded)
                {
                    yield return (result.Path, null, null, result.Error!.Message);
                    continue;
                }
                var info = result.Clip!.Info;
                double end = info.DurationSeconds ?? (info.FrameRate > 0 ? info.FrameCount / info.FrameRate : 0);
                yield return (result.Path, new TimelineWindow(0, 0, end), result.Clip, null);
                yield return (result.Path, null, null, null);
            }
            yield break;
        }
        var reader = new VideoTimelineReader(_sampling, _options.Timeline);
        foreach (string path in videos)
        {
            var timeline = TryOpen(reader, path, cancellationToken, out string? error);
            if (timeline == null)
            {
                yield return (path, null, null, error);
                continue;
            }
            foreach (var clip in timeline.ReadClips(cancellationToken))
                yield return (path, clip.Window, clip.Clip, null);
            yield return (path, null, null, null);
        }
    }

    private static VideoTimeline? TryOpen(VideoTimelineReader reader, string path, CancellationToken cancellationToken, out string? error)
    {
        try
        {
            error = null;
            return reader.Open(path, cancellationToken);
        }
        catch (VideoDecodeException e)
        {
            error = e.Message;
            return null;
        }
    }

    private sealed class VideoAccumulator(string path)
    {
        private readonly List<(TimelineWindow Window, VisualDescription Description)> _done = [];

        public string Path { get; } = path;
        public int Pending { get; set; }
        public bool Ended { get; set; }
        public int Count => _done.Count;

        public void Add(TimelineWindow window, VisualDescription description)
        {
            _done.Add((window, description));
            Pending--;
        }

        public IndexedVideo ToIndexedVideo()
        {
            var ordered = _done.OrderBy(d => d.Window.Index).ToList();
            var entries = ordered.Select(d => new VideoIndexEntry(Path, d.Window.Start, d.Window.End, d.Description.Caption.Caption, d.Description.Caption.Confidence)).ToList();
            int dim = ordered[0].Description.Embedding.Length;
            int hidden = dim;   // the prefix rows are queries × hidden, and the embedding is their mean over the queries
            return new IndexedVideo(entries, ordered.SelectMany(d => d.Description.Embedding).ToArray(),
                ordered.SelectMany(d => d.Description.Prefix).ToArray(), dim, ordered[0].Description.Prefix.Length / hidden);
        }
    }
}
