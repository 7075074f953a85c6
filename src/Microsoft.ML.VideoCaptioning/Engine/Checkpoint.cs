using System.Security.Cryptography;
using System.Text.Json;

namespace Microsoft.ML.VideoCaptioning.Engine;

/// <summary>
/// The weights of a Hugging Face model directory: <c>model.safetensors</c>, or shards listed by
/// <c>model.safetensors.index.json</c> (<c>weight_map</c>: tensor name → file), or a single safetensors file.
/// </summary>
public sealed class Checkpoint : IDisposable
{
    private readonly Dictionary<string, SafeTensorsFile> _byTensor = new();
    private readonly List<SafeTensorsFile> _files = new();

    /// <summary>The directory or file that was opened.</summary>
    public string Source { get; }

    /// <summary>The safetensors files, in a stable order.</summary>
    public IReadOnlyList<string> Files => _files.Select(f => f.Path).ToList();

    private Checkpoint(string source) => Source = source;

    /// <summary>Opens a model directory or a single .safetensors file.</summary>
    public static Checkpoint Open(string dirOrFile)
    {
        var ck = new Checkpoint(dirOrFile);
        try
        {
            if (File.Exists(dirOrFile)) ck.Add(SafeTensorsFile.Open(dirOrFile));
            else if (Directory.Exists(dirOrFile)) ck.OpenDirectory(dirOrFile);
            else throw new DirectoryNotFoundException($"Model weights not found: '{dirOrFile}' is neither a directory nor a file.");
            return ck;
        }
        catch
        {
            ck.Dispose();
            throw;
        }
    }

    private void OpenDirectory(string dir)
    {
        var index = Path.Combine(dir, "model.safetensors.index.json");
        var single = Path.Combine(dir, "model.safetensors");
        if (File.Exists(index))
        {
            Dictionary<string, string> map;
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllBytes(index));
                if (!doc.RootElement.TryGetProperty("weight_map", out var wm) || wm.ValueKind != JsonValueKind.Object)
                    throw new SafeTensorsFormatException($"{index}: no \"weight_map\" object.");
                map = wm.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
            }
            catch (JsonException e) { throw new SafeTensorsFormatException($"{index}: not valid JSON ({e.Message}).", e); }
            var opened = new Dictionary<string, SafeTensorsFile>();
            foreach (var (tensor, file) in map)
            {
                if (file.Contains('/') || file.Contains('\\') || file.Contains(".."))
                    throw new SafeTensorsFormatException($"{index}: shard name '{file}' for '{tensor}' must be a file name inside {dir}.");
                if (!opened.TryGetValue(file, out var f))
                {
                    var p = Path.Combine(dir, file);
                    if (!File.Exists(p)) throw new FileNotFoundException($"{index} lists shard '{file}' but {p} does not exist; download every shard.", p);
                    opened[file] = f = SafeTensorsFile.Open(p);
                    _files.Add(f);
                }
                if (!f.Tensors.ContainsKey(tensor))
                    throw new SafeTensorsFormatException($"{index}: '{tensor}' is mapped to {file}, which does not contain it.");
                _byTensor[tensor] = f;
            }
        }
        else if (File.Exists(single)) Add(SafeTensorsFile.Open(single));
        else
        {
            var any = Directory.GetFiles(dir, "*.safetensors").OrderBy(x => x, StringComparer.Ordinal).ToList();
            if (any.Count == 0)
                throw new FileNotFoundException($"No weights in {dir}: expected model.safetensors or model.safetensors.index.json (Hugging Face layout).");
            foreach (var f in any) Add(SafeTensorsFile.Open(f));
        }
    }

    private void Add(SafeTensorsFile f)
    {
        _files.Add(f);
        foreach (var name in f.Tensors.Keys)
        {
            if (_byTensor.ContainsKey(name))
                throw new SafeTensorsFormatException($"Tensor '{name}' appears in both {_byTensor[name].Path} and {f.Path}.");
            _byTensor[name] = f;
        }
    }

    /// <summary>All tensor names.</summary>
    public IEnumerable<string> Names => _byTensor.Keys;

    /// <summary>True when the checkpoint holds <paramref name="name"/>.</summary>
    public bool Contains(string name) => _byTensor.ContainsKey(name);

    /// <summary>Type and shape of a tensor.</summary>
    public SafeTensorInfo Info(string name) => _byTensor.TryGetValue(name, out var f)
        ? f.Tensors[name]
        : throw new KeyNotFoundException($"{Source}: no tensor named '{name}'.");

    /// <summary>Reads a tensor (see <see cref="SafeTensorsFile.Read"/>).</summary>
    public Tensor Read(string name, Device device = default, DType? dtype = null) => _byTensor.TryGetValue(name, out var f)
        ? f.Read(name, device, dtype)
        : throw new KeyNotFoundException($"{Source}: no tensor named '{name}'.");

    /// <summary>SHA-256 over the weight files (in name order), hex; identifies the exact weights.</summary>
    public string ComputeSha256()
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        foreach (var path in _files.Select(f => f.Path).OrderBy(p => Path.GetFileName(p), StringComparer.Ordinal))
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            int n;
            while ((n = fs.Read(buffer)) > 0) sha.AppendData(buffer, 0, n);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var f in _files) f.Dispose();
        _files.Clear();
        _byTensor.Clear();
    }
}
