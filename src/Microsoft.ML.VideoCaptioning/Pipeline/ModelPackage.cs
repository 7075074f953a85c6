using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.VideoCaptioning.Engine;

namespace Microsoft.ML.VideoCaptioning.Pipeline;

/// <summary>A model zip that cannot be loaded; the message names the file, the entry and what to do.</summary>
public sealed class ModelPackageException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>How a model zip is written.</summary>
public sealed record ModelSaveOptions
{
    /// <summary>Copy the frozen encoder and language model into the zip (large, but self-contained); default: reference them by path and hash.</summary>
    public bool EmbedFrozenModels { get; init; }
}

/// <summary>How a model zip is read.</summary>
public sealed record ModelLoadOptions
{
    /// <summary>Device for all steps ("auto" = CUDA when present).</summary>
    public Device Device { get; init; } = Device.Cpu;
    /// <summary>Use this encoder directory instead of the path recorded in the manifest (hashes are still checked).</summary>
    public string? EncoderPath { get; init; }
    /// <summary>Use this language-model directory instead of the recorded path (hashes are still checked).</summary>
    public string? LanguageModelPath { get; init; }
    /// <summary>Accept frozen models whose config or weights hash differs from the manifest (the explicit override).</summary>
    public bool SkipFrozenModelVerification { get; init; }
    /// <summary>Compute type of the language model (default: bfloat16 on CUDA, as saved on the CPU).</summary>
    public DType? LanguageModelDType { get; init; }
    /// <summary>Feature cache for the featurizer step (null = none).</summary>
    public string? FeatureCacheDirectory { get; init; }
    /// <summary>Largest accepted zip entry (uncompressed).</summary>
    public long MaxEntryBytes { get; init; } = 16L << 30;
    /// <summary>Largest accepted total (uncompressed).</summary>
    public long MaxTotalBytes { get; init; } = 32L << 30;
}

/// <summary>Writes a model zip: a versioned manifest.json plus the files each step stages.</summary>
public sealed class ModelPackageWriter : IDisposable
{
    public const string Format = "vidcap-model";
    public const int Version = 1;
    private readonly string _staging = Directory.CreateTempSubdirectory("vidcap-save-").FullName;
    private readonly ModelSaveOptions _options;

    internal ModelPackageWriter(ModelSaveOptions options) => _options = options;

    /// <summary>A folder inside the package to write files into.</summary>
    public string Staging(string folder)
    {
        var d = Path.Combine(_staging, folder);
        Directory.CreateDirectory(d);
        return d;
    }

    /// <summary>Records (and with <see cref="ModelSaveOptions.EmbedFrozenModels"/> copies) a frozen Hugging Face model directory.</summary>
    public JsonObject FrozenModel(string dir, string folder, string? weightsSha256)
    {
        dir = Path.GetFullPath(dir);
        using var ck = Checkpoint.Open(dir);
        var node = new JsonObject
        {
            ["path"] = dir,
            ["config_sha256"] = Sha256File(Path.Combine(dir, "config.json")),
            ["weights_sha256"] = weightsSha256 ?? ck.ComputeSha256(),
            ["embedded"] = _options.EmbedFrozenModels,
        };
        if (_options.EmbedFrozenModels)
        {
            var target = Staging(folder);
            foreach (var f in ck.Files.Append(Path.Combine(dir, "config.json")).Append(Path.Combine(dir, "model.safetensors.index.json")).Where(File.Exists))
                File.Copy(f, Path.Combine(target, Path.GetFileName(f)));
        }
        return node;
    }

    internal static string Sha256File(string path)
    {
        using var fs = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(fs));
    }

    /// <summary>Writes manifest + staged files to <paramref name="path"/> atomically.</summary>
    internal void Commit(string path, JsonObject manifest)
    {
        File.WriteAllText(Path.Combine(_staging, "manifest.json"), manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var tmp = full + $".{Environment.ProcessId}.tmp";
        try
        {
            if (File.Exists(tmp)) File.Delete(tmp);
            ZipFile.CreateFromDirectory(_staging, tmp, CompressionLevel.Fastest, includeBaseDirectory: false);
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    public void Dispose() => Directory.Delete(_staging, true);
}

/// <summary>Reads a model zip safely: entries must stay inside their folder and within the size limits.</summary>
public sealed class ModelPackageReader : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("vidcap-load-").FullName;

    public string Source { get; }
    public ModelLoadOptions Options { get; }
    public JsonObject Manifest { get; }

    internal ModelPackageReader(string zipPath, ModelLoadOptions options)
    {
        Source = zipPath;
        Options = options;
        try
        {
            if (!File.Exists(zipPath)) throw new ModelPackageException($"Model file not found: {zipPath}.");
            using var zip = OpenZip(zipPath);
            long total = 0;
            foreach (var e in zip.Entries)
            {
                var target = Path.GetFullPath(Path.Combine(_root, e.FullName));
                if (Path.IsPathRooted(e.FullName) || !target.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                    throw new ModelPackageException($"{zipPath}: entry '{e.FullName}' escapes the package folder; refusing to load this file.");
                if (e.Length > options.MaxEntryBytes)
                    throw new ModelPackageException($"{zipPath}: entry '{e.FullName}' is {e.Length} bytes, over the {options.MaxEntryBytes}-byte limit (ModelLoadOptions.MaxEntryBytes).");
                total += e.Length;
                if (total > options.MaxTotalBytes)
                    throw new ModelPackageException($"{zipPath}: uncompressed content exceeds {options.MaxTotalBytes} bytes (ModelLoadOptions.MaxTotalBytes).");
                if (e.FullName.EndsWith('/')) { Directory.CreateDirectory(target); continue; }
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                using var src = e.Open();
                using var dst = File.Create(target);
                CopyBounded(src, dst, e.Length, zipPath, e.FullName);
            }
            var manifestPath = Path.Combine(_root, "manifest.json");
            if (!File.Exists(manifestPath)) throw new ModelPackageException($"{zipPath}: no manifest.json; this is not a vidcap model.");
            var node = JsonNode.Parse(File.ReadAllText(manifestPath)) as JsonObject ?? throw new ModelPackageException($"{zipPath}: manifest.json is not an object.");
            if (node["format"]?.GetValue<string>() != ModelPackageWriter.Format) throw new ModelPackageException($"{zipPath}: not a vidcap model (format '{node["format"]}').");
            int version = node["version"]?.GetValue<int>() ?? -1;
            if (version != ModelPackageWriter.Version)
                throw new ModelPackageException($"{zipPath}: manifest version {version} is not supported by this library (reads version {ModelPackageWriter.Version}); update Microsoft.ML.VideoCaptioning.");
            Manifest = node;
        }
        catch (Exception e) when (e is InvalidDataException or JsonException)
        {
            Dispose();
            throw new ModelPackageException($"{zipPath}: not a readable model zip ({e.Message}).", e);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private static ZipArchive OpenZip(string path)
    {
        try { return ZipFile.OpenRead(path); }
        catch (InvalidDataException e) { throw new ModelPackageException($"{path}: not a zip file ({e.Message}).", e); }
    }

    // The declared length can lie: stop at the limit whatever the stream delivers.
    private void CopyBounded(Stream src, Stream dst, long declared, string zip, string entry)
    {
        var buffer = new byte[1 << 20];
        long copied = 0;
        int n;
        while ((n = src.Read(buffer)) > 0)
        {
            copied += n;
            if (copied > declared || copied > Options.MaxEntryBytes)
                throw new ModelPackageException($"{zip}: entry '{entry}' holds more data than it declares; the file is corrupt or hostile.");
            dst.Write(buffer, 0, n);
        }
    }

    /// <summary>A file of the package (must exist).</summary>
    public string EntryFile(string relative)
    {
        var p = Path.Combine(_root, relative);
        return System.IO.File.Exists(p) ? p : throw new ModelPackageException($"{Source}: entry '{relative}' is missing.");
    }

    /// <summary>A folder of the package (must exist).</summary>
    public string EntryDirectory(string relative)
    {
        var p = Path.Combine(_root, relative);
        return System.IO.Directory.Exists(p) ? p : throw new ModelPackageException($"{Source}: folder '{relative}' is missing.");
    }

    /// <summary>The directory of a frozen model: embedded, overridden, or the recorded path, with its hashes verified.</summary>
    public string FrozenModel(JsonObject node, string folder, string role)
    {
        bool embedded = node["embedded"]?.GetValue<bool>() == true;
        string? over = role == "encoder" ? Options.EncoderPath : Options.LanguageModelPath;
        string dir = embedded && over == null ? EntryDirectory(folder) : over ?? node["path"]!.GetValue<string>();
        string flag = role == "encoder" ? "EncoderPath (--encoder)" : "LanguageModelPath (--language-model)";
        if (!System.IO.Directory.Exists(dir))
            throw new ModelPackageException($"{Source}: the {role} it references is not at {dir}. Download it there, or point {flag} at its directory.");
        if (Options.SkipFrozenModelVerification) return dir;
        var cfg = Path.Combine(dir, "config.json");
        if (!System.IO.File.Exists(cfg) || ModelPackageWriter.Sha256File(cfg) != node["config_sha256"]!.GetValue<string>())
            throw new ModelPackageException($"{Source}: the {role} at {dir} has a different config.json than the one the model was trained with. " +
                "Use the original model, or set SkipFrozenModelVerification (--no-verify) to accept it anyway.");
        using var ck = Checkpoint.Open(dir);
        if (ck.ComputeSha256() != node["weights_sha256"]!.GetValue<string>())
            throw new ModelPackageException($"{Source}: the {role} weights at {dir} differ from the ones the model was trained with (sha256 mismatch). " +
                "Use the original weights, or set SkipFrozenModelVerification (--no-verify) to accept them anyway.");
        return dir;
    }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(_root, true); } catch (IOException) { }
    }
}
