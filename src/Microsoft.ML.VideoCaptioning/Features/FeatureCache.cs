using System.Security.Cryptography;
using System.Text;
using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning.Features;

/// <summary>State of one video in a <see cref="FeatureCache"/>.</summary>
public enum CacheEntryState
{
    Missing,
    /// <summary>Present but written with another encoder, other preprocessing, or from an older version of the video.</summary>
    Stale,
    Valid,
}

/// <summary>
/// Cached encoder features: one safetensors file per video holding <c>features</c> (N, hidden) in float16 or bfloat16 and
/// metadata (encoder identity with its weights hash, preprocessing, frame counts, the video's size and modification time).
/// Files are written atomically; reads are memory-mapped. An entry is stale, and recomputed, when any of these differ.
/// </summary>
public sealed class FeatureCache
{
    public const string FeaturesTensor = "features";
    private const string Version = "1";

    /// <summary>The cache directory.</summary>
    public string Directory { get; }

    public FeatureCache(string directory)
    {
        Directory = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(Directory);
    }

    /// <summary>The cache file of a video: its file name plus a hash of its full path (so equal names do not collide).</summary>
    public string PathFor(string videoPath)
    {
        var full = Path.GetFullPath(videoPath);
        var stem = new string(Path.GetFileNameWithoutExtension(full).Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray());
        if (stem.Length > 80) stem = stem[..80];
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(full)))[..12];
        return Path.Combine(Directory, $"{stem}-{hash}.safetensors");
    }

    private static Dictionary<string, string> Expected(string videoPath, string encoderIdentity, string preprocessing)
    {
        var fi = VideoFile.Resolve(videoPath);
        return new Dictionary<string, string>
        {
            ["vidcap.version"] = Version,
            ["vidcap.encoder"] = encoderIdentity,
            ["vidcap.preprocessing"] = preprocessing,
            ["vidcap.video_size"] = fi.Exists ? fi.Length.ToString() : "",
            ["vidcap.video_mtime"] = fi.Exists ? fi.LastWriteTimeUtc.Ticks.ToString() : "",
        };
    }

    /// <summary>Whether the cached features of <paramref name="videoPath"/> can be used, and why not.</summary>
    public (CacheEntryState State, string? Reason) Check(string videoPath, string encoderIdentity, string preprocessing)
    {
        var file = PathFor(videoPath);
        if (!File.Exists(file)) return (CacheEntryState.Missing, null);
        try
        {
            using var f = SafeTensorsFile.Open(file);
            if (!f.Tensors.ContainsKey(FeaturesTensor)) return (CacheEntryState.Stale, "no features tensor");
            foreach (var (k, v) in Expected(videoPath, encoderIdentity, preprocessing))
                if (!f.Metadata.TryGetValue(k, out var got) || got != v)
                    return (CacheEntryState.Stale, k == "vidcap.encoder" && got != null && VJepaFeaturizer.ComputeTypeChange(got, v) is { } why ? $"{k} changed: {why}" : $"{k} changed");
            return (CacheEntryState.Valid, null);
        }
        catch (SafeTensorsFormatException e)
        {
            return (CacheEntryState.Stale, "unreadable: " + e.Message);
        }
    }

    /// <summary>Writes features (N, hidden) of a video atomically in <paramref name="storage"/> (float16 or bfloat16).</summary>
    public void Write(string videoPath, Tensor features, string encoderIdentity, string preprocessing, DType storage,
        IReadOnlyDictionary<string, string>? extra = null)
    {
        if (storage is not (DType.Float16 or DType.BFloat16 or DType.Float32))
            throw new ArgumentException($"Cache storage must be float16, bfloat16 or float32, not {storage.Name()}.");
        var meta = Expected(videoPath, encoderIdentity, preprocessing);
        meta["vidcap.video_path"] = Path.GetFullPath(videoPath);
        if (extra != null) foreach (var (k, v) in extra) meta[k] = v;
        using var scope = TensorScope.Open();
        SafeTensorsFile.Save(PathFor(videoPath), [KeyValuePair.Create(FeaturesTensor, features.To(Device.Cpu, storage))], meta);
    }

    /// <summary>The cached features of a video as float32 (N, hidden).</summary>
    public Tensor Read(string videoPath)
    {
        var file = PathFor(videoPath);
        if (!File.Exists(file)) throw new FileNotFoundException($"No cached features for {videoPath} (expected {file}); run 'vidcap featurize' first.", file);
        using var f = SafeTensorsFile.Open(file);
        return f.Read(FeaturesTensor, dtype: DType.Float32);
    }

    /// <summary>A loader for training: reads (memory-mapped) on each call.</summary>
    public Func<Tensor> Loader(string videoPath) => () => Read(videoPath);
}
