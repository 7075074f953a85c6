using Microsoft.ML.VideoCaptioning.Text;

namespace Microsoft.ML.VideoCaptioning.Tests.Text;

/// <summary>
/// The shipped tokenizer with its pre-tokenizer regex written as <c>(?:pattern)</c>: the same splitting, but not
/// textually Qwen2's pattern, so it runs through the general .NET Regex pre-tokenizer instead of the Qwen2 scanner.
/// </summary>
internal static class RegexPatternTokenizer
{
    private static readonly Lazy<Qwen2Tokenizer> s_instance = new(Load);

    public static Qwen2Tokenizer Instance => s_instance.Value;

    private static Qwen2Tokenizer Load()
    {
        using var directory = new TokenizerTestData.TempDirectory();
        string path = directory.File("tokenizer.json");
        TokenizerTestData.WriteModifiedTokenizerJson(path, root =>
        {
            var split = root["pre_tokenizer"]!["pretokenizers"]![0]!;
            split["pattern"]!["Regex"] = "(?:" + (string)split["pattern"]!["Regex"]! + ")";
        });
        return Qwen2Tokenizer.FromTokenizerJson(path);
    }
}
