using System.Buffers;
using System.Globalization;

namespace Microsoft.ML.VideoCaptioning.Video;

/// <summary>
/// Streams the planned frames out of ffmpeg as raw RGB24 (<c>-f rawvideo -pix_fmt rgb24 pipe:1</c>), one frame at a
/// time into a reused buffer: the <c>select</c> filter drops every other frame inside ffmpeg right after decoding,
/// so unneeded frames are neither converted nor piped, and <c>-frames:v</c> stops ffmpeg after the last one.
/// </summary>
internal static class FrameDecoder
{
    /// <summary>Decodes <see cref="FramePlan.Frames"/> in order, handing each to <paramref name="onFrame"/>.</summary>
    /// <param name="session">The video's tool session.</param>
    /// <param name="info">The probed video.</param>
    /// <param name="plan">The frames to deliver.</param>
    /// <param name="onFrame">Called with the frame's position in <see cref="FramePlan.Frames"/> and a buffer holding
    /// it as interleaved RGB (DisplayHeight × DisplayWidth × 3; the buffer may be longer and is reused afterwards).</param>
    public static DecodeOutcome Decode(ToolSession session, VideoInfo info, FramePlan plan, Action<int, byte[]> onFrame)
    {
        int frameBytes = checked(info.DisplayWidth * info.DisplayHeight * 3);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(frameBytes);
        try
        {
            using var process = session.StartFFmpeg(Arguments(session, info, plan));
            int delivered = 0;
            try
            {
                var output = process.Output;
                while (delivered < plan.Frames.Length
                       && output.ReadAtLeast(buffer.AsSpan(0, frameBytes), frameBytes, throwOnEndOfStream: false) == frameBytes)
                {
                    onFrame(delivered, buffer);
                    delivered++;
                }
                output.CopyTo(Stream.Null);
            }
            catch (IOException) when (process.Stopped)
            {
                // Killed for cancellation or timeout; WaitForExit reports which.
            }
            var (exitCode, errors) = process.WaitForExit();
            return new DecodeOutcome(delivered, exitCode, errors);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The filters that turn a stored frame upright (<see cref="VideoInfo.Rotation"/>).</summary>
    public static string[] RotationFilters(VideoInfo info) => info.Rotation switch
    {
        90 => ["transpose=clock"],
        180 => ["hflip", "vflip"],
        270 => ["transpose=cclock"],
        _ => [],
    };

    private static List<string> Arguments(ToolSession session, VideoInfo info, FramePlan plan)
    {
        var arguments = new List<string> { "-nostdin", "-hide_banner", "-nostats", "-v", "error" };
        if (plan.SeekSeconds > 0)
            arguments.AddRange(["-ss", plan.SeekSeconds.ToString("0.######", CultureInfo.InvariantCulture)]);
        // Rotation is applied below from VideoInfo.Rotation, so that the delivered size is the one we read.
        arguments.AddRange(["-noautorotate", "-i", session.InputArgument, "-map", $"0:{info.StreamIndex}"]);

        var filters = new List<string>();
        bool prefix = plan.Frames.Select((frame, i) => frame == i).All(x => x);
        if (!prefix)
            filters.Add("select='" + string.Join("+", plan.Frames.Select(f => $"eq(n,{f})")) + "'");
        filters.AddRange(RotationFilters(info));
        // Keeps every delivered frame at the probed size even if the stream changes resolution midway.
        filters.Add($"scale={info.DisplayWidth}:{info.DisplayHeight}");
        // Timestamps mean nothing in the raw pipe; one second per delivered frame keeps them strictly increasing
        // whatever the encoder time base, where the source's (variable-rate) ones could collide after rounding.
        filters.Add("setpts=N/TB");

        arguments.AddRange(["-vf", string.Join(",", filters),
            // Decoded frames are delivered as they are: no duplication or dropping to a constant rate (VFR input).
            "-vsync", "passthrough",
            "-frames:v", plan.Frames.Length.ToString(CultureInfo.InvariantCulture),
            "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]);
        return arguments;
    }
}
