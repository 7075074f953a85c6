using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning.Timeline;

/// <summary>
/// One row of <see cref="VideoCaptioningCatalog.CaptionTimeline(ITransformer, IDataView, string, TimelineOptions?, int)"/>:
/// a window of a video and its caption (read them with <c>ml.Data.CreateEnumerable&lt;TimelineRow&gt;</c>).
/// </summary>
public sealed class TimelineRow
{
    /// <summary>The video, as the input row named it.</summary>
    public string VideoPath { get; set; } = "";

    /// <summary>Start of the window in seconds.</summary>
    public double Start { get; set; }

    /// <summary>End of the window in seconds.</summary>
    public double End { get; set; }

    /// <summary>The caption; empty when the window is damaged.</summary>
    public string Caption { get; set; } = "";

    /// <summary>Mean log-probability of the caption's tokens (≤ 0; nearer 0 is surer); NaN when the window is damaged.</summary>
    public double Confidence { get; set; }

    /// <summary>The rows of every video named in <paramref name="column"/>, produced while a cursor reads them.</summary>
    internal static IEnumerable<TimelineRow> Read(IDataView videos, DataViewSchema.Column column, TimelineCaptioner captioner, IHost host)
    {
        using var cursor = videos.GetRowCursor([column]);
        var getter = cursor.GetGetter<ReadOnlyMemory<char>>(column);
        var value = default(ReadOnlyMemory<char>);
        while (cursor.MoveNext())
        {
            getter(ref value);
            string path = value.ToString();
            var timeline = Open(captioner, path, host);
            if (timeline == null) continue;
            foreach (var w in captioner.CaptionWindows(timeline))
                yield return new TimelineRow { VideoPath = path, Start = w.Window.Start, End = w.Window.End, Caption = w.Caption ?? "", Confidence = w.Confidence };
        }
    }

    // The opened timeline, or null with a "video: reason" warning (see VideoFailureLog) when the video is missing or unreadable.
    private static VideoTimeline? Open(TimelineCaptioner captioner, string path, IHost host)
    {
        try
        {
            return captioner.Reader.Open(path);
        }
        catch (VideoDecodeException e)
        {
            using var ch = host.Start("Timeline captions");
            ch.Warning(VideoFailureLog.Message(path, e.Reason == VideoDecodeReason.FileNotFound ? "not found" : e.Message));
            return null;
        }
    }
}
