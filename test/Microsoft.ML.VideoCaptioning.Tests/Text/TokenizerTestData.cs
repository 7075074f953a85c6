using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.VideoCaptioning.Text;

namespace Microsoft.ML.VideoCaptioning.Tests.Text;

/// <summary>Tokenizer files, vector cases and a shared default tokenizer for the tokenizer tests.</summary>
internal static class TokenizerTestData
{
    private static readonly Lazy<Qwen2Tokenizer> s_default = new(() => Qwen2Tokenizer.FromTokenizerJson(TokenizerJsonPath));

    /// <summary>The repository's shipped Qwen2 tokenizer.json.</summary>
    public static string TokenizerJsonPath => Path.Combine(TestPaths.Assets, "qwen2-tokenizer", "tokenizer.json");

    /// <summary>The tokenizer loaded from <see cref="TokenizerJsonPath"/>, shared by the tests.</summary>
    public static Qwen2Tokenizer Default => s_default.Value;

    /// <summary>VIDCAP_TOKENIZER_VECTORS when set, else test/data/tokenizer/vectors.</summary>
    public static string VectorDirectory =>
        Environment.GetEnvironmentVariable("VIDCAP_TOKENIZER_VECTORS") is { Length: > 0 } d ? d : Path.Combine(TestPaths.Data, "tokenizer", "vectors");

    /// <summary>The *.json vector files of <see cref="VectorDirectory"/>, sorted by name.</summary>
    public static IReadOnlyList<string> VectorFiles =>
        Directory.GetFiles(VectorDirectory, "*.json").OrderBy(f => f, StringComparer.Ordinal).ToArray();

    /// <summary>Reads a vector file <c>{"cases": [{"text": …, "ids": […]}, …]}</c>.</summary>
    public static IReadOnlyList<(string Text, int[] Ids)> ReadVectors(string path)
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path));
        return document.RootElement.GetProperty("cases").EnumerateArray()
            .Select(c => (c.GetProperty("text").GetString()!, c.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()).ToArray()))
            .ToArray();
    }

    /// <summary>The texts of every vector file.</summary>
    public static IReadOnlyList<string> VectorTexts => VectorFiles.SelectMany(f => ReadVectors(f).Select(c => c.Text)).ToArray();

    /// <summary>Writes a copy of the shipped tokenizer.json to <paramref name="path"/>, changed by <paramref name="modify"/>.</summary>
    public static void WriteModifiedTokenizerJson(string path, Action<JsonObject> modify)
    {
        var root = JsonNode.Parse(File.ReadAllBytes(TokenizerJsonPath))!.AsObject();
        modify(root);
        File.WriteAllText(path, root.ToJsonString());
    }

    /// <summary>A temporary directory, deleted on dispose.</summary>
    public sealed class TempDirectory : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("vidcap-tokenizer-").FullName;

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
