using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.VideoCaptioning.Cli.Bench;
using Microsoft.ML.VideoCaptioning.Text;
using Xunit;
using Xunit.Abstractions;

namespace Microsoft.ML.VideoCaptioning.Tests.Text;

public class TokenizerLoadingTests(ITestOutputHelper output)
{
    [Fact]
    public void LoadsTheShippedTokenizerJsonQuickly()
    {
        Qwen2Tokenizer.FromTokenizerJson(TokenizerTestData.TokenizerJsonPath);
        var stopwatch = Stopwatch.StartNew();
        const int loads = 3;
        for (int i = 0; i < loads; i++)
            Qwen2Tokenizer.FromTokenizerJson(TokenizerTestData.TokenizerJsonPath);
        double milliseconds = stopwatch.Elapsed.TotalMilliseconds / loads;
        output.WriteLine($"tokenizer.json load: {milliseconds:F0} ms");
        Assert.True(milliseconds < 5000, $"{milliseconds} ms");
    }

    [Fact]
    public void SlowFilesGiveTheSameIds()
    {
        using var directory = new TokenizerTestData.TempDirectory();
        (string vocabPath, string mergesPath) = WriteSlowFiles(directory);

        Qwen2Tokenizer slow = Qwen2Tokenizer.FromVocabAndMerges(vocabPath, mergesPath);

        AssertSameIds(TokenizerTestData.Default, slow);
        Assert.Equal(151643, slow.EndOfTextId);
        Assert.Equal(151643, slow.PadTokenId);
        Assert.Equal(151646, slow.VocabSize);
        Assert.Equal(151645, slow.TokenToId("<|im_end|>"));
    }

    [Fact]
    public void SlowFilesTakeAddedTokensPadAndMaxLengthFromTokenizerConfig()
    {
        using var directory = new TokenizerTestData.TempDirectory();
        (string vocabPath, string mergesPath) = WriteSlowFiles(directory);
        string configPath = directory.File("tokenizer_config.json");
        File.WriteAllText(configPath, """
            {
              "added_tokens_decoder": {
                "151643": {"content": "<|endoftext|>", "lstrip": false, "normalized": false, "rstrip": false, "single_word": false, "special": true},
                "151644": {"content": "<|im_start|>", "lstrip": false, "normalized": false, "rstrip": false, "single_word": false, "special": true},
                "151645": {"content": "<|im_end|>", "lstrip": false, "normalized": false, "rstrip": false, "single_word": false, "special": true},
                "151646": {"content": "<|extra|>", "special": false}
              },
              "eos_token": "<|endoftext|>",
              "pad_token": {"content": "<|im_end|>"},
              "model_max_length": 1000
            }
            """);

        Qwen2Tokenizer slow = Qwen2Tokenizer.FromVocabAndMerges(vocabPath, mergesPath, configPath);

        AssertSameIds(TokenizerTestData.Default, slow);
        Assert.Equal(151645, slow.PadTokenId);
        Assert.Equal(1000, slow.ModelMaxLength);
        Assert.Equal(151647, slow.VocabSize);
        Assert.Equal([64, 151646, 65], slow.Encode("a<|extra|>b"));
        Assert.False(slow.IsSpecialToken(151646));
        Assert.Equal("a<|extra|>b", slow.Decode([64, 151646, 65], skipSpecialTokens: true));
    }

    [Fact]
    public void MergesWrittenAsStringsGiveTheSameIds()
    {
        using var directory = new TokenizerTestData.TempDirectory();
        string path = directory.File("tokenizer.json");
        TokenizerTestData.WriteModifiedTokenizerJson(path, root =>
        {
            var merges = root["model"]!["merges"]!.AsArray();
            root["model"]!["merges"] = new JsonArray(merges.Select(m => (JsonNode)JsonValue.Create($"{m![0]} {m[1]}")).ToArray());
        });

        AssertSameIds(TokenizerTestData.Default, Qwen2Tokenizer.FromTokenizerJson(path));
    }

    /// <summary>Expected ids and texts are those of Hugging Face tokenizers 0.23.2 on the same file.</summary>
    [Fact]
    public void TinyTokenizerMatchesHuggingFace()
    {
        using var directory = new TokenizerTestData.TempDirectory();
        Qwen2Tokenizer tokenizer = Qwen2Tokenizer.FromTokenizerJson(TinyTokenizerJson.Write(TinyTokenizerJson.Create(), directory.File("tokenizer.json")));

        Assert.Equal([258, 111], tokenizer.Encode("hello"));
        Assert.Equal([32, 258, 111], tokenizer.Encode(" hello"));
        Assert.Equal([264, 32, 263], tokenizer.Encode("cafe\u0301 <x>")); // normalized added tokens match after NFC
        Assert.Equal([264, 263], tokenizer.Encode("café<x>"));
        Assert.Equal([262, 258, 111], tokenizer.Encode("<|endoftext|>hello"));
        Assert.Equal([261], tokenizer.Encode("é"));
        Assert.Equal([120, 264], tokenizer.Encode("xcafé"));
        Assert.Equal(268, tokenizer.VocabSize);

        // Added tokens are decoded through the byte alphabet too, unless a character is outside it.
        Assert.Equal("caf\uFFFD <x>", tokenizer.Decode([264, 262, 32, 263], skipSpecialTokens: true));
        Assert.Equal("caf\uFFFD<|endoftext|> <x>", tokenizer.Decode([264, 262, 32, 263]));
        Assert.Equal("éx", tokenizer.Decode([195, 265]));
        Assert.Equal("\uFFFD<a b>", tokenizer.Decode([195, 266]));
        Assert.Equal("é", tokenizer.Decode([195, 266, 169], skipSpecialTokens: true));
        Assert.Equal("\uFFFD\uFFFD!", tokenizer.Decode([195, 267]));
        Assert.Equal("\uFFFD<|endoftext|>\uFFFD", tokenizer.Decode([195, 262, 169]));
    }

    [Fact]
    public void IgnoreMergesEmitsWholeWordTokens()
    {
        using var directory = new TokenizerTestData.TempDirectory();
        JsonObject root = TinyTokenizerJson.Create();
        root["model"]!["ignore_merges"] = true;
        Qwen2Tokenizer tokenizer = Qwen2Tokenizer.FromTokenizerJson(TinyTokenizerJson.Write(root, directory.File("tokenizer.json")));

        Assert.Equal([260], tokenizer.Encode("hello"));
        Assert.Equal([32, 258, 111], tokenizer.Encode(" hello"));
        Assert.Equal([262, 260], tokenizer.Encode("<|endoftext|>hello"));
    }

    [Fact]
    public void ReadsThePreTokenizerRegexFromTheFile()
    {
        using var directory = new TokenizerTestData.TempDirectory();
        JsonObject root = TinyTokenizerJson.Create();
        root["pre_tokenizer"]!["pretokenizers"]![0]!["pattern"]!["Regex"] = "l+";
        Qwen2Tokenizer tokenizer = Qwen2Tokenizer.FromTokenizerJson(TinyTokenizerJson.Write(root, directory.File("split.json")));
        Assert.Equal("l+", tokenizer.PreTokenizerPattern);
        Assert.Equal([256, 257, 111], tokenizer.Encode("hello")); // pieces "he", "ll", "o"

        root["pre_tokenizer"] = null;
        tokenizer = Qwen2Tokenizer.FromTokenizerJson(TinyTokenizerJson.Write(root, directory.File("none.json")));
        Assert.Equal(Qwen2Tokenizer.DefaultPreTokenizerPattern, tokenizer.PreTokenizerPattern);
        Assert.Equal([258, 111], tokenizer.Encode("hello"));
    }

    public static TheoryData<string, Action<JsonObject>, Type, string> MalformedTokenizerJsons => new()
    {
        { "no model", root => root.Remove("model"), typeof(InvalidDataException), "'model'" },
        { "no vocab", root => root["model"]!.AsObject().Remove("vocab"), typeof(InvalidDataException), "'model.vocab'" },
        { "vocab id not a number", root => root["model"]!["vocab"]!["he"] = "x", typeof(InvalidDataException), "'he'" },
        { "merge of unknown token", root => root["model"]!["merges"]!.AsArray().Add(new JsonArray("zz", "q")), typeof(InvalidDataException), "merge 5" },
        { "merge making unknown token", root => root["model"]!["merges"]!.AsArray().Add(new JsonArray("h", "h")), typeof(InvalidDataException), "'hh'" },
        { "merge of one token", root => root["model"]!["merges"]!.AsArray().Add(new JsonArray("h")), typeof(InvalidDataException), "merge 5" },
        { "merge string without space", root => root["model"]!["merges"]!.AsArray().Add("he"), typeof(InvalidDataException), "merge 5" },
        { "missing byte token", root => root["model"]!["vocab"]!.AsObject().Remove("Ġ"), typeof(InvalidDataException), "byte 0x20" },
        { "no end-of-text token", root => root["added_tokens"]!.AsArray().RemoveAt(0), typeof(InvalidDataException), "<|endoftext|>" },
        { "added token without id", root => root["added_tokens"]![0]!.AsObject().Remove("id"), typeof(InvalidDataException), "'id'" },
        { "WordPiece model", root => root["model"]!["type"] = "WordPiece", typeof(NotSupportedException), "WordPiece" },
        { "byte fallback", root => root["model"]!["byte_fallback"] = true, typeof(NotSupportedException), "byte_fallback" },
        { "NFKC normalizer", root => root["normalizer"]!["type"] = "NFKC", typeof(NotSupportedException), "NFKC" },
        { "lstrip added token", root => root["added_tokens"]![0]!["lstrip"] = true, typeof(NotSupportedException), "lstrip" },
        { "prefix space", root => root["pre_tokenizer"]!["pretokenizers"]![1]!["add_prefix_space"] = true, typeof(NotSupportedException), "add_prefix_space" },
        { "invalid regex", root => root["pre_tokenizer"]!["pretokenizers"]![0]!["pattern"]!["Regex"] = "(", typeof(NotSupportedException), "regex" },
    };

    [Theory]
    [MemberData(nameof(MalformedTokenizerJsons))]
    public void MalformedTokenizerJsonIsRejectedNamingTheFile(string name, Action<JsonObject> breakIt, Type exceptionType, string detail)
    {
        using var directory = new TokenizerTestData.TempDirectory();
        JsonObject root = TinyTokenizerJson.Create();
        breakIt(root);
        string path = TinyTokenizerJson.Write(root, directory.File(name.Replace(' ', '_') + ".json"));

        Exception error = Assert.Throws(exceptionType, () => Qwen2Tokenizer.FromTokenizerJson(path));
        Assert.Contains(path, error.Message);
        Assert.Contains(detail, error.Message);
    }

    [Fact]
    public void UnreadableFilesAreRejectedNamingTheFile()
    {
        using var directory = new TokenizerTestData.TempDirectory();
        string missing = directory.File("missing.json");
        var notFound = Assert.Throws<FileNotFoundException>(() => Qwen2Tokenizer.FromTokenizerJson(missing));
        Assert.Equal(missing, notFound.FileName);
        Assert.Contains(missing, notFound.Message);

        string truncated = directory.File("truncated.json");
        File.WriteAllText(truncated, "{\"model\": {\"vocab\": {");
        var invalid = Assert.Throws<InvalidDataException>(() => Qwen2Tokenizer.FromTokenizerJson(truncated));
        Assert.Contains(truncated, invalid.Message);
        Assert.IsAssignableFrom<JsonException>(invalid.InnerException);
    }

    [Fact]
    public void MalformedSlowFilesAreRejectedNamingTheFile()
    {
        using var directory = new TokenizerTestData.TempDirectory();
        (string vocabPath, string mergesPath) = WriteTinySlowFiles(directory);
        Assert.Equal([258, 111], Qwen2Tokenizer.FromVocabAndMerges(vocabPath, mergesPath).Encode("hello"));

        string badMerges = directory.File("bad_merges.txt");
        File.WriteAllText(badMerges, "#version: 0.2\nh e\nhe ll o\n");
        var error = Assert.Throws<InvalidDataException>(() => Qwen2Tokenizer.FromVocabAndMerges(vocabPath, badMerges));
        Assert.Contains(badMerges, error.Message);
        Assert.Contains("line 3", error.Message);

        string unknownMerge = directory.File("unknown_merge.txt");
        File.WriteAllText(unknownMerge, "h e\nzz q\n");
        error = Assert.Throws<InvalidDataException>(() => Qwen2Tokenizer.FromVocabAndMerges(vocabPath, unknownMerge));
        Assert.Contains(unknownMerge, error.Message);
        Assert.Contains("merge 1", error.Message);

        string arrayVocab = directory.File("array_vocab.json");
        File.WriteAllText(arrayVocab, "[1, 2]");
        error = Assert.Throws<InvalidDataException>(() => Qwen2Tokenizer.FromVocabAndMerges(arrayVocab, mergesPath));
        Assert.Contains(arrayVocab, error.Message);

        string badConfig = directory.File("bad_config.json");
        File.WriteAllText(badConfig, """{"added_tokens_decoder": {"x": {"content": "<|endoftext|>", "special": true}}}""");
        error = Assert.Throws<InvalidDataException>(() => Qwen2Tokenizer.FromVocabAndMerges(vocabPath, mergesPath, badConfig));
        Assert.Contains(badConfig, error.Message);

        string unknownPad = directory.File("unknown_pad.json");
        File.WriteAllText(unknownPad, """{"pad_token": "<pad>"}""");
        error = Assert.Throws<InvalidDataException>(() => Qwen2Tokenizer.FromVocabAndMerges(vocabPath, mergesPath, unknownPad));
        Assert.Contains(unknownPad, error.Message);
        Assert.Contains("<pad>", error.Message);

        string missing = directory.File("missing.txt");
        var notFound = Assert.Throws<FileNotFoundException>(() => Qwen2Tokenizer.FromVocabAndMerges(vocabPath, missing));
        Assert.Equal(missing, notFound.FileName);
    }

    private static void AssertSameIds(Qwen2Tokenizer expected, Qwen2Tokenizer actual)
    {
        foreach (string text in TokenizerTestData.VectorTexts.Append(TokenizerBenchmark.GenerateText(50_000, seed: 11)))
            Assert.Equal(expected.Encode(text), actual.Encode(text));
    }

    /// <summary>vocab.json and merges.txt ("#version: 0.2" then "left right" lines) derived from the shipped tokenizer.json.</summary>
    private static (string VocabPath, string MergesPath) WriteSlowFiles(TokenizerTestData.TempDirectory directory)
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(TokenizerTestData.TokenizerJsonPath));
        JsonElement model = document.RootElement.GetProperty("model");
        string vocabPath = directory.File("vocab.json");
        File.WriteAllText(vocabPath, model.GetProperty("vocab").GetRawText());
        string mergesPath = directory.File("merges.txt");
        File.WriteAllLines(mergesPath, model.GetProperty("merges").EnumerateArray()
            .Select(m => $"{m[0].GetString()} {m[1].GetString()}")
            .Prepend("#version: 0.2"));
        return (vocabPath, mergesPath);
    }

    /// <summary>vocab.json and merges.txt of <see cref="TinyTokenizerJson"/>, with an &lt;|endoftext|&gt; entry in the vocabulary.</summary>
    private static (string VocabPath, string MergesPath) WriteTinySlowFiles(TokenizerTestData.TempDirectory directory)
    {
        JsonObject model = TinyTokenizerJson.Create()["model"]!.AsObject();
        string vocabPath = directory.File("vocab.json");
        File.WriteAllText(vocabPath, model["vocab"]!.ToJsonString());
        string mergesPath = directory.File("merges.txt");
        File.WriteAllLines(mergesPath, model["merges"]!.AsArray().Select(m => $"{m![0]} {m[1]}").Prepend("#version: 0.2"));
        return (vocabPath, mergesPath);
    }
}
