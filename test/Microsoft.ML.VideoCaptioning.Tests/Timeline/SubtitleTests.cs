using Microsoft.ML.VideoCaptioning.Subtitles;
using Microsoft.ML.VideoCaptioning.Timeline;
using Xunit;

namespace Microsoft.ML.VideoCaptioning.Tests.Timeline;

public class SubtitleTests
{
    private static readonly SubtitleCue[] Plain =
    [
        new(0, 4, "a red circle moving up"),
        new(4, 8.5, "a blue square moving down"),
        new(8.5, 3725.25, "a green triangle moving from left to right"),
    ];

    [Theory]
    [InlineData(SubtitleFormat.Srt)]
    [InlineData(SubtitleFormat.WebVtt)]
    public void PlainCuesRoundTrip(SubtitleFormat format)
    {
        var parsed = SubtitleParser.Parse(SubtitleWriter.ToString(Plain, format));

        Assert.Equal(Plain, parsed);
    }

    [Fact]
    public void TheExactTextIsWrittenAsPlayersExpect()
    {
        Assert.Equal("1\n00:00:00,000 --> 00:00:04,000\na red circle moving up\n\n", SubtitleWriter.ToString(Plain.Take(1), SubtitleFormat.Srt));
        Assert.Equal("WEBVTT\n\n1\n01:02:05.250 --> 01:02:06.000\nx\n\n", SubtitleWriter.ToString([new SubtitleCue(3725.25, 3726, "x")], SubtitleFormat.WebVtt));
    }

    [Fact]
    public void WebVttEscapesWhatWouldBreakACueAndTheParserUndoesIt()
    {
        var cue = new SubtitleCue(1, 2, "arrows --> & <b>tags</b>\n\n  second line  ");

        string vtt = SubtitleWriter.ToString([cue], SubtitleFormat.WebVtt);
        var back = Assert.Single(SubtitleParser.Parse(vtt));

        Assert.Contains("arrows --&gt; &amp; &lt;b&gt;tags&lt;/b&gt;\nsecond line\n", vtt);
        Assert.Equal("arrows --> & <b>tags</b>\nsecond line", back.Text);   // blank line and padding dropped, nothing else lost
        Assert.Equal((1.0, 2.0), (back.Start, back.End));
    }

    [Fact]
    public void SrtCannotBeBrokenByTheText()
    {
        var cues = new[] { new SubtitleCue(0, 1, "a --> b\n\n2\n00:00:05,000 --> 00:00:06,000\n<i>x</i>"), new SubtitleCue(1, 2, "next") };

        var back = SubtitleParser.Parse(SubtitleWriter.ToString(cues, SubtitleFormat.Srt));

        Assert.Equal(2, back.Count);
        Assert.Equal("a -> b\n2\n00:00:05,000 -> 00:00:06,000\n‹i>x‹/i>", back[0].Text);
        Assert.Equal((1.0, 2.0, "next"), (back[1].Start, back[1].End, back[1].Text));
    }

    [Theory]
    [InlineData(SubtitleFormat.Srt)]
    [InlineData(SubtitleFormat.WebVtt)]
    public void TimesNeverGoBackwards(SubtitleFormat format)
    {
        var cues = new[] { new SubtitleCue(0, 2, "a"), new SubtitleCue(1.5, 1.5, "b"), new SubtitleCue(1.0, 3, "c"), new SubtitleCue(-1, 0.0004, "d") };

        var back = SubtitleParser.Parse(SubtitleWriter.ToString(cues, format));

        Assert.Equal(4, back.Count);
        for (int i = 0; i < back.Count; i++)
        {
            Assert.True(back[i].End > back[i].Start);
            if (i > 0) Assert.True(back[i].Start >= back[i - 1].End);
        }
    }

    [Fact]
    public void EmptyTextGetsNoCue()
    {
        var back = SubtitleParser.Parse(SubtitleWriter.ToString([new SubtitleCue(0, 1, " \n "), new SubtitleCue(1, 2, "b")], SubtitleFormat.Srt));

        Assert.Equal([new SubtitleCue(1, 2, "b")], back);
    }

    [Fact]
    public void AdjacentWindowsWithTheSameCaptionMergeAndSegmentsTileTheVideo()
    {
        static WindowCaption W(int i, string? caption, double confidence = -0.5) =>
            new(new TimelineWindow(i, i * 4, i * 4 + 4), caption, caption == null ? double.NaN : confidence, caption == null ? new DamagedRange(i * 4, i * 4 + 4, "bad") : null);
        var windows = new[] { W(0, "a", -0.2), W(1, "a ", -0.4), W(2, "b"), W(3, null), W(4, null), W(5, "b"), W(6, "b") };

        var segments = TimelineSegment.Merge(windows, 27.5);

        Assert.Equal([("a", 0.0, 8.0, 2), ("b", 8.0, 12.0, 1), (null, 12.0, 20.0, 2), ("b", 20.0, 27.5, 2)],
            segments.Select(s => (s.Caption, s.Start, s.End, s.Windows)));
        Assert.Equal(-0.3, segments[0].Confidence!.Value, 12);
        Assert.Null(segments[2].Confidence);
        Assert.NotNull(segments[2].Damage);
        Assert.Equal(["a", "b", "b"], TimelineSegment.ToCues(segments).Select(c => c.Text));
    }
}
