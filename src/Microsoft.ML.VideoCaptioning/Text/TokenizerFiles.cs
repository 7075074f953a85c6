using System.Text.Json;

namespace Microsoft.ML.VideoCaptioning.Text;

/// <summary>
/// Reads Hugging Face tokenizer files: the fast <c>tokenizer.json</c>, or the slow <c>vocab.json</c> +
/// <c>merges.txt</c> (+ <c>tokenizer_config.json</c>). Errors name the file.
/// </summary>
internal static class TokenizerFiles
{
    /// <summary>Qwen2's <c>model_max_length</c>.</summary>
    public const int Qwen2ModelMaxLength = 32768;

    /// <summary>The special tokens of Qwen2 (all <c>special</c>, matched in the raw text).</summary>
    public static IReadOnlyList<AddedToken> Qwen2SpecialTokens { get; } =
    [
        new("<|endoftext|>", 151643, Special: true, Normalized: false),
        new("<|im_start|>", 151644, Special: true, Normalized: false),
        new("<|im_end|>", 151645, Special: true, Normalized: false),
    ];

    /// <summary>Reads a Hugging Face <c>tokenizer.json</c> with a byte-level BPE model.</summary>
    public static TokenizerDefinition ReadTokenizerJson(string path)
    {
        using JsonDocument document = ParseJson(path);
        JsonElement root = RequireObject(document.RootElement, "the root", path);

        JsonElement model = RequireObject(Property(root, "model") ?? default, "'model'", path);
        string? type = OptionalString(model, "type", path);
        if (type != null && type != "BPE")
            throw new NotSupportedException($"{path}: model type '{type}' is not supported; only byte-level BPE is.");
        if (OptionalBool(model, "byte_fallback", path))
            throw new NotSupportedException($"{path}: BPE 'byte_fallback' is not supported.");
        if (!string.IsNullOrEmpty(OptionalString(model, "continuing_subword_prefix", path)) || !string.IsNullOrEmpty(OptionalString(model, "end_of_word_suffix", path)))
            throw new NotSupportedException($"{path}: BPE 'continuing_subword_prefix' / 'end_of_word_suffix' are not supported.");
        if (Property(model, "dropout") is { ValueKind: not JsonValueKind.Null })
            throw new NotSupportedException($"{path}: BPE 'dropout' is not supported.");

        Dictionary<string, int> vocab = ReadVocab(RequireObject(Property(model, "vocab") ?? default, "'model.vocab'", path), path);
        List<(string, string)> merges = Property(model, "merges") is { ValueKind: not JsonValueKind.Null } mergesElement
            ? ReadMerges(mergesElement, path)
            : [];

        var added = new List<AddedToken>();
        if (Property(root, "added_tokens") is { ValueKind: not JsonValueKind.Null } addedElement)
        {
            if (addedElement.ValueKind != JsonValueKind.Array)
                throw Malformed(path, "'added_tokens' is not an array");
            foreach (JsonElement token in addedElement.EnumerateArray())
            {
                JsonElement t = RequireObject(token, "an 'added_tokens' entry", path);
                if (Property(t, "id") is not { ValueKind: JsonValueKind.Number } idElement || !idElement.TryGetInt32(out int id) || id < 0)
                    throw Malformed(path, "an 'added_tokens' entry has no valid 'id'");
                added.Add(ReadAddedToken(t, id, path));
            }
        }

        return new TokenizerDefinition(
            Source: path,
            Vocab: vocab,
            Merges: merges,
            AddedTokens: added,
            NormalizeNfc: ReadNormalizer(Property(root, "normalizer"), path),
            Pattern: ReadPreTokenizerPattern(Property(root, "pre_tokenizer"), path) ?? Qwen2PreTokenizer.Pattern,
            IgnoreMerges: OptionalBool(model, "ignore_merges", path),
            PadToken: null,
            ModelMaxLength: Qwen2ModelMaxLength);
    }

    /// <summary>
    /// Reads the slow-tokenizer files. Added tokens come from <c>added_tokens_decoder</c> of the optional
    /// <c>tokenizer_config.json</c>, else they are the Qwen2 special tokens; text is NFC-normalized and split with
    /// the Qwen2 pattern, as the slow <c>Qwen2Tokenizer</c> does.
    /// </summary>
    public static TokenizerDefinition ReadVocabAndMerges(string vocabJsonPath, string mergesTxtPath, string? tokenizerConfigPath)
    {
        Dictionary<string, int> vocab;
        using (JsonDocument document = ParseJson(vocabJsonPath))
            vocab = ReadVocab(RequireObject(document.RootElement, "the root", vocabJsonPath), vocabJsonPath);

        List<(string, string)> merges = ReadMergesTxt(mergesTxtPath);

        List<AddedToken> added = [.. Qwen2SpecialTokens];
        string? padToken = null;
        int modelMaxLength = Qwen2ModelMaxLength;
        if (tokenizerConfigPath != null)
        {
            using JsonDocument document = ParseJson(tokenizerConfigPath);
            JsonElement config = RequireObject(document.RootElement, "the root", tokenizerConfigPath);
            if (Property(config, "added_tokens_decoder") is { ValueKind: not JsonValueKind.Null } decoder)
            {
                added.Clear();
                foreach (JsonProperty entry in RequireObject(decoder, "'added_tokens_decoder'", tokenizerConfigPath).EnumerateObject())
                {
                    if (!int.TryParse(entry.Name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int id))
                        throw Malformed(tokenizerConfigPath, $"'added_tokens_decoder' key '{entry.Name}' is not a token id");
                    added.Add(ReadAddedToken(RequireObject(entry.Value, $"'added_tokens_decoder.{entry.Name}'", tokenizerConfigPath), id, tokenizerConfigPath));
                }
            }
            padToken = TokenText(Property(config, "pad_token"), "pad_token", tokenizerConfigPath);
            if (Property(config, "model_max_length") is { ValueKind: JsonValueKind.Number } maxLength)
                modelMaxLength = (int)Math.Clamp(maxLength.GetDouble(), 0, int.MaxValue);
        }

        string source = tokenizerConfigPath == null ? $"{vocabJsonPath} + {mergesTxtPath}" : $"{vocabJsonPath} + {mergesTxtPath} + {tokenizerConfigPath}";
        return new TokenizerDefinition(source, vocab, merges, added, NormalizeNfc: true, Qwen2PreTokenizer.Pattern, IgnoreMerges: false, padToken, modelMaxLength);
    }

    private static List<(string, string)> ReadMergesTxt(string path)
    {
        RequireFile(path);
        var merges = new List<(string, string)>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Length == 0 || (lineNumber == 1 && line.StartsWith("#version", StringComparison.Ordinal)))
                continue;
            int space = line.IndexOf(' ');
            if (space <= 0 || space == line.Length - 1 || line.IndexOf(' ', space + 1) >= 0)
                throw new InvalidDataException($"{path}: line {lineNumber} is not a merge of two tokens separated by one space: '{line}'.");
            merges.Add((line[..space], line[(space + 1)..]));
        }
        return merges;
    }

    private static Dictionary<string, int> ReadVocab(JsonElement vocabElement, string path)
    {
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (JsonProperty entry in vocabElement.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id) || id < 0)
                throw Malformed(path, $"the id of vocabulary token '{entry.Name}' is not a non-negative integer");
            vocab[entry.Name] = id;
        }
        return vocab;
    }

    /// <summary>Merges written as <c>"left right"</c> strings or as <c>["left", "right"]</c> pairs.</summary>
    private static List<(string, string)> ReadMerges(JsonElement mergesElement, string path)
    {
        if (mergesElement.ValueKind != JsonValueKind.Array)
            throw Malformed(path, "'model.merges' is not an array");
        var merges = new List<(string, string)>(mergesElement.GetArrayLength());
        foreach (JsonElement merge in mergesElement.EnumerateArray())
        {
            if (merge.ValueKind == JsonValueKind.String && merge.GetString()!.Split(' ') is [string left, string right])
                merges.Add((left, right));
            else if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2
                     && merge[0].ValueKind == JsonValueKind.String && merge[1].ValueKind == JsonValueKind.String)
                merges.Add((merge[0].GetString()!, merge[1].GetString()!));
            else
                throw Malformed(path, $"merge {merges.Count} is neither \"left right\" nor [\"left\", \"right\"]");
        }
        return merges;
    }

    private static AddedToken ReadAddedToken(JsonElement token, int id, string path)
    {
        string content = OptionalString(token, "content", path) is { Length: > 0 } c ? c : throw Malformed(path, $"added token {id} has no 'content'");
        foreach (string option in (string[])["lstrip", "rstrip", "single_word"])
        {
            if (OptionalBool(token, option, path))
                throw new NotSupportedException($"{path}: added token '{content}' sets '{option}', which is not supported.");
        }
        bool special = OptionalBool(token, "special", path);
        bool normalized = Property(token, "normalized") is { ValueKind: JsonValueKind.True or JsonValueKind.False } n ? n.GetBoolean() : !special;
        return new AddedToken(content, id, special, normalized);
    }

    /// <summary>Whether the normalizer is NFC; null and a Sequence of NFC are accepted too.</summary>
    private static bool ReadNormalizer(JsonElement? normalizer, string path)
    {
        if (normalizer is not { ValueKind: not JsonValueKind.Null } n)
            return false;
        string? type = OptionalString(RequireObject(n, "'normalizer'", path), "type", path);
        if (type == "NFC")
            return true;
        if (type == "Sequence" && Property(n, "normalizers") is { ValueKind: JsonValueKind.Array } items)
        {
            bool nfc = false;
            foreach (JsonElement item in items.EnumerateArray())
                nfc |= ReadNormalizer(item, path);
            return nfc;
        }
        throw new NotSupportedException($"{path}: normalizer '{type}' is not supported; only NFC (or none) is.");
    }

    /// <summary>
    /// The regex of the pre-tokenizer's <c>Split</c> step (behavior Isolated), or null when there is none. Byte-level
    /// steps must not add a prefix space or split on their own regex.
    /// </summary>
    private static string? ReadPreTokenizerPattern(JsonElement? preTokenizer, string path)
    {
        if (preTokenizer is not { ValueKind: not JsonValueKind.Null } p)
            return null;
        JsonElement step = RequireObject(p, "'pre_tokenizer'", path);
        switch (OptionalString(step, "type", path))
        {
            case "Sequence":
                if (Property(step, "pretokenizers") is not { ValueKind: JsonValueKind.Array } items)
                    throw Malformed(path, "'pre_tokenizer.pretokenizers' is not an array");
                string? pattern = null;
                foreach (JsonElement item in items.EnumerateArray())
                {
                    string? itemPattern = ReadPreTokenizerPattern(item, path);
                    if (itemPattern != null && pattern != null)
                        throw new NotSupportedException($"{path}: more than one Split pre-tokenizer is not supported.");
                    pattern ??= itemPattern;
                }
                return pattern;
            case "Split":
                if (OptionalString(step, "behavior", path) != "Isolated" || OptionalBool(step, "invert", path))
                    throw new NotSupportedException($"{path}: only Split pre-tokenizers with behavior 'Isolated' and invert false are supported.");
                JsonElement patternElement = RequireObject(Property(step, "pattern") ?? default, "'Split.pattern'", path);
                if (OptionalString(patternElement, "Regex", path) is { } regex)
                    return regex;
                if (OptionalString(patternElement, "String", path) is { } literal)
                    return System.Text.RegularExpressions.Regex.Escape(literal);
                throw Malformed(path, "'Split.pattern' has neither 'Regex' nor 'String'");
            case "ByteLevel":
                if (OptionalBool(step, "add_prefix_space", path) || OptionalBool(step, "use_regex", path))
                    throw new NotSupportedException($"{path}: ByteLevel pre-tokenizer with add_prefix_space or use_regex is not supported.");
                return null;
            case var type:
                throw new NotSupportedException($"{path}: pre-tokenizer '{type}' is not supported.");
        }
    }

    /// <summary>A token given as <c>"text"</c> or <c>{"content": "text"}</c>; null when absent or null.</summary>
    private static string? TokenText(JsonElement? element, string name, string path) => element switch
    {
        null or { ValueKind: JsonValueKind.Null } => null,
        { ValueKind: JsonValueKind.String } s => s.GetString(),
        { ValueKind: JsonValueKind.Object } o when OptionalString(o, "content", path) is { } content => content,
        _ => throw Malformed(path, $"'{name}' is neither a string nor an object with 'content'"),
    };

    private static JsonDocument ParseJson(string path)
    {
        RequireFile(path);
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: invalid JSON: {e.Message}", e);
        }
    }

    private static void RequireFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Tokenizer file not found: {path}", path);
    }

    private static JsonElement? Property(JsonElement element, string name)
        => element.TryGetProperty(name, out JsonElement value) ? value : null;

    private static JsonElement RequireObject(JsonElement element, string what, string path)
        => element.ValueKind == JsonValueKind.Object ? element : throw Malformed(path, $"{what} is missing or not an object");

    private static string? OptionalString(JsonElement element, string name, string path) => Property(element, name) switch
    {
        null or { ValueKind: JsonValueKind.Null } => null,
        { ValueKind: JsonValueKind.String } s => s.GetString(),
        _ => throw Malformed(path, $"'{name}' is not a string"),
    };

    private static bool OptionalBool(JsonElement element, string name, string path) => Property(element, name) switch
    {
        null or { ValueKind: JsonValueKind.Null } => false,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        _ => throw Malformed(path, $"'{name}' is not a boolean"),
    };

    private static InvalidDataException Malformed(string path, string problem) => new($"{path}: malformed tokenizer file: {problem}.");
}
