using System.Globalization;

namespace Microsoft.ML.VideoCaptioning.Video;

/// <summary>
/// Which frames one clip is made of. Indices are relative to the time window (the first frame at or after
/// <see cref="SeekSeconds"/> is 0), which is also how ffmpeg's <c>select</c> filter counts them after <c>-ss</c>.
/// </summary>
internal sealed class FramePlan
{
    // ffprobe prints times with 6 decimals.
    private const double TimeEpsilon = 1e-6;

    private FramePlan(int[] slots, int firstFrame, double seekSeconds)
    {
        Slots = slots;
        Frames = slots.Where(s => s >= 0).Distinct().Order().ToArray();
        SlotOrdinals = slots.Select(s => s >= 0 ? Array.BinarySearch(Frames, s) : -1).ToArray();
        FirstFrame = firstFrame;
        SeekSeconds = seekSeconds;
        SourceFrameIndices = slots.Select(s => s >= 0 ? firstFrame + s : -1).ToArray();
    }

    /// <summary>Per output slot: the window-relative frame index, or −1 for a padding frame.</summary>
    public int[] Slots { get; }

    /// <summary>The distinct frames to decode, ascending (the order ffmpeg delivers them in).</summary>
    public int[] Frames { get; }

    /// <summary>Per output slot: the position of its frame in <see cref="Frames"/>, or −1 for padding.</summary>
    public int[] SlotOrdinals { get; }

    /// <summary>Index, in the whole video, of window frame 0.</summary>
    public int FirstFrame { get; }

    /// <summary>Where ffmpeg seeks to (<c>-ss</c>) before decoding; 0 for no seek.</summary>
    public double SeekSeconds { get; }

    /// <summary>Index in the whole video of each slot's frame, −1 for padding.</summary>
    public int[] SourceFrameIndices { get; }

    /// <summary>
    /// Preprocesses decoded frame <paramref name="ordinal"/> (its index in <see cref="Frames"/>) into the first slot
    /// showing it and copies it to the others (frame-rate sampling can repeat frames).
    /// </summary>
    public void Fill(int ordinal, byte[] rgb, VideoInfo info, VideoPreprocessor preprocessor, float[] pixels)
    {
        int length = preprocessor.FrameLength;
        int first = Array.IndexOf(SlotOrdinals, ordinal);
        preprocessor.Preprocess(rgb, info.DisplayHeight, info.DisplayWidth, pixels, first * length);
        for (int slot = first + 1; slot < Slots.Length; slot++)
            if (SlotOrdinals[slot] == ordinal)
                Array.Copy(pixels, first * length, pixels, slot * length, length);
    }

    /// <summary>The finished clip of <paramref name="pixels"/>: slots past the video's end are written black.</summary>
    public SampledClip Clip(string path, VideoInfo info, float[] pixels, VideoPreprocessor preprocessor, VideoFrameSampler.Options options)
    {
        for (int slot = 0; slot < Slots.Length; slot++)
            if (Slots[slot] < 0)
                preprocessor.WriteBlackFrame(pixels, slot * preprocessor.FrameLength);
        return new SampledClip
        {
            Path = path,
            Info = info,
            Pixels = pixels,
            FrameCount = options.FrameCount,
            Height = options.CropSize,
            Width = options.CropSize,
            ValidMask = Slots.Select(s => s >= 0).ToArray(),
            SourceFrameIndices = SourceFrameIndices,
        };
    }

    /// <summary>
    /// The seed's uniform indices for <paramref name="frames"/> frames and <paramref name="count"/> slots:
    /// <c>np.linspace(0, n − 1, N).astype(int)</c> when n ≥ N (the last one is n − 1 exactly, as numpy sets it),
    /// otherwise <c>0..n−1</c> followed by −1 padding.
    /// </summary>
    public static int[] UniformIndices(int frames, int count)
    {
        var slots = new int[count];
        if (frames < count)
        {
            for (int i = 0; i < count; i++)
                slots[i] = i < frames ? i : -1;
            return slots;
        }
        if (count == 1)
            return slots;
        double step = (double)(frames - 1) / (count - 1);
        for (int i = 0; i < count - 1; i++)
            slots[i] = (int)Math.Floor(i * step);
        slots[count - 1] = frames - 1;
        return slots;
    }

    /// <summary>Whether <see cref="Create"/> needs the frame timestamps for these options.</summary>
    public static bool NeedsFrameTimes(VideoFrameSampler.Options options) =>
        options.Mode == FrameSamplingMode.FrameRate || options.StartSeconds is not null || options.EndSeconds is not null;

    /// <summary>Plans a clip.</summary>
    /// <param name="info">The probed video.</param>
    /// <param name="options">Sampling options.</param>
    /// <param name="frameTimes">Ascending frame times from the container start (required when <see cref="NeedsFrameTimes"/>).</param>
    /// <param name="frameLimit">Only the first this many frames of the video are usable (all of them unless decoding fell short).</param>
    public static FramePlan Create(VideoInfo info, VideoFrameSampler.Options options, double[]? frameTimes, long frameLimit)
    {
        if (!NeedsFrameTimes(options))
        {
            int available = (int)Math.Min(Math.Min(info.FrameCount, frameLimit), int.MaxValue);
            if (available <= 0)
                throw NoFrames(info.Path, "");
            return new FramePlan(UniformIndices(available, options.FrameCount), 0, 0);
        }

        var times = frameTimes ?? throw new InvalidOperationException("Frame times are required for time windows and frame-rate sampling.");
        int usable = (int)Math.Min(times.Length, frameLimit);
        double start = options.StartSeconds ?? 0, end = options.EndSeconds ?? double.PositiveInfinity;
        int first = CountBefore(times, usable, start), last = CountBefore(times, usable, end);
        int count = last - first;
        if (count <= 0)
        {
            string window = string.Create(CultureInfo.InvariantCulture, $" between {start} s and {end} s (the video has {usable} frames)");
            throw NoFrames(info.Path, window);
        }
        int[] slots = options.Mode == FrameSamplingMode.Uniform
            ? UniformIndices(count, options.FrameCount)
            : RateIndices(times.AsSpan(first, count), options.FramesPerSecond, options.FrameCount);
        return new FramePlan(slots, first, start > 0 ? start : 0);
    }

    // One frame every 1/fps seconds from the first frame: the last frame whose time is not after the sampling time.
    private static int[] RateIndices(ReadOnlySpan<double> times, double framesPerSecond, int count)
    {
        var slots = new int[count];
        Array.Fill(slots, -1);
        double origin = times[0], span = times[^1] - origin;
        int frame = 0;
        for (int k = 0; k < count; k++)
        {
            double t = k / framesPerSecond;
            if (t > span + TimeEpsilon)
                break;
            while (frame + 1 < times.Length && times[frame + 1] - origin <= t + TimeEpsilon)
                frame++;
            slots[k] = frame;
        }
        return slots;
    }

    // Number of the first `usable` frames whose time is before `seconds` (a frame within rounding of it counts as at it).
    private static int CountBefore(double[] times, int usable, double seconds)
    {
        int n = 0;
        while (n < usable && times[n] < seconds - TimeEpsilon)
            n++;
        return n;
    }

    private static VideoDecodeException NoFrames(string path, string where) =>
        new(VideoDecodeReason.NoDecodableFrames, path,
            $"Video '{path}' has no frames{where}. Check the file, or widen StartSeconds/EndSeconds.");
}
