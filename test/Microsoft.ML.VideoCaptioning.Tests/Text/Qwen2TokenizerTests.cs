using System.Text.Json;
using Microsoft.ML.VideoCaptioning.Cli.Bench;
using Microsoft.ML.VideoCaptioning.Text;
using Xunit;

namespace Microsoft.ML.VideoCaptioning.Tests.Text;

public class Qwen2TokenizerTests
{
    private static Qwen2Tokenizer Tokenizer => TokenizerTestData.Default;

    [Theory]
    [InlineData("a video showing:", new[] { 64, 2766, 9027, 25 })]
    [InlineData("Hello world", new[] { 9707, 1879 })]
    [InlineData(" Hello world", new[] { 21927, 1879 })]
    [InlineData("<|endoftext|>", new[] { 151643 })]
    [InlineData("a<|endoftext|>b", new[] { 64, 151643, 65 })]
    [InlineData("<|im_start|>user\nWhat's up?<|im_end|>\n", new[] { 151644, 872, 198, 3838, 594, 705, 30, 151645, 198 })]
    [InlineData("<|endoftext", new[] { 27, 91, 8691, 723, 427 })]
    [InlineData("", new int[0])]
    public void EncodesKnownExamples(string text, int[] expected)
    {
        Assert.Equal(expected, Tokenizer.Encode(text));
    }

    [Fact]
    public void ExposesQwen2TokenIds()
    {
        Assert.Equal(151643, Tokenizer.EndOfTextId);
        Assert.Equal(151643, Tokenizer.PadTokenId);
        Assert.Equal(151646, Tokenizer.VocabSize);
        Assert.Equal(32768, Tokenizer.ModelMaxLength);
        Assert.Equal(Qwen2Tokenizer.DefaultPreTokenizerPattern, Tokenizer.PreTokenizerPattern);
        Assert.Equal(1879, Tokenizer.TokenToId("Ġworld"));
        Assert.Equal("Ġworld", Tokenizer.IdToToken(1879));
        Assert.Equal(151644, Tokenizer.TokenToId("<|im_start|>"));
        Assert.Equal("<|im_end|>", Tokenizer.IdToToken(151645));
        Assert.Null(Tokenizer.TokenToId("no such token"));
        Assert.Null(Tokenizer.IdToToken(151646));
        Assert.Null(Tokenizer.IdToToken(-1));
        Assert.True(Tokenizer.IsSpecialToken(151643));
        Assert.False(Tokenizer.IsSpecialToken(1879));
    }

    [Fact]
    public void LoadDefaultReadsTheShippedTokenizerNextToTheApplication()
    {
        Assert.True(File.Exists(Qwen2Tokenizer.DefaultTokenizerJsonPath), Qwen2Tokenizer.DefaultTokenizerJsonPath);
        Assert.Equal([64, 2766, 9027, 25], Qwen2Tokenizer.LoadDefault().Encode("a video showing:"));
    }

    [Fact]
    public void DecodesWithAndWithoutSpecialTokens()
    {
        int[] ids = Tokenizer.Encode("<|im_start|>user\nhi<|im_end|>a<|endoftext|>");
        Assert.Equal("<|im_start|>user\nhi<|im_end|>a<|endoftext|>", Tokenizer.Decode(ids));
        Assert.Equal("user\nhia", Tokenizer.Decode(ids, skipSpecialTokens: true));
    }

    [Fact]
    public void EncodesAndDecodesLikeTheFixtureCases() => CheckFixtureCases(TestPaths.Fixtures);

    /// <summary>tokenizer/tokenizer_cases.json of the fixture directory: every text encodes to its ids, which decode back.</summary>
    public static void CheckFixtureCases(string directory)
    {
        string path = Path.Combine(directory, "tokenizer", "tokenizer_cases.json");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path));
        JsonElement[] cases = document.RootElement.GetProperty("cases").EnumerateArray().ToArray();
        Assert.NotEmpty(cases);
        foreach (JsonElement c in cases)
        {
            int[] ids = c.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()).ToArray();
            Assert.Equal(ids, Tokenizer.Encode(c.GetProperty("text").GetString()!));
            Assert.Equal(c.GetProperty("decode").GetString(), Tokenizer.Decode(ids));
            Assert.Equal(c.GetProperty("decode_skip_special").GetString(), Tokenizer.Decode(ids, skipSpecialTokens: true));
        }
    }

    /// <summary>Expectations from Hugging Face tokenizers 0.23.2 (decode of the same ids).</summary>
    [Theory]
    [InlineData(new[] { 75360, 222 }, false, "😀")]
    [InlineData(new[] { 75360, 151643, 222 }, false, "\uFFFD<|endoftext|>\uFFFD")]
    [InlineData(new[] { 75360, 151643, 222 }, true, "😀")]
    [InlineData(new[] { 222, 222, 87 }, false, "\uFFFD\uFFFDx")]
    [InlineData(new[] { 9284, 87 }, false, "\uFFFDx")]
    [InlineData(new[] { 87, 151646, 200000, -5, 87 }, false, "xx")]
    [InlineData(new[] { 151643, 151644 }, false, "<|endoftext|><|im_start|>")]
    [InlineData(new[] { 151645, 87 }, true, "x")]
    public void DecodesInvalidUtf8AndUnknownIdsLikeHuggingFace(int[] ids, bool skipSpecialTokens, string expected)
    {
        Assert.Equal(expected, Tokenizer.Decode(ids, skipSpecialTokens));
    }

    [Fact]
    public void NormalizesToNfcOutsideSpecialTokens()
    {
        Assert.Equal(Tokenizer.Encode("caf\u00e9"), Tokenizer.Encode("cafe\u0301"));
        Assert.Equal(Tokenizer.Encode("\u00e9<|endoftext|>\u00e9"), Tokenizer.Encode("e\u0301<|endoftext|>e\u0301"));
    }

    [Fact]
    public void EncodesLoneSurrogatesAsReplacementCharacter()
    {
        Assert.Equal(Tokenizer.Encode("lone\uFFFDx"), Tokenizer.Encode("lone\uD800x"));
        Assert.Equal(Tokenizer.Encode("\uFFFD😀"), Tokenizer.Encode("\uDC00😀"));
    }

    [Fact]
    public void EncodesLongWordsDeterministically()
    {
        var random = new Random(5);
        string word = new(Enumerable.Range(0, 20_000).Select(_ => (char)('a' + random.Next(26))).ToArray());
        int[] ids = Tokenizer.Encode(word);
        Assert.Equal(word, Tokenizer.Decode(ids));
        Assert.Equal(ids, Tokenizer.Encode(word));
    }

    [Fact]
    public void EncodesConcurrentlyLikeSequentially()
    {
        string[] texts = TokenizerBenchmark.GenerateText(200_000, seed: 3).Split('\n');
        Qwen2Tokenizer shared = Qwen2Tokenizer.FromTokenizerJson(TokenizerTestData.TokenizerJsonPath);
        var parallel = new int[texts.Length][];
        Parallel.For(0, texts.Length, i => parallel[i] = shared.Encode(texts[i]));
        int[][] sequential = texts.Select(Tokenizer.Encode).ToArray();
        Assert.Equal(sequential, parallel);
    }

    /// <summary>Fixtures whose token ids come from texts in their params: captioner_* (captions) and qwen2_* (texts).</summary>
    public static TheoryData<string> TokenizedFixtures() =>
        new(Fixture.Names("captioner_").Concat(Fixture.Names("qwen2_").Where(HasTexts)));

    private static bool HasTexts(string fixture)
    {
        using JsonDocument json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(TestPaths.Fixtures, fixture + ".io.json")));
        return json.RootElement.GetProperty("params").TryGetProperty("texts", out _);
    }

    [Theory]
    [MemberData(nameof(TokenizedFixtures))]
    public void EncodeBatchPadsLikeTheFixture(string fixture) => CheckBatch(TestPaths.Fixtures, fixture);

    /// <summary>
    /// The batch tokenization that produced a fixture's ids: captioner_* tokenizes <c>params.captions</c> as the seed does
    /// (strip, append &lt;|endoftext|&gt;) into caption_ids/caption_mask and <c>params.prompt_text</c> into prompt_ids;
    /// qwen2_* tokenizes <c>params.texts</c> into fwd.input_ids/fwd.attention_mask. Padding is right, with 151643.
    /// </summary>
    public static void CheckBatch(string directory, string fixture)
    {
        using JsonDocument json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(directory, fixture + ".io.json")));
        JsonElement p = json.RootElement.GetProperty("params");
        var tensors = new RawSafeTensors(Path.Combine(directory, fixture + ".io.safetensors"));
        bool captioner = p.TryGetProperty("captions", out JsonElement captions);
        string[] texts = captioner
            ? captions.EnumerateArray().Select(c => c.GetString()!.Trim() + "<|endoftext|>").ToArray()
            : p.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!).ToArray();
        TokenizedBatch batch = Tokenizer.EncodeBatch(texts);
        Assert.Equal(tensors.Int64Rows(captioner ? "caption_ids" : "fwd.input_ids"), batch.InputIds);
        Assert.Equal(tensors.Int64Rows(captioner ? "caption_mask" : "fwd.attention_mask"), batch.AttentionMask);
        if (captioner)
            Assert.Equal(tensors.Int64("prompt_ids").Select(v => (int)v).ToArray(), Tokenizer.Encode(p.GetProperty("prompt_text").GetString()!));
    }

    [Fact]
    public void EncodeBatchTruncatesAndPads()
    {
        string[] texts = ["a video showing:", "Hello world", ""];

        TokenizedBatch truncated = Tokenizer.EncodeBatch(texts, maxLength: 3, padId: -1);
        Assert.Equal([[64, 2766, 9027], [9707, 1879, -1], [-1, -1, -1]], truncated.InputIds);
        Assert.Equal([[1, 1, 1], [1, 1, 0], [0, 0, 0]], truncated.AttentionMask);

        TokenizedBatch untruncated = Tokenizer.EncodeBatch(texts, maxLength: 3, truncation: false);
        Assert.Equal([[64, 2766, 9027, 25], [9707, 1879, 151643, 151643], [151643, 151643, 151643, 151643]], untruncated.InputIds);

        TokenizedBatch ragged = Tokenizer.EncodeBatch(texts, maxLength: 3, padToLongest: false);
        Assert.Equal([[64, 2766, 9027], [9707, 1879], []], ragged.InputIds);
        Assert.Equal([[1, 1, 1], [1, 1], []], ragged.AttentionMask);

        string longText = string.Concat(Enumerable.Repeat(" a", Tokenizer.ModelMaxLength + 10));
        Assert.Equal(Tokenizer.ModelMaxLength, Tokenizer.EncodeBatch([longText]).InputIds[0].Length);

        Assert.Empty(Tokenizer.EncodeBatch([]).InputIds);
        Assert.Throws<ArgumentException>(() => Tokenizer.EncodeBatch(["a", null!]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.EncodeBatch(texts, maxLength: -1));
    }
}
