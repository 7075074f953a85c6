using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Tests.Pipeline;
using Microsoft.ML.VideoCaptioning.Tests.Video;
using Microsoft.ML.VideoCaptioning.Timeline;
using Microsoft.ML.VideoCaptioning.Video;
using Xunit;

namespace Microsoft.ML.VideoCaptioning.Tests.Timeline;

/// <summary>Timeline captions through the trained model: <c>ml.VideoCaptioning().CaptionTimeline</c>, one video or an IDataView of many.</summary>
public class TimelineApiTests(TinyPipelineFixture f, GeneratedVideos videos) : IClassFixture<TinyPipelineFixture>, IClassFixture<GeneratedVideos>
{
    private string Testsrc() => videos.Get("testsrc7.mp4", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=7", "-c:v", "libx264", "-pix_fmt", "yuv420p");

    [Fact]
    public void TheMethodCaptionsEachWindowAsTheModelCaptionsThatStretchAsAClip()
    {
        var ml = new MLContext();
        string path = Testsrc();

        var result = ml.VideoCaptioning().CaptionTimeline(f.Model, path, new TimelineOptions { WindowSeconds = 3 });

        Assert.True(result.Windows.Count >= 2);
        Assert.Equal(0, result.Windows[0].Window.Start);
        Assert.Equal(result.DurationSeconds, result.Windows[^1].Window.End, 6);
        Assert.All(result.Windows.Zip(result.Windows.Skip(1)), p => Assert.Equal(p.First.Window.End, p.Second.Window.Start));
        // the model's own transform, on each window sampled as a clip with the model's sampling, gives the same captions
        var parts = TrainedCaptioner.From(f.Model);
        var clips = result.Windows.Select(w =>
        {
            var o = parts.Sampling.Clone();
            (o.StartSeconds, o.EndSeconds) = (w.Window.Start, w.Window.End);
            return new VideoFrameSampler(o).Sample(path);
        }).ToList();
        using var scope = TensorScope.Open();
        Assert.Equal(parts.Generator.Caption(parts.Featurizer.Featurize(clips)).Select(c => c.Caption), result.Windows.Select(w => w.Caption));
        Assert.Equal(result.Windows.Count, result.Segments.Sum(s => s.Windows));
    }

    [Fact]
    public void TheDataViewHasOneRowPerWindowOfTheMethodAndNamesAMissingVideo()
    {
        var ml = new MLContext();
        var warnings = new List<string>();
        ml.Log += (_, e) => { if (e.Kind == ChannelMessageKind.Warning) lock (warnings) warnings.Add(e.RawMessage); };
        string a = Testsrc(), b = f.Test[0].VideoPath, missing = Path.Combine(f.Dir, "missing.mp4");
        var options = new TimelineOptions { WindowSeconds = 2, StrideSeconds = 1.5 };
        var input = ml.Data.LoadFromEnumerable(new[] { a, missing, b }.Select(v => new VideoInput { VideoPath = v }).ToList());

        var view = ml.VideoCaptioning().CaptionTimeline(f.Model, input, options: options);

        Assert.Equal(TextDataViewType.Instance, view.Schema["VideoPath"].Type);
        Assert.Equal(NumberDataViewType.Double, view.Schema["Start"].Type);
        Assert.Equal(NumberDataViewType.Double, view.Schema["End"].Type);
        Assert.Equal(TextDataViewType.Instance, view.Schema["Caption"].Type);
        Assert.Equal(NumberDataViewType.Double, view.Schema["Confidence"].Type);
        Assert.Empty(warnings);   // lazy: nothing is decoded before a cursor reads
        var rows = ml.Data.CreateEnumerable<TimelineRow>(view, reuseRowObject: false).ToList();
        var expected = new[] { a, b }.SelectMany(v => ml.VideoCaptioning().CaptionTimeline(f.Model, v, options).Windows.Select(w => (v, w))).ToList();
        Assert.Equal(expected.Select(e => (e.v, e.w.Window.Start, e.w.Window.End, e.w.Caption)), rows.Select(r => (r.VideoPath, r.Start, r.End, (string?)r.Caption)));
        Assert.Equal(expected.Select(e => e.w.Confidence), rows.Select(r => r.Confidence), (x, y) => Math.Abs(x - y) < 1e-4);
        Assert.Contains($"{missing}: not found", warnings);
        // merged as the method merges them, the rows give the method's segments
        var again = ml.VideoCaptioning().CaptionTimeline(f.Model, a, options);
        var merged = TimelineSegment.Merge(rows.Where(r => r.VideoPath == a)
            .Select((r, i) => new WindowCaption(new TimelineWindow(i, r.Start, r.End), r.Caption, r.Confidence, null)).ToList(), again.DurationSeconds);
        Assert.Equal(again.Segments.Select(s => (s.Start, s.End, s.Caption)), merged.Select(s => (s.Start, s.End, s.Caption)));
    }

    [Fact]
    public void AModelThatDoesNotCaptionVideosItselfIsRefusedWithWhatItLacks()
    {
        var ml = new MLContext();
        var captionerOnly = ((IEnumerable<ITransformer>)f.Model).Last();
        var e = Assert.Throws<ArgumentException>(() => ml.VideoCaptioning().CaptionTimeline(captionerOnly, Testsrc()));
        Assert.Contains("a frame sampler", e.Message);
        Assert.Contains("a V-JEPA 2 featurizer", e.Message);
        var noColumn = ml.Data.LoadFromEnumerable(new[] { new { Path = "x.mp4" } });
        Assert.Contains("'VideoPath'", Assert.Throws<ArgumentOutOfRangeException>(() => ml.VideoCaptioning().CaptionTimeline(f.Model, noColumn)).Message);
    }
}
