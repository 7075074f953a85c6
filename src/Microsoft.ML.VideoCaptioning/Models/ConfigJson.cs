using System.Text.Json;

namespace Microsoft.ML.VideoCaptioning.Models;

/// <summary>A model configuration file that is missing or malformed; the message names the file and the key.</summary>
public sealed class ModelConfigException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelConfigException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>Typed reads from a Hugging Face <c>config.json</c>, with errors that name the file and the key.</summary>
internal sealed class ConfigJson
{
    private readonly JsonElement _root;

    public string Path { get; }

    private ConfigJson(string path, JsonElement root)
    {
        Path = path;
        _root = root;
    }

    /// <summary>Reads <paramref name="fileName"/> from a model directory (or the file itself).</summary>
    public static ConfigJson Load(string dirOrFile, string fileName = "config.json")
    {
        var path = Directory.Exists(dirOrFile) ? System.IO.Path.Combine(dirOrFile, fileName) : dirOrFile;
        if (!File.Exists(path))
            throw new ModelConfigException(Directory.Exists(dirOrFile)
                ? $"{path} not found: a Hugging Face model directory needs its {fileName} next to the weights."
                : $"Model path '{dirOrFile}' does not exist.");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new ModelConfigException($"{path}: not a JSON object.");
            return new ConfigJson(path, doc.RootElement.Clone());
        }
        catch (JsonException e)
        {
            throw new ModelConfigException($"{path}: not valid JSON ({e.Message}).", e);
        }
    }

    public bool Has(string key) => _root.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null;

    private JsonElement Get(string key) =>
        _root.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null
            ? v
            : throw new ModelConfigException($"{Path}: required key \"{key}\" is missing.");

    public int Int(string key)
    {
        var v = Get(key);
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i)) return i;
        throw new ModelConfigException($"{Path}: \"{key}\" must be an integer, got {v.GetRawText()}.");
    }

    public int Int(string key, int fallback) => Has(key) ? Int(key) : fallback;

    public int PositiveInt(string key)
    {
        int v = Int(key);
        return v > 0 ? v : throw new ModelConfigException($"{Path}: \"{key}\" must be positive, got {v}.");
    }

    public double Double(string key)
    {
        var v = Get(key);
        if (v.ValueKind == JsonValueKind.Number) return v.GetDouble();
        throw new ModelConfigException($"{Path}: \"{key}\" must be a number, got {v.GetRawText()}.");
    }

    public double Double(string key, double fallback) => Has(key) ? Double(key) : fallback;

    public bool Bool(string key, bool fallback)
    {
        if (!Has(key)) return fallback;
        var v = Get(key);
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new ModelConfigException($"{Path}: \"{key}\" must be true or false, got {v.GetRawText()}."),
        };
    }

    public string? String(string key) => Has(key) ? Get(key).ValueKind == JsonValueKind.String ? Get(key).GetString() : Get(key).GetRawText() : null;

    /// <summary>An integer or a list of integers (e.g. eos_token_id).</summary>
    public int[] IntList(string key)
    {
        if (!Has(key)) return [];
        var v = Get(key);
        if (v.ValueKind == JsonValueKind.Number) return [Int(key)];
        if (v.ValueKind == JsonValueKind.Array && v.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number))
            return v.EnumerateArray().Select(e => e.GetInt32()).ToArray();
        throw new ModelConfigException($"{Path}: \"{key}\" must be an integer or a list of integers, got {v.GetRawText()}.");
    }

    public ModelConfigException Error(string message) => new($"{Path}: {message}");
}
