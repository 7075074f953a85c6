using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Microsoft.ML.VideoCaptioning.Tests.Text;

/// <summary>
/// ML.NET's own <see cref="BpeTokenizer"/> built from a Hugging Face tokenizer.json the way its API allows: the
/// vocabulary, the merges, the added tokens as special tokens, the pre-tokenizer regex of the Split pre-tokenizer
/// in a <see cref="RegexPreTokenizer"/>, byte-level, and NFC.
/// </summary>
internal static class LibraryBpeTokenizer
{
    private static readonly Lazy<BpeTokenizer> s_default = new(() => FromTokenizerJson(TokenizerTestData.TokenizerJsonPath));

    /// <summary>The library tokenizer for the shipped tokenizer.json.</summary>
    public static BpeTokenizer Default => s_default.Value;

    public static BpeTokenizer FromTokenizerJson(string path)
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path));
        JsonElement root = document.RootElement;
        JsonElement model = root.GetProperty("model");
        var vocab = model.GetProperty("vocab").EnumerateObject().Select(p => KeyValuePair.Create(p.Name, p.Value.GetInt32())).ToList();
        var merges = model.GetProperty("merges").EnumerateArray()
            .Select(m => m.ValueKind == JsonValueKind.String ? m.GetString()! : $"{m[0].GetString()} {m[1].GetString()}")
            .ToList();
        var specialTokens = root.GetProperty("added_tokens").EnumerateArray()
            .ToDictionary(t => t.GetProperty("content").GetString()!, t => t.GetProperty("id").GetInt32());
        string pattern = root.GetProperty("pre_tokenizer").GetProperty("pretokenizers")[0].GetProperty("pattern").GetProperty("Regex").GetString()!;

        return BpeTokenizer.Create(new BpeOptions(vocab)
        {
            Merges = merges,
            SpecialTokens = specialTokens,
            PreTokenizer = new RegexPreTokenizer(new Regex(pattern, RegexOptions.Compiled), specialTokens),
            Normalizer = new NfcNormalizer(),
            ByteLevel = true,
        });
    }

    private sealed class NfcNormalizer : Normalizer
    {
        public override string Normalize(string original) => original.Normalize(System.Text.NormalizationForm.FormC);

        public override string Normalize(ReadOnlySpan<char> original) => Normalize(original.ToString());
    }
}
