using System.Globalization;
using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning.Timeline;

/// <summary>
/// Finds shot changes with ffmpeg's scene score (<c>select='gt(scene,T)'</c>) in one decoding pass over a copy scaled to at
/// most 320 pixels wide (the score compares whole frames, so detail does not matter and the pass stays cheap).
/// </summary>
internal static class SceneDetector
{
    /// <summary>Times (seconds from the container start, as <c>VideoProbe.ReadFrameTimes</c>) of the first frame of each new scene.</summary>
    public static double[] Detect(ToolSession session, VideoInfo info, double threshold)
    {
        using var log = new FrameLog(info.StartTimeSeconds);
        string t = threshold.ToString("0.######", CultureInfo.InvariantCulture);
        using var process = session.StartFFmpeg(["-nostdin", "-hide_banner", "-nostats", "-loglevel", "level+info", "-copyts", "-noautorotate",
            "-i", session.InputArgument, "-map", $"0:{info.StreamIndex}",
            "-vf", $"scale='min(320,iw)':-2,select='gt(scene,{t})',showinfo=checksum=0", "-an", "-f", "null", "-"], consumeLine: log.Consume);
        process.Output.CopyTo(Stream.Null);
        var (exitCode, errors) = process.WaitForExit();
        if (exitCode != 0)
        {
            throw new VideoDecodeException(VideoDecodeReason.CorruptData, session.VideoPath,
                $"Scene detection on '{session.VideoPath}' failed (ffmpeg exit code {exitCode}{(errors.Count > 0 ? ": " + errors[^1] : "")}). " +
                "Use fixed windows instead of scenes, or re-encode the file.");
        }
        return log.Seen.Where(double.IsFinite).ToArray();
    }
}
