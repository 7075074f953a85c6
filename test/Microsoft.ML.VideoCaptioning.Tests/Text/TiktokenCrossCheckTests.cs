using System.Text;
using Microsoft.ML.VideoCaptioning.Cli.Bench;
using Microsoft.ML.VideoCaptioning.Text;
using Xunit;

namespace Microsoft.ML.VideoCaptioning.Tests.Text;

/// <summary>Cross-checks the merges-based BPE against an independent tiktoken-style rank merge over qwen.tiktoken.</summary>
public class TiktokenCrossCheckTests
{
    private static readonly Lazy<TiktokenReference> s_reference =
        new(() => new TiktokenReference(Path.Combine(TestPaths.Fixtures, "tokenizer", "qwen.tiktoken")));

    private static readonly string[] s_specialTokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

    [Fact]
    public void TiktokenRanksAreTheVocabularyIds()
    {
        Qwen2Tokenizer tokenizer = TokenizerTestData.Default;
        Assert.Equal(151643, s_reference.Value.Ranks.Count);
        foreach ((string bytes, int rank) in s_reference.Value.Ranks)
        {
            string spelling = string.Concat(bytes.Select(b => TinyTokenizerJson.ByteChar(b)));
            Assert.Equal(spelling, tokenizer.IdToToken(rank));
        }
    }

    [Fact]
    public void EncodesLikeTiktokenRankMerging()
    {
        Qwen2Tokenizer tokenizer = TokenizerTestData.Default;
        var failures = new List<string>();
        string[] corpus = Corpus().ToArray();
        foreach (string text in corpus)
        {
            int[] expected = s_reference.Value.Encode(text);
            int[] actual = tokenizer.Encode(text);
            if (!actual.AsSpan().SequenceEqual(expected))
                failures.Add($"{System.Text.Json.JsonSerializer.Serialize(text)}: expected [{string.Join(", ", expected)}], got [{string.Join(", ", actual)}]");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {corpus.Length} texts differ:\n" + string.Join("\n", failures.Take(10)));
        Assert.True(corpus.Length > 2500, $"only {corpus.Length} texts");
    }

    /// <summary>
    /// BMP texts without special tokens: vector texts, generated prose, real WordNet lemmas and glosses of the Meteor
    /// data, random strings over many scripts, and long random words.
    /// </summary>
    private static IEnumerable<string> Corpus()
    {
        foreach (string text in TokenizerTestData.VectorTexts)
        {
            if (!text.Any(char.IsSurrogate) && !s_specialTokens.Any(s => text.Contains(s, StringComparison.Ordinal)))
                yield return text;
        }

        foreach (string line in TokenizerBenchmark.GenerateText(60_000, seed: 21).Split('\n'))
        {
            if (!line.Any(char.IsSurrogate))
                yield return line;
        }

        foreach (string[] lines in File.ReadLines(Path.Combine(TestPaths.Assets, "meteor-1.5", "english.synsets")).Take(4000).Chunk(8))
            yield return string.Join(' ', lines).Replace('_', ' ');

        var random = new Random(17);
        string[] alphabets =
        [
            "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789",
            "àáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿĀāĂăĄąĆćĈĉ",
            "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГД",
            "αβγδεζηθικλμνξοπρστυφχψω",
            "的一是不了人我在有他这为之大来以个中上们到说时",
            "あいうえおかきくけこアイウエオカキクケコ",
            "가나다라마바사아자차카타파하한국어",
            "ابتثجحخدذرزسشصضطظعغفقكلمنهوي",
            "अआइईउऊएऐओऔकखगघचछजझटठडढणतथदधन्",
            " \t\n\r.,;:!?'\"()[]{}<>|/\\@#$%^&*-_+=~`’“”…–—",
        ];
        for (int i = 0; i < 2000; i++)
        {
            string alphabet = alphabets[random.Next(alphabets.Length)] + alphabets[random.Next(alphabets.Length)];
            yield return new string(Enumerable.Range(0, random.Next(1, 30)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
        }
        for (int i = 0; i < 10; i++)
            yield return new string(Enumerable.Range(0, 300).Select(_ => (char)('a' + random.Next(26))).ToArray());
    }
}
