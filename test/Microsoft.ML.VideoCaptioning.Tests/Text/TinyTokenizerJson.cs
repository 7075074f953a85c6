using System.Text.Json.Nodes;
using Microsoft.ML.VideoCaptioning.Text;

namespace Microsoft.ML.VideoCaptioning.Tests.Text;

/// <summary>
/// A small valid byte-level BPE tokenizer.json: byte b has id b; "he" 256, "ll" 257, "hell" 258, "Ġh" 259,
/// "hello" 260 (no merge makes it), "é" (spelled "Ã©") 261; merges (h,e) (l,l) (he,ll) (Ġ,h) (Ã,©); added tokens
/// <c>&lt;|endoftext|&gt;</c> 262 (special, raw), <c>&lt;x&gt;</c> 263 and <c>café</c> 264 (not special, normalized),
/// <c>©x</c> 265 (not special, raw), <c>&lt;a b&gt;</c> 266 and <c>é!</c> 267 (special, raw). Tests change copies
/// of it to make malformed files.
/// </summary>
internal static class TinyTokenizerJson
{
    public static JsonObject Create()
    {
        var vocab = new JsonObject();
        for (int b = 0; b < 256; b++)
            vocab[ByteChar(b).ToString()] = b;
        string[] merged = ["he", "ll", "hell", "Ġh", "hello", "Ã©"];
        for (int i = 0; i < merged.Length; i++)
            vocab[merged[i]] = 256 + i;

        return new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = new JsonArray(
                Added(262, "<|endoftext|>", special: true, normalized: false),
                Added(263, "<x>", special: false, normalized: true),
                Added(264, "café", special: false, normalized: true),
                Added(265, "©x", special: false, normalized: false),
                Added(266, "<a b>", special: true, normalized: false),
                Added(267, "é!", special: true, normalized: false)),
            ["normalizer"] = new JsonObject { ["type"] = "NFC" },
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject
                    {
                        ["type"] = "Split",
                        ["pattern"] = new JsonObject { ["Regex"] = Qwen2Tokenizer.DefaultPreTokenizerPattern },
                        ["behavior"] = "Isolated",
                        ["invert"] = false,
                    },
                    new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = false }),
            },
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel" },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = null,
                ["continuing_subword_prefix"] = "",
                ["end_of_word_suffix"] = "",
                ["byte_fallback"] = false,
                ["ignore_merges"] = false,
                ["vocab"] = vocab,
                ["merges"] = new JsonArray(Pair("h", "e"), Pair("l", "l"), Pair("he", "ll"), Pair("Ġ", "h"), Pair("Ã", "©")),
            },
        };
    }

    /// <summary>Writes <paramref name="root"/> to <paramref name="path"/> and returns the path.</summary>
    public static string Write(JsonObject root, string path)
    {
        File.WriteAllText(path, root.ToJsonString());
        return path;
    }

    /// <summary>GPT-2's byte-to-unicode character of byte <paramref name="b"/>.</summary>
    public static char ByteChar(int b)
    {
        static bool Printable(int v) => v is >= 33 and <= 126 or >= 161 and <= 172 or >= 174 and <= 255;
        if (Printable(b))
            return (char)b;
        return (char)(256 + Enumerable.Range(0, b).Count(v => !Printable(v)));
    }

    private static JsonObject Added(int id, string content, bool special, bool normalized) => new()
    {
        ["id"] = id,
        ["content"] = content,
        ["single_word"] = false,
        ["lstrip"] = false,
        ["rstrip"] = false,
        ["normalized"] = normalized,
        ["special"] = special,
    };

    private static JsonArray Pair(string left, string right) => new(left, right);
}
