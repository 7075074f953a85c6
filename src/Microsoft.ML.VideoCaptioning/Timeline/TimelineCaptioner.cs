using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Features;
using Microsoft.ML.VideoCaptioning.Models;
using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning.Timeline;

/// <summary>
/// Captions long videos window by window: one decoding pass per video (<see cref="VideoTimelineReader"/>), windows featurized
/// and captioned in batches while decoding runs ahead, adjacent windows with the same caption merged into segments.
/// </summary>
public sealed class TimelineCaptioner
{
    private readonly VideoTimelineReader _reader;
    private readonly Func<IReadOnlyList<SampledClip>, Tensor> _featurize;
    private readonly CaptionGenerator _generator;
    private readonly int _batchSize;

    /// <summary>Creates a timeline captioner from its pieces.</summary>
    /// <param name="reader">Cuts and samples the videos (its frame count and crop must be the encoder's).</param>
    /// <param name="featurize">Encodes a batch of clips to features (B, N, visual_dim) (e.g. <see cref="VJepaFeaturizer.Featurize"/>), into the caller's tensor scope.</param>
    /// <param name="generator">Writes the captions.</param>
    /// <param name="batchSize">Windows per featurize and generate call.</param>
    public TimelineCaptioner(VideoTimelineReader reader, Func<IReadOnlyList<SampledClip>, Tensor> featurize, CaptionGenerator generator, int batchSize = 8)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _reader = reader;
        _featurize = featurize;
        _generator = generator;
        _batchSize = batchSize;
    }

    /// <summary>Creates a timeline captioner over a V-JEPA 2 featurizer.</summary>
    public TimelineCaptioner(VideoTimelineReader reader, VJepaFeaturizer featurizer, CaptionGenerator generator, int batchSize = 8)
        : this(reader, featurizer.Featurize, generator, batchSize)
    {
    }

    /// <summary>The reader that cuts the videos.</summary>
    public VideoTimelineReader Reader => _reader;

    /// <summary>Captions one video.</summary>
    /// <exception cref="VideoDecodeException">The video is missing (<see cref="VideoDecodeReason.FileNotFound"/>) or unreadable.</exception>
    public TimelineResult Caption(string videoPath, CancellationToken cancellationToken = default)
    {
        var timeline = _reader.Open(videoPath, cancellationToken);
        var windows = CaptionWindows(timeline, cancellationToken).ToList();
        var damage = timeline.ListingDamage.Concat(windows.Select(w => w.Damage).OfType<DamagedRange>()).Distinct().OrderBy(d => d.Start).ToList();
        return new TimelineResult(videoPath, timeline.DurationSeconds, windows, TimelineSegment.Merge(windows, timeline.DurationSeconds), damage, timeline.DecodeErrors);
    }

    /// <summary>The caption of every window of an opened timeline, in order, as batches finish (one row per window).</summary>
    public IEnumerable<WindowCaption> CaptionWindows(VideoTimeline timeline, CancellationToken cancellationToken = default)
    {
        foreach (var batch in timeline.ReadClips(cancellationToken).Chunk(_batchSize))
        {
            var decoded = batch.Where(c => c.Succeeded).ToList();
            var captions = decoded.Count > 0 ? CaptionClips(decoded.Select(c => c.Clip!).ToList()) : [];
            int next = 0;
            foreach (var clip in batch)
            {
                yield return clip.Succeeded
                    ? new WindowCaption(clip.Window, captions[next].Caption, captions[next++].Confidence, null)
                    : new WindowCaption(clip.Window, null, double.NaN, clip.Damage);
            }
        }
    }

    private IReadOnlyList<ScoredCaption> CaptionClips(IReadOnlyList<SampledClip> clips)
    {
        using var scope = TensorScope.Open();   // owns the features
        return _generator.Caption(_featurize(clips));
    }
}
