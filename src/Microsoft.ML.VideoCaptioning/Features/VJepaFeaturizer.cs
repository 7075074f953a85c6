using System.Security.Cryptography;
using System.Text;
using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Models.VJepa2;
using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning.Features;

/// <summary>Settings of <see cref="VJepaFeaturizer"/>.</summary>
public sealed record VJepaEncoderOptions
{
    /// <summary>Device of the encoder ("auto" = CUDA when present).</summary>
    public Device Device { get; init; } = Device.Cpu;
    /// <summary>
    /// Compute type: float32 (matches Hugging Face to 1e-4), bfloat16 (within 2e-2 of float32; see <see cref="VJepa2Model.StreamType"/>
    /// for what stays float32) or float16; null (default) = <see cref="VJepaFeaturizer.DefaultComputeType"/> of the device.
    /// </summary>
    public DType? ComputeType { get; init; }
    /// <summary>Clips per encoder call; memory grows with it (ViT-L, 32 frames: about 1.3 GB of activations per clip in float32).</summary>
    public int BatchSize { get; init; } = 1;
}

/// <summary>
/// The frozen V-JEPA 2 encoder applied to sampled clips: (T, 3, crop, crop) pixels → (T/2 · (crop/16)², hidden) features,
/// in batches of <see cref="VJepaEncoderOptions.BatchSize"/> so memory is bounded.
/// </summary>
public sealed class VJepaFeaturizer : IDisposable
{
    /// <summary>The encoder.</summary>
    public VJepa2Model Model { get; }

    /// <summary>The directory the encoder was loaded from.</summary>
    public string EncoderPath { get; }

    public VJepaEncoderOptions Options { get; }

    /// <summary>The compute type in use: <see cref="VJepaEncoderOptions.ComputeType"/>, or the device's default.</summary>
    public DType ComputeType { get; }

    private readonly Lazy<string> _weightsSha256;
    private readonly Lazy<string> _identity;

    public VJepaFeaturizer(string encoderPath, VJepaEncoderOptions? options = null)
    {
        Options = options ?? new VJepaEncoderOptions();
        EncoderPath = Path.GetFullPath(encoderPath);
        ComputeType = Options.ComputeType ?? DefaultComputeType(Options.Device);
        Model = VJepa2Model.FromPretrained(EncoderPath, new TensorOptions(Options.Device.EnsureAvailable(), ComputeType));
        _weightsSha256 = new Lazy<string>(() => { using var ck = Checkpoint.Open(EncoderPath); return ck.ComputeSha256(); });
        _identity = new Lazy<string>(() => Identity(EncoderPath, WeightsSha256, ComputeType));
    }

    /// <summary>
    /// The compute type used when none is asked for: bfloat16 on CUDA and on CPUs with bf16 instructions
    /// (<see cref="CpuFeatures.HasBfloat16"/>; a ViT-L layer 3× faster than float32 on two Zen 4 cores, docs/benchmarks.md),
    /// float32 on other CPUs, which have no bf16 kernels in oneDNN (not measured here: no such machine was at hand). The
    /// featurizer, the ML.NET transformer, <c>vidcap featurize --compute auto</c> and <c>vidcap bench featurize</c> all
    /// use this rule.
    /// </summary>
    public static DType DefaultComputeType(Device device) => device.IsCuda || CpuFeatures.HasBfloat16 ? DType.BFloat16 : DType.Float32;

    /// <summary>
    /// The <see cref="EncoderIdentity"/> a featurizer of <paramref name="encoderPath"/> computing in <paramref name="computeType"/>
    /// would have, without loading the model (it hashes the files): for checking a cache.
    /// </summary>
    public static string IdentityOf(string encoderPath, DType computeType)
    {
        var dir = Path.GetFullPath(encoderPath);
        using var ck = Checkpoint.Open(dir);
        return Identity(dir, ck.ComputeSha256(), computeType);
    }

    private static string Identity(string encoderPath, string weightsSha256, DType computeType)
    {
        var cfg = File.ReadAllBytes(Path.Combine(encoderPath, "config.json"));
        return $"vjepa2:{Convert.ToHexStringLower(SHA256.HashData(cfg))[..16]}:{weightsSha256[..16]}:{computeType.Name()}";
    }

    /// <summary>
    /// "computed in A, now B" when two encoder identities differ only in the compute type (e.g. a cache filled in float32
    /// before bfloat16 became the default), else null.
    /// </summary>
    internal static string? ComputeTypeChange(string cached, string now)
    {
        int a = cached.LastIndexOf(':'), b = now.LastIndexOf(':');
        if (a < 0 || b < 0 || cached[..a] != now[..b]) return null;
        var was = cached[(a + 1)..];
        return $"computed in {was}, now {now[(b + 1)..]}; compute in {was} (--compute {was}) to use it";
    }

    /// <summary>The frame size the encoder expects (config.json crop_size).</summary>
    public int CropSize => Model.Config.CropSize;

    /// <summary>Feature width (hidden size).</summary>
    public int FeatureDim => Model.Config.HiddenSize;

    /// <summary>SHA-256 of the weight files (computed once, on first use).</summary>
    public string WeightsSha256 => _weightsSha256.Value;

    /// <summary>
    /// Identity of the encoder for cache keys: config hash, weights hash and compute type (computed once). Features
    /// computed in another type are therefore stale for this featurizer, never mixed in.
    /// </summary>
    public string EncoderIdentity => _identity.Value;

    /// <summary>Tokens per clip of <paramref name="frames"/> frames: max(T, tubelet) / tubelet · (crop / patch)², as the encoder makes them.</summary>
    public int TokenCount(int frames)
    {
        var c = Model.Config;
        return Math.Max(frames, c.TubeletSize) / c.TubeletSize * (c.CropSize / c.PatchSize) * (c.CropSize / c.PatchSize);
    }

    /// <summary>Features of one batch of clips: a float32 (B, N, hidden) tensor on the CPU (caller disposes).</summary>
    public Tensor Featurize(IReadOnlyList<SampledClip> clips)
    {
        if (clips.Count == 0) throw new ArgumentException("No clips.");
        foreach (var c in clips)
            if (c.Height != CropSize || c.Width != CropSize)
                throw new ArgumentException($"{c.Path}: frames are {c.Width}×{c.Height} but the encoder expects {CropSize}×{CropSize}; sample with CropSize = {CropSize}.");
        using var scope = TensorScope.Open();
        using var noGrad = Torch.NoGrad();
        var batch = Tensor.Stack(clips.Select(c => Tensor.From<float>(c.Pixels, [c.FrameCount, 3, c.Height, c.Width])).ToList(), 0);
        return Model.GetVisionFeatures(batch).To(Device.Cpu, DType.Float32).MoveToOuterScope();
    }

    /// <summary>
    /// Features (N, hidden) of many clips, <see cref="VJepaEncoderOptions.BatchSize"/> at a time, in input order; the caller
    /// owns and disposes each tensor.
    /// </summary>
    public IEnumerable<(SampledClip Clip, Tensor Features)> FeaturizeAll(IEnumerable<SampledClip> clips)
    {
        var pending = new List<SampledClip>(Options.BatchSize);
        foreach (var c in clips)
        {
            pending.Add(c);
            if (pending.Count == Options.BatchSize)
            {
                foreach (var r in Flush(pending)) yield return r;
                pending.Clear();
            }
        }
        if (pending.Count > 0) foreach (var r in Flush(pending)) yield return r;
    }

    // No scope stays open across a yield (scopes are LIFO per thread): the rows are split off first and handed over.
    private List<(SampledClip, Tensor)> Flush(List<SampledClip> clips)
    {
        using var scope = TensorScope.Open();
        var batch = Featurize(clips);
        return clips.Select((c, i) => (c, batch.Select(0, i).Contiguous().DetachFromScope())).ToList();
    }

    public void Dispose() => Model.Dispose();

    /// <summary>A short description of the preprocessing, for cache keys.</summary>
    public static string DescribePreprocessing(VideoFrameSampler.Options o)
    {
        var sb = new StringBuilder();
        sb.Append($"frames={o.FrameCount};mode={o.Mode};crop={o.CropSize};resize={o.ResizeShortestEdge};seed_squash={o.SeedSquashTo256};u8round={o.Uint8RoundAfterResize}");
        if (o.Mode == FrameSamplingMode.FrameRate) sb.Append($";fps={o.FramesPerSecond}");
        if (o.StartSeconds != null || o.EndSeconds != null) sb.Append($";window={o.StartSeconds}-{o.EndSeconds}");
        return sb.ToString();
    }
}
