namespace Microsoft.ML.VideoCaptioning.Video;

/// <summary>
/// The video input stage: probes a video with <c>ffprobe</c>, decodes only the sampled frames with <c>ffmpeg</c>
/// (streamed through a pipe, one frame in memory at a time) and turns them into V-JEPA 2 input with
/// <see cref="VideoPreprocessor"/>.
/// </summary>
/// <remarks>
/// <para>Frames are counted and indexed in presentation order as ffmpeg decodes them, without frame-rate
/// conversion (<c>-vsync passthrough</c>), so indices are real frame indices for variable-frame-rate video too.
/// Rotation metadata is honoured: frames come out upright and <see cref="VideoInfo.DisplayWidth"/> ×
/// <see cref="VideoInfo.DisplayHeight"/> is their size. The sample aspect ratio is ignored: frames keep their stored pixel grid.</para>
/// <para>The tools are found through <c>VIDCAP_FFMPEG</c> / <c>VIDCAP_FFPROBE</c> or <c>PATH</c>. Every ffmpeg/ffprobe
/// process is killed when sampling fails, is cancelled or times out; no temporary files are written.</para>
/// <para>Instances are immutable and thread-safe.</para>
/// </remarks>
public sealed partial class VideoFrameSampler
{
    private readonly Options _options;
    private readonly VideoPreprocessor _preprocessor;

    /// <summary>Creates a sampler; the options are copied.</summary>
    public VideoFrameSampler(Options? options = null)
    {
        options ??= new Options();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.FrameCount, 1, nameof(options.FrameCount));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.CropSize, 1, nameof(options.CropSize));
        if (!(options.FramesPerSecond > 0) || !double.IsFinite(options.FramesPerSecond))
            throw new ArgumentOutOfRangeException(nameof(options.FramesPerSecond), "FramesPerSecond must be positive.");
        if (options.StartSeconds is < 0 || options.StartSeconds is double.NaN)
            throw new ArgumentOutOfRangeException(nameof(options.StartSeconds), "StartSeconds must be zero or positive.");
        if (options.EndSeconds is { } end && !(end > (options.StartSeconds ?? 0)))
            throw new ArgumentOutOfRangeException(nameof(options.EndSeconds), "EndSeconds must be after StartSeconds.");
        if (options.Timeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(options.Timeout), "Timeout must be positive.");
        _options = options.Clone();
        _preprocessor = new VideoPreprocessor(options.CropSize, options.Uint8RoundAfterResize, options.SeedSquashTo256);
    }

    /// <summary>Samples and preprocesses one video.</summary>
    /// <param name="path">The video file.</param>
    /// <param name="cancellationToken">Kills ffmpeg/ffprobe and throws <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="VideoDecodeException">The video cannot be read; <see cref="VideoDecodeException.Reason"/> says why.</exception>
    public SampledClip Sample(string path, CancellationToken cancellationToken = default)
    {
        var pixels = new float[(long)_options.FrameCount * _preprocessor.FrameLength];
        var (info, plan) = Decode(path, cancellationToken, (probed, planned) => (ordinal, rgb) => planned.Fill(ordinal, rgb, probed, _preprocessor, pixels));
        return plan.Clip(path, info, pixels, _preprocessor, _options);
    }

    /// <summary>
    /// Samples one video like <see cref="Sample"/> but returns the selected frames as decoded uint8 RGB, without
    /// resizing or padding (e.g. for previews and overlays).
    /// </summary>
    /// <exception cref="VideoDecodeException">The video cannot be read; <see cref="VideoDecodeException.Reason"/> says why.</exception>
    public RgbClip SampleRgb(string path, CancellationToken cancellationToken = default)
    {
        byte[][] frames = [];
        var (info, plan) = Decode(path, cancellationToken, (probed, planned) =>
        {
            frames = new byte[planned.Frames.Length][];
            int size = probed.DisplayWidth * probed.DisplayHeight * 3;
            return (ordinal, rgb) => frames[ordinal] = rgb.AsSpan(0, size).ToArray();
        });
        var used = Enumerable.Range(0, plan.Slots.Length).Where(slot => plan.Slots[slot] >= 0).ToArray();
        return new RgbClip
        {
            Path = path,
            Info = info,
            Width = info.DisplayWidth,
            Height = info.DisplayHeight,
            Frames = used.Select(slot => frames[plan.SlotOrdinals[slot]]).ToArray(),
            SourceFrameIndices = used.Select(slot => plan.SourceFrameIndices[slot]).ToArray(),
        };
    }

    /// <summary>
    /// Samples many videos, at most <paramref name="maxParallelism"/> at a time, yielding one result per input path in
    /// input order as soon as it (and all before it) are done. A video that fails yields its error instead of
    /// stopping the others. Abandoning the enumeration cancels and waits for the videos still running.
    /// </summary>
    /// <param name="paths">The videos, enumerated lazily.</param>
    /// <param name="maxParallelism">Videos sampled concurrently; 0 for <see cref="Environment.ProcessorCount"/>.</param>
    /// <param name="cancellationToken">Stops everything; the enumeration then throws <see cref="OperationCanceledException"/>.</param>
    public IEnumerable<VideoSampleResult> SampleMany(IEnumerable<string> paths, int maxParallelism = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentOutOfRangeException.ThrowIfNegative(maxParallelism);
        return SampleManyIterator(paths, maxParallelism == 0 ? Environment.ProcessorCount : maxParallelism, cancellationToken);
    }

    private IEnumerable<VideoSampleResult> SampleManyIterator(IEnumerable<string> paths, int parallelism, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var running = new Queue<Task<VideoSampleResult>>();
        try
        {
            int index = 0;
            foreach (string path in paths)
            {
                if (running.Count == parallelism)
                    yield return running.Dequeue().GetAwaiter().GetResult();
                int position = index++;
                // Sampling mostly waits on ffmpeg, so each video gets its own thread rather than a pool thread.
                running.Enqueue(Task.Factory.StartNew(() => SampleOne(position, path, stop.Token), CancellationToken.None,
                    TaskCreationOptions.LongRunning, TaskScheduler.Default));
            }
            while (running.Count > 0)
                yield return running.Dequeue().GetAwaiter().GetResult();
        }
        finally
        {
            stop.Cancel();
            try
            {
                Task.WaitAll(running.ToArray());
            }
            catch (AggregateException)
            {
                // Cancelled above because nobody wants their results any more.
            }
        }
    }

    private VideoSampleResult SampleOne(int index, string path, CancellationToken cancellationToken)
    {
        try
        {
            return new VideoSampleResult(index, path, Sample(path, cancellationToken), null);
        }
        catch (Exception e) when (!(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            return new VideoSampleResult(index, path, null, e);
        }
    }

    // Probes, plans and decodes; decoding errors and short decodes are handled as TolerateCorruptTail says.
    // sinkFor(info, plan) gives the callback receiving each decoded frame of that plan.
    private (VideoInfo Info, FramePlan Plan) Decode(string path, CancellationToken cancellationToken, Func<VideoInfo, FramePlan, Action<int, byte[]>> sinkFor)
    {
        VideoProbe.EnsureExists(path);
        var session = new ToolSession(path, _options.Timeout, cancellationToken);
        var info = VideoProbe.Read(session);
        double[]? times = FramePlan.NeedsFrameTimes(_options) ? VideoProbe.ReadFrameTimes(session, info) : null;
        var plan = FramePlan.Create(info, _options, times, long.MaxValue);
        var outcome = FrameDecoder.Decode(session, info, plan, sinkFor(info, plan));
        if (Accepted(outcome, plan))
            return (info, plan);
        if (!outcome.Clean && !_options.TolerateCorruptTail)
            throw Corrupt(path, outcome, plan, "");

        // Fewer frames came out than the container declares: sample again over the frames that do decode.
        long decodable = VideoProbe.CountDecodedFrames(session, info);
        if (decodable <= 0)
        {
            throw new VideoDecodeException(VideoDecodeReason.NoDecodableFrames, path,
                $"No frame of video '{path}' can be decoded{Describe(outcome.Errors)}. Re-encode or re-download the file.");
        }
        if (!outcome.Clean && decodable * 2 < info.FrameCount)
            throw Corrupt(path, outcome, plan, $" Only {decodable} of its {info.FrameCount} frames decode, too few to sample from.");
        plan = FramePlan.Create(info, _options, times, decodable);
        outcome = FrameDecoder.Decode(session, info, plan, sinkFor(info, plan));
        return Accepted(outcome, plan) ? (info, plan) : throw Corrupt(path, outcome, plan, "");
    }

    private bool Accepted(DecodeOutcome outcome, FramePlan plan) =>
        outcome.Delivered == plan.Frames.Length && (outcome.Clean || _options.TolerateCorruptTail);

    private VideoDecodeException Corrupt(string path, DecodeOutcome outcome, FramePlan plan, string detail)
    {
        string hint = _options.TolerateCorruptTail ? "" : ", or set VideoFrameSampler.Options.TolerateCorruptTail to keep the frames that decode";
        return new VideoDecodeException(VideoDecodeReason.CorruptData, path,
            $"Video '{path}' is damaged: ffmpeg delivered {outcome.Delivered} of {plan.Frames.Length} requested frames " +
            $"(exit code {outcome.ExitCode}){Describe(outcome.Errors)}.{detail} Re-encode or re-download the file{hint}.");
    }

    private static string Describe(IReadOnlyList<string> errors) =>
        errors.Count == 0 ? "" : " and reported: " + string.Join(" | ", errors.Take(3));
}
