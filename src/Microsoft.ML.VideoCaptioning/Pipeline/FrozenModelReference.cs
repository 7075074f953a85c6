using System.Security.Cryptography;
using Microsoft.ML;
using Microsoft.ML.VideoCaptioning.Engine;

namespace Microsoft.ML.VideoCaptioning;

/// <summary>A model zip that cannot be loaded; the message names the file or entry and what to do.</summary>
public sealed class ModelPackageException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Settings for loading a captioning model zip, used by <see cref="VideoCaptioningCatalog.LoadModel"/> (a plain
/// <c>mlContext.Model.Load</c> uses the defaults: the frozen models at their recorded paths, hashes verified).
/// </summary>
public sealed record VideoCaptioningLoadOptions
{
    /// <summary>Use this encoder directory instead of the recorded path (its hashes are still checked).</summary>
    public string? EncoderPath { get; init; }
    /// <summary>Use this language-model directory instead of the recorded path (its hashes are still checked).</summary>
    public string? LanguageModelPath { get; init; }
    /// <summary>Accept frozen models whose config or weights differ from the ones trained with.</summary>
    public bool SkipFrozenModelVerification { get; init; }
    /// <summary>Feature cache for the featurizer step (default: the one it was trained with, if any).</summary>
    public string? FeatureCacheDirectory { get; init; }
    /// <summary>
    /// Compute type of the language model (default: bfloat16 on CUDA; as saved on the CPU, where a float32 model's decoder
    /// layers multiply in bfloat16 if the CPU has bfloat16 dot products). Setting it turns that mixed precision off.
    /// </summary>
    public DType? LanguageModelDType { get; init; }

    private static readonly AsyncLocal<VideoCaptioningLoadOptions?> Ambient = new();

    /// <summary>The options of the load in progress on this flow (defaults outside <see cref="VideoCaptioningCatalog.LoadModel"/>).</summary>
    internal static VideoCaptioningLoadOptions Current => Ambient.Value ?? new();

    internal static T With<T>(VideoCaptioningLoadOptions options, Func<T> load)
    {
        var previous = Ambient.Value;
        Ambient.Value = options;
        try { return load(); }
        finally { Ambient.Value = previous; }
    }
}

/// <summary>
/// A frozen Hugging Face model directory as recorded in the model zip: its path and the SHA-256 of its config.json and
/// weights, checked at load; or, when embedded, its files inside the zip.
/// </summary>
internal sealed record FrozenModelReference(string Path, string ConfigSha256, string WeightsSha256, bool Embedded)
{
    private static readonly string[] ExtraFiles = ["config.json", "model.safetensors.index.json"];

    public static FrozenModelReference Of(string directory, bool embed, string? weightsSha256 = null)
    {
        var dir = System.IO.Path.GetFullPath(directory);
        using var ck = Checkpoint.Open(dir);
        return new FrozenModelReference(dir, Sha256File(System.IO.Path.Combine(dir, "config.json")), weightsSha256 ?? ck.ComputeSha256(), embed);
    }

    internal static string Sha256File(string path)
    {
        using var fs = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(fs));
    }

    /// <summary>Writes the reference (and with <see cref="Embedded"/> the files) into the transformer's part of the zip.</summary>
    public void Save(ModelSaveContext ctx, string role)
    {
        ctx.Writer.Write(Path);
        ctx.Writer.Write(ConfigSha256);
        ctx.Writer.Write(WeightsSha256);
        ctx.Writer.Write(Embedded);
        if (!Embedded) return;
        using var ck = Checkpoint.Open(Path);
        var files = ck.Files.Concat(ExtraFiles.Select(f => System.IO.Path.Combine(Path, f))).Where(File.Exists).Distinct().ToList();
        ctx.Writer.Write(files.Count);
        foreach (var f in files)
        {
            var name = System.IO.Path.GetFileName(f);
            ctx.Writer.Write(name);
            MLNet.SaveStream(ctx, $"{role}.{name}", s =>
            {
                using var src = File.OpenRead(f);
                src.CopyTo(s);
            });
        }
    }

    public static FrozenModelReference Read(ModelLoadContext ctx, out List<string> embeddedFiles)
    {
        var r = new FrozenModelReference(ctx.Reader.ReadString(), ctx.Reader.ReadString(), ctx.Reader.ReadString(), ctx.Reader.ReadBoolean());
        embeddedFiles = [];
        if (r.Embedded)
        {
            int n = ctx.Reader.ReadInt32();
            if (n is < 1 or > 10_000) throw new ModelPackageException($"The model zip lists {n} embedded files; it is corrupt.");
            for (int i = 0; i < n; i++) embeddedFiles.Add(SafeName(ctx.Reader.ReadString()));
        }
        return r;
    }

    /// <summary>A file name from the zip that cannot point outside the folder it is extracted to.</summary>
    internal static string SafeName(string name) =>
        name.Length == 0 || name != System.IO.Path.GetFileName(name) || name is "." or ".." || name.IndexOfAny(System.IO.Path.GetInvalidFileNameChars()) >= 0
            ? throw new ModelPackageException($"The model zip names a file '{name}' that is not a plain file name; refusing to load it.")
            : name;

    /// <summary>
    /// The directory to load: the override, the embedded copy (extracted into <paramref name="scratch"/>), or the
    /// recorded path; its hashes verified unless <see cref="VideoCaptioningLoadOptions.SkipFrozenModelVerification"/>.
    /// </summary>
    public string Resolve(ModelLoadContext ctx, string role, IReadOnlyList<string> embeddedFiles, string? overridePath, bool skipVerification,
        TemporaryDirectory scratch, string flag)
    {
        string dir;
        if (overridePath == null && Embedded)
        {
            dir = scratch.Create(role);
            foreach (var name in embeddedFiles)
            {
                var target = System.IO.Path.Combine(dir, name);
                if (!MLNet.TryLoadStream(ctx, $"{role}.{name}", s =>
                    {
                        using var dst = File.Create(target);
                        s.CopyTo(dst);
                    }))
                    throw new ModelPackageException($"The model zip lacks the embedded {role} file '{name}'; it is truncated or corrupt.");
            }
        }
        else dir = overridePath ?? Path;
        if (!Directory.Exists(dir))
            throw new ModelPackageException($"The {role} this model references is not at {dir}. Download it there, or point {flag} at its directory.");
        if (skipVerification) return dir;
        var cfg = System.IO.Path.Combine(dir, "config.json");
        if (!File.Exists(cfg) || Sha256File(cfg) != ConfigSha256)
            throw new ModelPackageException($"The {role} at {dir} has a different config.json than the one the model was trained with. " +
                "Use the original model, or set SkipFrozenModelVerification (--no-verify) to accept it anyway.");
        using var ck = Checkpoint.Open(dir);
        if (ck.ComputeSha256() != WeightsSha256)
            throw new ModelPackageException($"The {role} weights at {dir} differ from the ones the model was trained with (sha256 mismatch). " +
                "Use the original weights, or set SkipFrozenModelVerification (--no-verify) to accept them anyway.");
        return dir;
    }
}

/// <summary>A private temporary folder removed on dispose (or at exit): where embedded files are extracted.</summary>
internal sealed class TemporaryDirectory : IDisposable
{
    private readonly Lazy<string> _root = new(() => System.IO.Directory.CreateTempSubdirectory("vidcap-model-").FullName);

    public string Create(string name)
    {
        var d = Path.Combine(_root.Value, FrozenModelReference.SafeName(name));
        System.IO.Directory.CreateDirectory(d);
        return d;
    }

    public void Dispose()
    {
        if (!_root.IsValueCreated) return;
        try { System.IO.Directory.Delete(_root.Value, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
