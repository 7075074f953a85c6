using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning.Indexing;

/// <summary>
/// The index on disk: a directory with a <c>vidcap-index.json</c> marker and one safetensors shard per video under
/// <c>shards/</c>, holding <c>embeddings</c> (n, dim) float32 and <c>prefixes</c> (n, queries, hidden) float16, with the
/// entries (times, caption, confidence) and what produced them (captioner identity, sampling, the video's size and
/// modification time) in the metadata. Shards are written atomically, so an interrupted run loses at most the video in
/// progress, and a rerun skips every video whose shard is current (<see cref="IsCurrent"/>).
/// </summary>
public sealed class VideoIndexStore
{
    /// <summary>Name of the marker file that makes a directory an index.</summary>
    public const string MarkerFile = "vidcap-index.json";

    private const string Version = "1";

    /// <summary>Opens an index directory, creating it when <paramref name="create"/> and absent.</summary>
    /// <exception cref="DirectoryNotFoundException">The directory is not an index (and <paramref name="create"/> is false).</exception>
    public VideoIndexStore(string directory, bool create)
    {
        Directory = Path.GetFullPath(directory);
        string marker = Path.Combine(Directory, MarkerFile);
        if (!File.Exists(marker))
        {
            if (!create || (System.IO.Directory.Exists(Directory) && System.IO.Directory.EnumerateFileSystemEntries(Directory).Any()))
            {
                throw new DirectoryNotFoundException(create
                    ? $"'{Directory}' exists and is not a video index (no {MarkerFile}); choose a new or empty directory."
                    : $"'{Directory}' is not a video index (no {MarkerFile}); build one with 'vidcap index'.");
            }
            System.IO.Directory.CreateDirectory(Path.Combine(Directory, "shards"));
            File.WriteAllText(marker, JsonSerializer.Serialize(new { format = "vidcap-index", version = Version }));
        }
    }

    /// <summary>The index directory.</summary>
    public string Directory { get; }

    /// <summary>The shard files, in name order.</summary>
    public IReadOnlyList<string> Shards => System.IO.Directory.GetFiles(Path.Combine(Directory, "shards"), "*.safetensors").Order(StringComparer.Ordinal).ToList();

    /// <summary>The shard of a video: its file name plus a hash of its full path.</summary>
    public string ShardFor(string videoPath)
    {
        string full = Path.GetFullPath(videoPath);
        string stem = new(Path.GetFileNameWithoutExtension(full).Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').Take(80).ToArray());
        return Path.Combine(Directory, "shards", $"{stem}-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(full)))[..12]}.safetensors");
    }

    /// <summary>Whether the video's shard exists and was made from this version of the video with this captioner and sampling.</summary>
    public bool IsCurrent(string videoPath, string producer)
    {
        string shard = ShardFor(videoPath);
        if (!File.Exists(shard)) return false;
        try
        {
            using var file = SafeTensorsFile.Open(shard);
            return Expected(videoPath, producer).All(kv => file.Metadata.TryGetValue(kv.Key, out var value) && value == kv.Value);
        }
        catch (SafeTensorsFormatException)
        {
            return false;
        }
    }

    /// <summary>Writes (atomically) the shard of one video.</summary>
    /// <param name="videoPath">The video.</param>
    /// <param name="producer">Identity of the captioner and sampling that produced the entries (compared by <see cref="IsCurrent"/>).</param>
    /// <param name="video">The entries with their embeddings and prefixes.</param>
    public void Write(string videoPath, string producer, IndexedVideo video)
    {
        int n = video.Entries.Count;
        if (n == 0) throw new ArgumentException("A shard needs at least one entry.", nameof(video));
        var meta = Expected(videoPath, producer);
        meta["vidcap.entries"] = JsonSerializer.Serialize(video.Entries);
        using var scope = TensorScope.Open();
        long hidden = video.Prefixes.Length / ((long)n * video.Queries);
        SafeTensorsFile.Save(ShardFor(videoPath),
        [
            KeyValuePair.Create("embeddings", Tensor.From<float>(video.Embeddings, [n, video.Dim])),
            KeyValuePair.Create("prefixes", Tensor.From<Half>(video.Prefixes, [n, video.Queries, hidden])),
        ], meta);
    }

    /// <summary>Reads one shard.</summary>
    public static IndexedVideo Read(string shard, bool withPrefixes)
    {
        using var file = SafeTensorsFile.Open(shard);
        var entries = JsonSerializer.Deserialize<List<VideoIndexEntry>>(file.Metadata["vidcap.entries"])
            ?? throw new InvalidDataException($"Index shard '{shard}' has no entries.");
        using var scope = TensorScope.Open();
        var embeddings = file.Read("embeddings", dtype: DType.Float32);
        int dim = (int)embeddings.Size(1);
        var prefixes = withPrefixes ? file.Read("prefixes") : null;
        return new IndexedVideo(entries, embeddings.ToFloatArray(), prefixes?.ToArray<Half>() ?? [], dim, (int)(prefixes?.Size(1) ?? 0));
    }

    private static Dictionary<string, string> Expected(string videoPath, string producer)
    {
        var info = VideoFile.Resolve(videoPath);
        return new Dictionary<string, string>
        {
            ["vidcap.index_version"] = Version,
            ["vidcap.producer"] = producer,
            ["vidcap.video_path"] = Path.GetFullPath(videoPath),
            ["vidcap.video_size"] = info.Exists ? info.Length.ToString() : "",
            ["vidcap.video_mtime"] = info.Exists ? info.LastWriteTimeUtc.Ticks.ToString() : "",
        };
    }
}
