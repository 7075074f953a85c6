using System.Globalization;
using System.Text.Json;

namespace Microsoft.ML.VideoCaptioning.Video;

/// <summary>Reads a video's stream properties with <c>ffprobe</c>.</summary>
public static class VideoProbe
{
    /// <summary>Time allowed for probing (and, in <see cref="VideoFrameSampler"/>, for decoding) when none is given.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(10);

    /// <summary>Probes the first video stream of <paramref name="path"/>.</summary>
    /// <param name="path">The video file.</param>
    /// <param name="timeout">Time allowed for the ffprobe runs; <see cref="DefaultTimeout"/> when null.</param>
    /// <param name="cancellationToken">Stops ffprobe and throws <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="VideoDecodeException">
    /// <see cref="VideoDecodeReason.FileNotFound"/>, <see cref="VideoDecodeReason.NotAVideo"/>,
    /// <see cref="VideoDecodeReason.NoVideoStream"/>, <see cref="VideoDecodeReason.ToolMissing"/> or
    /// <see cref="VideoDecodeReason.Timeout"/>.
    /// </exception>
    public static VideoInfo Probe(string path, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        EnsureExists(path);
        return Read(new ToolSession(path, timeout ?? DefaultTimeout, cancellationToken));
    }

    internal static void EnsureExists(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new VideoDecodeException(VideoDecodeReason.FileNotFound, path,
                $"Video file '{path}' does not exist (full path '{Path.GetFullPath(path)}'). Check the path.");
        }
    }

    internal static VideoInfo Read(ToolSession session)
    {
        string path = session.VideoPath;
        if (VideoFile.Resolve(path).Length == 0)
            throw new VideoDecodeException(VideoDecodeReason.NotAVideo, path, $"Video file '{path}' is empty (0 bytes). Replace it with a complete copy.");

        // -count_packets demuxes the whole file (no decoding), for containers that do not record a frame count;
        // decoding reads the file to its last sampled frame anyway.
        var output = session.RunFFprobe(["-v", "error", "-count_packets", "-print_format", "json", "-show_format", "-show_streams", "-i", session.InputArgument]);
        using var json = TryParse(output.Text);
        if (output.ExitCode != 0 || json is null || !json.RootElement.TryGetProperty("format", out var format))
        {
            throw new VideoDecodeException(VideoDecodeReason.NotAVideo, path,
                $"'{path}' is not a video file ffprobe can read{Describe(output.Errors)}. Check that the file is a complete video (e.g. mp4, webm, mkv, gif).");
        }

        var streams = json.RootElement.TryGetProperty("streams", out var list) ? list.EnumerateArray().ToList() : [];
        var video = streams.FirstOrDefault(s => String(s, "codec_type") == "video" && !IsAttachedPicture(s));
        if (video.ValueKind != JsonValueKind.Object)
        {
            string found = streams.Count == 0 ? "no streams" : "only " + string.Join(", ", streams.Select(s => String(s, "codec_type") ?? "unknown").Distinct()) + " streams";
            throw new VideoDecodeException(VideoDecodeReason.NoVideoStream, path,
                $"'{path}' has no video stream ({found}). Pass a file that contains video.");
        }

        int index = video.GetProperty("index").GetInt32();
        int width = Int(video, "width"), height = Int(video, "height");
        long frames = Long(video, "nb_frames") is > 0 and var declared ? declared : Long(video, "nb_read_packets");
        if (width <= 0 || height <= 0)
        {
            throw new VideoDecodeException(VideoDecodeReason.NoDecodableFrames, path,
                $"The video stream of '{path}' has no frame size, so it holds no decodable frame. Check that the file is complete.");
        }

        double rate = Rate(String(video, "avg_frame_rate"));
        return new VideoInfo
        {
            Path = path,
            ContainerFormat = String(format, "format_name") ?? "",
            StreamIndex = index,
            Codec = String(video, "codec_name") ?? "",
            PixelFormat = String(video, "pix_fmt") ?? "",
            Width = width,
            Height = height,
            Rotation = Rotation(video),
            FrameRate = rate > 0 ? rate : Rate(String(video, "r_frame_rate")),
            DurationSeconds = Seconds(String(video, "duration")) ?? Seconds(String(format, "duration")),
            StartTimeSeconds = Seconds(String(format, "start_time")) ?? 0,
            FrameCount = frames,
        };
    }

    /// <summary>
    /// Presentation times of all frames of the video stream, in seconds from the container start (the origin of
    /// ffmpeg's <c>-ss</c>), ascending: the packets' pts (dts when a packet has none), sorted.
    /// </summary>
    internal static double[] ReadFrameTimes(ToolSession session, VideoInfo info) => ReadFrameTimes(session, info, out _);

    /// <summary>Like <see cref="ReadFrameTimes(ToolSession, VideoInfo)"/>, also giving what ffprobe reported (damage it met while demuxing).</summary>
    internal static double[] ReadFrameTimes(ToolSession session, VideoInfo info, out IReadOnlyList<string> errors)
    {
        var output = session.RunFFprobe(["-v", "error", "-select_streams", Invariant(info.StreamIndex),
            "-show_entries", "packet=pts_time,dts_time", "-of", "csv=p=0", "-i", session.InputArgument]);
        var times = new List<double>();
        double previous = 0;
        foreach (string line in output.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] fields = line.Split(',');
            double? time = Seconds(fields[0]) ?? (fields.Length > 1 ? Seconds(fields[1]) : null);
            previous = time ?? previous;
            times.Add(previous - info.StartTimeSeconds);
        }
        times.Sort();
        errors = output.Errors;
        return times.ToArray();
    }

    /// <summary>Number of frames the decoder actually produces (ffprobe <c>-count_frames</c>; decodes the whole stream).</summary>
    internal static long CountDecodedFrames(ToolSession session, VideoInfo info)
    {
        var output = session.RunFFprobe(["-v", "error", "-select_streams", Invariant(info.StreamIndex), "-count_frames",
            "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", "-i", session.InputArgument]);
        return long.TryParse(output.Text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long count) ? count : 0;
    }

    private static int Rotation(JsonElement stream)
    {
        double? counterClockwise = null;
        if (stream.TryGetProperty("side_data_list", out var sideData))
        {
            foreach (var entry in sideData.EnumerateArray())
                if (entry.TryGetProperty("rotation", out var r) && r.TryGetDouble(out double degrees))
                    counterClockwise ??= degrees;
        }
        double clockwise;
        if (counterClockwise is { } ccw)
            clockwise = -ccw;
        else if (stream.TryGetProperty("tags", out var tags) && double.TryParse(String(tags, "rotate"), NumberStyles.Float, CultureInfo.InvariantCulture, out double tag))
            clockwise = tag;
        else
            return 0;
        int quarterTurns = (int)Math.Round(clockwise / 90.0);
        return ((quarterTurns % 4) + 4) % 4 * 90;
    }

    private static bool IsAttachedPicture(JsonElement stream) =>
        stream.TryGetProperty("disposition", out var d) && d.TryGetProperty("attached_pic", out var a) && a.ValueKind == JsonValueKind.Number && a.GetInt32() == 1;

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText() : null;

    private static long Long(JsonElement element, string name) =>
        long.TryParse(String(element, name), NumberStyles.Integer, CultureInfo.InvariantCulture, out long value) ? value : 0;

    private static int Int(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.TryGetInt32(out int result) ? result : 0;

    private static double? Seconds(string? text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value) ? value : null;

    private static double Rate(string? fraction)
    {
        string[] parts = (fraction ?? "").Split('/');
        return parts.Length == 2
            && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double num)
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double den) && den > 0
            ? num / den
            : 0;
    }

    private static JsonDocument? TryParse(string text)
    {
        try
        {
            return JsonDocument.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Describe(IReadOnlyList<string> errors) => errors.Count == 0 ? "" : $" (ffprobe: {errors[^1]})";

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
