using Microsoft.ML.VideoCaptioning.Timeline;
using Xunit;

namespace Microsoft.ML.VideoCaptioning.Tests.Timeline;

public class TimelinePlannerTests
{
    private static (double, double)[] Spans(IReadOnlyList<TimelineWindow> windows) => windows.Select(w => (w.Start, w.End)).ToArray();

    [Fact]
    public void AVideoShorterThanOneWindowGetsOneWindow()
    {
        Assert.Equal([(0.0, 1.5)], Spans(TimelinePlanner.Fixed(1.5, 4, 4)));
        Assert.Equal([(0.0, 1.5)], Spans(TimelinePlanner.Scenes(1.5, [0.5, 1.0], 4)));
    }

    [Fact]
    public void WindowsTileTheVideoAndAShortTailJoinsThePreviousWindow()
    {
        Assert.Equal([(0.0, 4.0), (4.0, 8.0), (8.0, 10.0)], Spans(TimelinePlanner.Fixed(10, 4, 4)));
        Assert.Equal([(0.0, 4.0), (4.0, 8.5)], Spans(TimelinePlanner.Fixed(8.5, 4, 4)));
        Assert.Equal([(0.0, 4.0), (4.0, 8.0)], Spans(TimelinePlanner.Fixed(8, 4, 4)));
    }

    [Fact]
    public void AShorterStrideOverlapsWindowsUpToTheFirstThatReachesTheEnd()
    {
        Assert.Equal([(0.0, 4.0), (2.0, 6.0), (4.0, 8.0), (6.0, 9.0)], Spans(TimelinePlanner.Fixed(9, 4, 2)));
        var windows = TimelinePlanner.Fixed(9, 4, 2);
        Assert.Equal(Enumerable.Range(0, windows.Count), windows.Select(w => w.Index));
    }

    [Fact]
    public void ScenesLongerThanAWindowAreSplitIntoEqualParts()
    {
        // scenes [0, 3), [3, 8) (split in two), [8, 9.5)
        Assert.Equal([(0.0, 3.0), (3.0, 5.5), (5.5, 8.0), (8.0, 9.5)], Spans(TimelinePlanner.Scenes(9.5, [8.0, 3.0], 4)));
    }

    [Fact]
    public void VeryShortScenesJoinTheirNeighbour()
    {
        // a 0.5 s flash at 3 s joins the scene before it; a 0.2 s first scene joins the next; a 0.3 s last scene joins the one before
        Assert.Equal([(0.0, 3.5), (3.5, 7.3)], Spans(TimelinePlanner.Scenes(7.3, [0.2, 3.0, 3.5, 7.0], 4)));
    }
}
