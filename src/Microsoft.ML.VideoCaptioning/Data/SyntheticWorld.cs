using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning.Data;

/// <summary>Settings of <see cref="SyntheticWorld.Generate"/>.</summary>
public sealed record SyntheticWorldOptions
{
    /// <summary>Number of clips (train + test).</summary>
    public int Count { get; init; } = 240;
    public int Seed { get; init; }
    /// <summary>Frame side range in pixels (square frames).</summary>
    public int MinSize { get; init; } = 64;
    public int MaxSize { get; init; } = 96;
    /// <summary>Frames per clip range.</summary>
    public int MinFrames { get; init; } = 16;
    public int MaxFrames { get; init; } = 32;
    public int FramesPerSecond { get; init; } = 12;
    /// <summary>Colour × shape × motion combinations that appear only in the test split (compositional generalisation).</summary>
    public int HeldOutCombinations { get; init; } = 8;
    /// <summary>Share of the clips that are test clips (new renderings, never seen in training).</summary>
    public double TestFraction { get; init; } = 0.25;
    /// <summary>Share of the test clips drawn from the held-out combinations; the rest are new clips of seen combinations.</summary>
    public double UnseenShare { get; init; } = 0.5;
    /// <summary>
    /// Object radius range as a share of the frame side. Fixed by default: with sizes varying, a triangle of one size has
    /// the area of a circle of another, and a small random encoder cannot tell them apart from a few hundred clips.
    /// </summary>
    public double MinObjectScale { get; init; } = 0.27;
    public double MaxObjectScale { get; init; } = 0.27;
    /// <summary>How far the path may stray from the frame's centre line, as a share of the room left on either side (0 = on it).</summary>
    public double PathJitter { get; init; } = 0.15;
}

/// <summary>One generated clip; <c>Unseen</c> marks a test clip whose combination never occurs in training.</summary>
public sealed record SyntheticClip(string Id, string Video, string Color, string Shape, string Motion, IReadOnlyList<string> Captions, string Split, bool Unseen);

/// <summary>
/// A tiny synthetic video world for learning end to end without downloads: a circle, square or triangle in red, green,
/// blue or yellow moves left→right, right→left, up or down over a plain background. Each clip has a template caption plus
/// paraphrases. The test split holds new clips of the training combinations and clips of colour × shape × motion
/// combinations held out of training entirely, so test scores on the latter ("unseen") measure compositional
/// generalisation, not memorisation.
/// </summary>
public static partial class SyntheticWorld
{
    public static readonly string[] Colors = ["red", "green", "blue", "yellow"];
    public static readonly string[] Shapes = ["circle", "square", "triangle"];
    public static readonly string[] Motions = ["left to right", "right to left", "up", "down"];

    private static readonly Dictionary<string, (byte R, byte G, byte B)> Rgb = new()
    {
        ["red"] = (225, 40, 40), ["green"] = (40, 200, 70), ["blue"] = (50, 90, 235), ["yellow"] = (235, 215, 40),
    };

    /// <summary>The template caption (first) and its paraphrases.</summary>
    public static IReadOnlyList<string> Captions(string color, string shape, string motion)
    {
        var (dir, verb) = motion switch
        {
            "left to right" => ("from left to right", "slides to the right"),
            "right to left" => ("from right to left", "slides to the left"),
            "up" => ("up", "rises"),
            "down" => ("down", "falls"),
            _ => throw new ArgumentException($"unknown motion {motion}"),
        };
        return
        [
            $"a {color} {shape} moving {dir}",
            $"a {color} {shape} moves {dir}",
            $"the {color} {shape} is moving {dir}",
            $"a {shape} that is {color} moving {dir}",
            $"a {color} {shape} {verb}",
        ];
    }

    /// <summary>Colour, shape and motion named in a caption (null where none is), for per-attribute accuracy.</summary>
    public static (string? Color, string? Shape, string? Motion) ParseAttributes(string caption)
    {
        var c = caption.ToLowerInvariant();
        string? color = Colors.FirstOrDefault(x => c.Contains(x));
        string? shape = Shapes.FirstOrDefault(x => c.Contains(x));
        string? motion =
            c.Contains("left to right") || c.Contains("to the right") ? "left to right" :
            c.Contains("right to left") || c.Contains("to the left") ? "right to left" :
            c.Contains(" up") || c.Contains("rises") ? "up" :
            c.Contains(" down") || c.Contains("falls") ? "down" : null;
        return (color, shape, motion);
    }

    /// <summary>The held-out combinations for a seed (every attribute value still occurs in training).</summary>
    public static IReadOnlyList<(string Color, string Shape, string Motion)> HeldOut(int seed, int count)
    {
        var all = (from c in Colors from s in Shapes from m in Motions select (c, s, m)).ToArray();
        new Random(seed).Shuffle(all);
        return all.Take(Math.Clamp(count, 1, all.Length / 2)).ToList();
    }

    /// <summary>
    /// Renders the clips as H.264 mp4 files under <paramref name="outDir"/>/videos and writes <c>train.jsonl</c> and
    /// <c>test.jsonl</c> (one <c>{"video", "captions", "color", "shape", "motion", "unseen"}</c> object per line; paths
    /// relative to the file). Returns the clips.
    /// </summary>
    public static IReadOnlyList<SyntheticClip> Generate(string outDir, SyntheticWorldOptions? options = null, IProgress<int>? progress = null,
        CancellationToken cancellation = default)
    {
        var o = options ?? new SyntheticWorldOptions();
        if (o.Count < 2) throw new ArgumentException("Count must be at least 2.");
        if (o.MinSize < 16 || o.MaxSize < o.MinSize || o.MinFrames < 2 || o.MaxFrames < o.MinFrames)
            throw new ArgumentException("Sizes must be ≥ 16 and frame counts ≥ 2, with min ≤ max.");
        if (o.MinObjectScale <= 0 || o.MaxObjectScale < o.MinObjectScale || o.MaxObjectScale > 0.4 || o.PathJitter is < 0 or > 1)
            throw new ArgumentException("Object scales must satisfy 0 < min ≤ max ≤ 0.4, and the path jitter must be in [0, 1].");
        Directory.CreateDirectory(Path.Combine(outDir, "videos"));
        var heldOut = HeldOut(o.Seed, o.HeldOutCombinations);
        var train = (from c in Colors from s in Shapes from m in Motions select (c, s, m)).Except(heldOut).ToList();
        int testCount = Math.Max(1, (int)Math.Round(o.Count * o.TestFraction));
        var rng = new Random(o.Seed);
        int unseenCount = (int)Math.Round(testCount * o.UnseenShare);
        var specs = Enumerable.Range(0, o.Count).Select(i =>
        {
            bool test = i < testCount, unseen = i < unseenCount;
            var combo = unseen ? heldOut[i % heldOut.Count] : train[rng.Next(train.Count)];
            return (Index: i, Test: test, Unseen: unseen, Color: combo.Item1, Shape: combo.Item2, Motion: combo.Item3, Seed: rng.Next());
        }).ToList();
        int done = 0;
        var clips = new SyntheticClip[o.Count];
        Parallel.ForEach(specs, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellation }, s =>
        {
            var id = $"synth_{s.Index:D5}";
            var rel = $"videos/{id}.mp4";
            Render(Path.Combine(outDir, rel), s.Color, s.Shape, s.Motion, new Random(s.Seed), o);
            clips[s.Index] = new SyntheticClip(id, rel, s.Color, s.Shape, s.Motion, Captions(s.Color, s.Shape, s.Motion), s.Test ? "test" : "train", s.Unseen);
            progress?.Report(Interlocked.Increment(ref done));
        });
        foreach (var split in new[] { "train", "test" })
            File.WriteAllLines(Path.Combine(outDir, split + ".jsonl"), clips.Where(c => c.Split == split).Select(c => JsonSerializer.Serialize(new
            {
                id = c.Id, video = c.Video, captions = c.Captions, color = c.Color, shape = c.Shape, motion = c.Motion, unseen = c.Unseen,
            })));
        return clips;
    }

    private static void Render(string path, string color, string shape, string motion, Random rng, SyntheticWorldOptions o)
    {
        int side = rng.Next(o.MinSize / 2, o.MaxSize / 2 + 1) * 2;   // even, for yuv420p
        int frames = rng.Next(o.MinFrames, o.MaxFrames + 1);
        double r = side * (o.MinObjectScale + (o.MaxObjectScale - o.MinObjectScale) * rng.NextDouble());
        byte bg = (byte)rng.Next(10, 60);
        double across = side / 2.0 + (2 * rng.NextDouble() - 1) * o.PathJitter * (side / 2.0 - r - 2);   // position across the motion
        Encode(path, side, o.FramesPerSecond, (stdin, frame) =>
        {
            for (int f = 0; f < frames; f++)
            {
                Draw(frame, side, color, shape, motion, (double)f / (frames - 1), r, across, bg);
                stdin.Write(frame);
            }
        });
    }

    // Pipes RGB frames (side × side) into an H.264 encoder writing `path`.
    private static void Encode(string path, int side, int framesPerSecond, Action<Stream, byte[]> writeFrames)
    {
        var psi = new ProcessStartInfo(MediaTools.FFmpeg(path), [
            "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", $"{side}x{side}", "-r", framesPerSecond.ToString(),
            "-i", "pipe:0", "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p", path])
        { RedirectStandardInput = true, RedirectStandardError = true };
        using var proc = Process.Start(psi) ?? throw new InvalidOperationException("ffmpeg did not start");
        var stderr = proc.StandardError.ReadToEndAsync();
        using (var stdin = proc.StandardInput.BaseStream)
            writeFrames(stdin, new byte[side * side * 3]);
        proc.WaitForExit();
        if (proc.ExitCode != 0) throw new InvalidOperationException($"ffmpeg could not encode {path}: {stderr.Result}");
    }

    // One frame: the object (radius r, at `across` across its path) at fraction t of its pass over the background.
    private static void Draw(byte[] frame, int side, string color, string shape, string motion, double t, double r, double across, byte bg)
    {
        var (cr, cg, cb) = Rgb[color];
        double start = -r * 0.5, end = side + r * 0.5;
        double along = start + (end - start) * t;
        (double cx, double cy) = motion switch
        {
            "left to right" => (along, across),
            "right to left" => (side - along, across),
            "up" => (across, side - along),
            _ => (across, along),
        };
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++)
            {
                bool inside = Inside(shape, x + 0.5 - cx, y + 0.5 - cy, r);
                int i = (y * side + x) * 3;
                frame[i] = inside ? cr : bg;
                frame[i + 1] = inside ? cg : bg;
                frame[i + 2] = inside ? cb : bg;
            }
    }

    private static bool Inside(string shape, double dx, double dy, double r) => shape switch
    {
        "circle" => dx * dx + dy * dy <= r * r,
        "square" => Math.Abs(dx) <= r * 0.85 && Math.Abs(dy) <= r * 0.85,
        // upward triangle: apex at (0, -r), base at y = +r·0.8
        _ => dy <= r * 0.8 && dy >= -r && Math.Abs(dx) <= (dy + r) / (1.8 * r) * r,
    };
}
