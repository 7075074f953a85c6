using System.Text;
using Microsoft.ML.Tokenizers;
using Microsoft.ML.VideoCaptioning.Text;
using Xunit;

namespace Microsoft.ML.VideoCaptioning.Tests.Text;

/// <summary>
/// Cross-checks <see cref="Qwen2Tokenizer"/> against ML.NET's own <see cref="BpeTokenizer"/> built from the same
/// tokenizer.json (<see cref="LibraryBpeTokenizer"/>) over every reference vector, and pins down where they differ.
/// </summary>
/// <remarks>
/// The two agree on 577 of the 587 vectors of test/data/tokenizer/vectors. Every difference comes from
/// pre-tokenization: .NET <see cref="System.Text.RegularExpressions.Regex"/> classifies UTF-16 code units, so a
/// character outside the BMP (a surrogate pair) is never <c>\p{L}</c> or <c>\p{N}</c> to it, while Hugging Face
/// (Oniguruma on code points) and <see cref="Qwen2Tokenizer"/> classify the code point: to the library an astral
/// character is two symbol characters. For astral symbols (emoji) that mostly splits the same way, so the differences
/// are at astral letters and numbers (𝕏 U+1D54F, 𝟘 U+1D7D8, 𐍈 U+10348, 𠀀 U+20000, …): e.g. <c>" 𝟘"</c> is
/// <c>[" ", "𝟘"]</c> to Hugging Face and one piece <c>" 𝟘"</c> to the library (its <c> ?[^\s\p{L}\p{N}]+</c> takes the
/// space), and <c>"𝕏,D"</c> is <c>["𝕏", ",D"]</c> versus <c>["𝕏,", "D"]</c>. The BPE merging itself agrees everywhere:
/// given our pieces, or the whole text with pre-tokenization off, the library gives our ids.
/// </remarks>
public class LibraryBpeCrossCheckTests
{
    /// <summary>Agreements measured on the vectors of test/data/tokenizer/vectors (587 cases).</summary>
    private const int ExpectedAgreements = 577;

    private static Tokenizer Ours => TokenizerTestData.Default;

    private static Tokenizer Library => LibraryBpeTokenizer.Default;

    [Fact]
    public void LibraryAgreesExceptWhereAstralLettersOrNumbersChangeThePieces()
    {
        int agreements = 0, total = 0;
        var unexplained = new List<string>();
        foreach (string text in TokenizerTestData.VectorTexts)
        {
            total++;
            IReadOnlyList<int> ours = Ours.EncodeToIds(text), library = Library.EncodeToIds(text);
            if (ours.SequenceEqual(library))
            {
                agreements++;
                continue;
            }
            string nfc = text.Normalize(NormalizationForm.FormC);
            if (!nfc.EnumerateRunes().Any(IsAstralLetterOrNumber) || Pieces(Ours, nfc).SequenceEqual(Pieces(Library, nfc)))
                unexplained.Add($"{Show(text)}: ours [{string.Join(", ", ours)}], library [{string.Join(", ", library)}]");
        }

        Assert.True(unexplained.Count == 0, $"{unexplained.Count} differences without an astral letter or number changing the pieces:\n" + string.Join("\n", unexplained.Take(10)));
        if (Environment.GetEnvironmentVariable("VIDCAP_TOKENIZER_VECTORS") is not { Length: > 0 })
            Assert.Equal((ExpectedAgreements, 587), (agreements, total));
    }

    /// <summary>
    /// The library's pieces are ours for the same text with every astral character replaced by two BMP symbols (¦¦,
    /// the same UTF-16 length): it sees the two code units of a surrogate pair as two characters that are neither
    /// letters, numbers nor spaces.
    /// </summary>
    [Fact]
    public void LibrarySplitsAsIfEachSurrogateWereASymbol()
    {
        int changed = 0;
        foreach (string text in TokenizerTestData.VectorTexts)
        {
            string nfc = text.Normalize(NormalizationForm.FormC);
            string astralAsSymbol = string.Concat(nfc.EnumerateRunes().Select(r => r.Value > 0xFFFF ? "\u00A6\u00A6" : r.ToString()));
            var library = Pieces(Library, nfc);
            Assert.True(library.SequenceEqual(Pieces(Ours, astralAsSymbol)), Show(text));
            changed += library.SequenceEqual(Pieces(Ours, nfc)) ? 0 : 1;
        }
        Assert.True(changed >= 587 - ExpectedAgreements, $"only {changed} texts are split differently");
    }

    [Fact]
    public void LibraryBpeEncodesOurPiecesToOurIds()
    {
        foreach (string text in TokenizerTestData.VectorTexts)
        {
            string nfc = text.Normalize(NormalizationForm.FormC);
            IEnumerable<int> library = Pieces(Ours, nfc)
                .SelectMany(p => Library.EncodeToIds(nfc.AsSpan(p.Offset, p.Length), considerPreTokenization: false, considerNormalization: false));
            Assert.True(library.SequenceEqual(Ours.EncodeToIds(text)), Show(text));
        }
    }

    [Fact]
    public void WithoutPreTokenizationBothEncodeTheWholeTextAsOneWord()
    {
        string[] texts = TokenizerTestData.VectorTexts.Where(t => !t.Contains("<|", StringComparison.Ordinal)).ToArray();
        Assert.True(texts.Length > 400, $"only {texts.Length} texts");
        foreach (string text in texts)
            Assert.True(Library.EncodeToIds(text, considerPreTokenization: false).SequenceEqual(Ours.EncodeToIds(text, considerPreTokenization: false)), Show(text));
    }

    private static List<(int Offset, int Length)> Pieces(Tokenizer tokenizer, string text) => tokenizer.PreTokenizer!.PreTokenize(text).ToList();

    private static bool IsAstralLetterOrNumber(Rune rune) => rune.Value > 0xFFFF && (Rune.IsLetter(rune) || Rune.IsNumber(rune));

    private static string Show(string text) => System.Text.Json.JsonSerializer.Serialize(text);
}
