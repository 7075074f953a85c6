using System.Text;
using Microsoft.ML.VideoCaptioning.Text;
using Xunit;

namespace Microsoft.ML.VideoCaptioning.Tests.Text;

/// <summary>
/// Every case of every *.json file in the vector directory (test/data/tokenizer/vectors, or VIDCAP_TOKENIZER_VECTORS)
/// must encode to exactly its ids and decode back to its (NFC-normalized) text.
/// </summary>
public class TokenizerVectorTests
{
    public static TheoryData<string> VectorFileNames => new(TokenizerTestData.VectorFiles.Select(Path.GetFileName)!);

    [Fact]
    public void VectorDirectoryHasVectorFiles()
    {
        Assert.NotEmpty(TokenizerTestData.VectorFiles);
    }

    [Theory]
    [MemberData(nameof(VectorFileNames))]
    public void EveryCaseEncodesToItsIdsAndDecodesBack(string fileName)
    {
        AssertVectors(TokenizerTestData.Default, Path.Combine(TokenizerTestData.VectorDirectory, fileName));
    }

    /// <summary>The general .NET Regex pre-tokenizer (used for patterns other than Qwen2's) must pass the same vectors.</summary>
    [Theory]
    [MemberData(nameof(VectorFileNames))]
    public void RegexPreTokenizerPassesEveryCase(string fileName)
    {
        AssertVectors(RegexPatternTokenizer.Instance, Path.Combine(TokenizerTestData.VectorDirectory, fileName));
    }

    /// <summary>Every case of the vector file at <paramref name="path"/> encodes to its ids and decodes back.</summary>
    public static void AssertVectors(Qwen2Tokenizer tokenizer, string path)
    {
        string fileName = Path.GetFileName(path);
        var cases = TokenizerTestData.ReadVectors(path);
        Assert.NotEmpty(cases);
        var failures = new List<string>();
        foreach ((string text, int[] expected) in cases)
        {
            int[] actual = tokenizer.Encode(text);
            if (!actual.AsSpan().SequenceEqual(expected))
                failures.Add($"encode {Show(text)}: expected [{string.Join(", ", expected)}], got [{string.Join(", ", actual)}]");
            string decoded = tokenizer.Decode(expected);
            string normalized = text.Normalize(NormalizationForm.FormC);
            if (decoded != normalized)
                failures.Add($"decode {Show(text)}: got {Show(decoded)}");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} cases failed in {fileName}:\n" + string.Join("\n", failures.Take(20)));
    }

    private static string Show(string text) => System.Text.Json.JsonSerializer.Serialize(text);
}
