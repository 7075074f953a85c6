using Microsoft.ML.VideoCaptioning.Text;
using Xunit;

namespace Microsoft.ML.VideoCaptioning.Tests.Text;

/// <summary>
/// The Qwen2 scanner and the general .NET Regex pre-tokenizer (with its astral stand-ins) must split random text,
/// astral letters, digits and emoji included, the same way.
/// </summary>
public class PreTokenizerConsistencyTests
{
    [Fact]
    public void ScannerAndRegexAgreeOnRandomText()
    {
        string[] pool =
        [
            "a", "Z", "é", "ß", "я", "中", "ア", "한", "ا", "न", "्", "\u0301", "0", "7", "٣", "²", "Ⅻ", " ", " ", "  ", "\t", "\n", "\r",
            "\r\n", "\u00a0", "\u0085", "\u2028", "\u3000", "\v", "\f", "\u001c", "\u200b", "'", "'s", "'S", "'ll", "'RE", "'ve", "'d", "'m", "'t",
            "ſ", ".", ",", "!", "?", "-", "(", ")", "\"", "<", ">", "|", "_", "😀", "🚀", "👍🏽", "🇫🇷", "👨‍👩‍👧", "𝕏", "𝐀", "𝟘", "𐍈", "𠀀",
            "\U000E0001", "\U000F0000", "\U0001F3FB", "word", " word", "123", "<|endoftext|>",
        ];
        var random = new Random(99);
        Qwen2Tokenizer scanner = TokenizerTestData.Default;
        Qwen2Tokenizer regex = RegexPatternTokenizer.Instance;
        Assert.NotEqual(scanner.PreTokenizerPattern, regex.PreTokenizerPattern);
        for (int i = 0; i < 20_000; i++)
        {
            string text = string.Concat(Enumerable.Range(0, random.Next(1, 25)).Select(_ => pool[random.Next(pool.Length)]));
            Assert.True(scanner.Encode(text).AsSpan().SequenceEqual(regex.Encode(text)), System.Text.Json.JsonSerializer.Serialize(text));
        }
    }
}
