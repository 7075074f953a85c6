using Microsoft.ML.VideoCaptioning.Data;
using Microsoft.ML.VideoCaptioning.Tests.Video;
using Microsoft.ML.VideoCaptioning.Timeline;
using Microsoft.ML.VideoCaptioning.Video;
using Xunit;

namespace Microsoft.ML.VideoCaptioning.Tests.Timeline;

public class SyntheticSequenceTests(GeneratedVideos videos) : IClassFixture<GeneratedVideos>
{
    [Fact]
    public void EachSegmentShowsItsObjectInItsOwnWindows()
    {
        string path = Path.Combine(videos.Directory, "sequence.mp4");
        SyntheticSegment[] segments = [new("red", "circle", "left to right", 2), new("blue", "square", "up", 1), new("green", "triangle", "down", 1)];

        var starts = SyntheticWorld.RenderSequence(path, segments, side: 48, framesPerPass: 24);   // 12 fps: 2 s a pass

        Assert.Equal([0.0, 4.0, 6.0], starts);
        var timeline = new VideoTimelineReader(new VideoFrameSampler.Options { FrameCount = 8, CropSize = 32 }, new TimelineOptions { WindowSeconds = 2 }).Open(path);
        Assert.Equal([(0.0, 2.0), (2.0, 4.0), (4.0, 6.0), (6.0, 8.0)], timeline.Windows.Select(w => (w.Start, w.End)));
        (byte R, byte G, byte B)[] colours = [(225, 40, 40), (225, 40, 40), (50, 90, 235), (40, 200, 70)];
        foreach (var (window, colour) in timeline.Windows.Zip(colours))
        {
            var clip = new VideoFrameSampler(new VideoFrameSampler.Options { FrameCount = 8, StartSeconds = window.Start, EndSeconds = window.End }).SampleRgb(path);
            // the middle frame of the pass has the object in the middle of the frame
            byte[] middle = clip.Frames[4];
            int centre = (24 * 48 + 24) * 3;
            Assert.InRange(middle[centre], colour.R - 20, colour.R + 20);
            Assert.InRange(middle[centre + 1], colour.G - 20, colour.G + 20);
            Assert.InRange(middle[centre + 2], colour.B - 20, colour.B + 20);
        }
    }
}
