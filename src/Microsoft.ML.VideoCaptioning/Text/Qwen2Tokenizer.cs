using System.Buffers;
using System.Text;

namespace Microsoft.ML.VideoCaptioning.Text;

/// <summary>
/// The Qwen2 byte-level BPE tokenizer, giving the same ids as Hugging Face's
/// <c>tokenizer(text, add_special_tokens=False)</c>: added (special) tokens such as <c>&lt;|endoftext|&gt;</c> are
/// matched verbatim first (leftmost, longest); the text between them is NFC-normalized, split by the
/// pre-tokenizer regex, mapped to bytes and merged by BPE rank. No BOS/EOS is added. Instances are immutable and
/// thread-safe; the per-piece BPE cache is shared, concurrent and bounded.
/// </summary>
/// <remarks>
/// It is also a <see cref="Microsoft.ML.Tokenizers.Tokenizer"/> (<c>EncodeToIds</c>, <c>EncodeToTokens</c> with
/// offsets, <c>CountTokens</c>, <c>GetIndexByTokenCount</c>, <c>Decode</c>), so it can be passed wherever ML.NET takes
/// a tokenizer; those members are in <c>Qwen2Tokenizer.TokenizerApi.cs</c> and give the same ids as <see cref="Encode"/>.
/// </remarks>
public sealed partial class Qwen2Tokenizer : Microsoft.ML.Tokenizers.Tokenizer
{
    private const string EndOfTextToken = "<|endoftext|>";

    private readonly BytePairEncoder _bpe;
    private readonly Text.PreTokenizer _preTokenizer;
    private readonly bool _normalizeNfc;
    private readonly AddedTokenMatcher _rawAddedTokens;
    private readonly AddedTokenMatcher _normalizedAddedTokens;
    private readonly Dictionary<string, int> _addedByContent;
    private readonly HashSet<int> _specialIds;
    private readonly Dictionary<string, int> _vocab;
    private readonly string?[] _idToToken;
    private readonly byte[] _tokenBytes;
    private readonly int[] _tokenByteOffsets;

    private Qwen2Tokenizer(TokenizerDefinition definition)
    {
        string source = definition.Source;
        _vocab = definition.Vocab;
        _bpe = new BytePairEncoder(_vocab, definition.Merges, definition.IgnoreMerges, source);
        try
        {
            _preTokenizer = Text.PreTokenizer.Create(definition.Pattern);
        }
        catch (ArgumentException e)
        {
            throw new NotSupportedException($"{source}: the pre-tokenizer regex is not a valid .NET regex: {e.Message}", e);
        }
        PreTokenizerPattern = definition.Pattern;
        _normalizeNfc = definition.NormalizeNfc;

        var addedByContent = new Dictionary<string, AddedToken>(StringComparer.Ordinal);
        foreach (AddedToken token in definition.AddedTokens)
            addedByContent[token.Content] = token;
        _addedByContent = addedByContent.ToDictionary(p => p.Key, p => p.Value.Id, StringComparer.Ordinal);
        _specialIds = definition.AddedTokens.Where(t => t.Special).Select(t => t.Id).ToHashSet();
        _rawAddedTokens = new AddedTokenMatcher(addedByContent.Values.Where(t => !t.Normalized));
        _normalizedAddedTokens = new AddedTokenMatcher(addedByContent.Values.Where(t => t.Normalized));
        _piecePreTokenizer = new PiecePreTokenizer(this);

        (_idToToken, _tokenBytes, _tokenByteOffsets) = BuildTokenTables(_vocab, definition.AddedTokens);
        VocabSize = _vocab.Count + _addedByContent.Keys.Count(content => !_vocab.ContainsKey(content));
        ModelMaxLength = definition.ModelMaxLength;
        EndOfTextId = TokenToId(EndOfTextToken)
            ?? throw new InvalidDataException($"{source}: there is no '{EndOfTextToken}' token.");
        PadTokenId = definition.PadToken is null ? EndOfTextId
            : TokenToId(definition.PadToken) ?? throw new InvalidDataException($"{source}: the pad token '{definition.PadToken}' is not a token.");
    }

    /// <summary>
    /// Qwen2's pre-tokenizer regex, used when a tokenizer.json has no Split pre-tokenizer and by
    /// <see cref="FromVocabAndMerges"/>.
    /// </summary>
    public const string DefaultPreTokenizerPattern = Qwen2PreTokenizer.Pattern;

    /// <summary>
    /// Where the tokenizer that ships with the library is: <c>assets/qwen2-tokenizer/tokenizer.json</c> next to the
    /// application.
    /// </summary>
    public static string DefaultTokenizerJsonPath => Path.Combine(AppContext.BaseDirectory, "assets", "qwen2-tokenizer", "tokenizer.json");

    /// <summary>The id of <c>&lt;|endoftext|&gt;</c> (151643 for Qwen2): Qwen2's end-of-sequence token.</summary>
    public int EndOfTextId { get; }

    /// <summary>
    /// The padding id: the <c>pad_token</c> of <c>tokenizer_config.json</c> when one was given, else
    /// <see cref="EndOfTextId"/> (Qwen2's pad token).
    /// </summary>
    public int PadTokenId { get; }

    /// <summary>
    /// The number of tokens, added tokens included (151646 for Qwen2), like Python's <c>len(tokenizer)</c>; the
    /// model's embedding matrix may have more rows.
    /// </summary>
    public int VocabSize { get; }

    /// <summary>
    /// The length that <see cref="EncodeBatch"/> truncates to when truncation is on and no maximum is given: the
    /// <c>model_max_length</c> of <c>tokenizer_config.json</c>, else Qwen2's 32768.
    /// </summary>
    public int ModelMaxLength { get; }

    /// <summary>The pre-tokenizer regex in use (read from the file, or Qwen2's when the file has none).</summary>
    public string PreTokenizerPattern { get; }

    /// <summary>
    /// Loads a Hugging Face <c>tokenizer.json</c>: BPE <c>model.vocab</c> and <c>model.merges</c> (as
    /// <c>"left right"</c> strings or <c>[left, right]</c> pairs), <c>added_tokens</c>, the NFC normalizer (or
    /// none) and the regex of a <c>Split</c> pre-tokenizer (Qwen2's when there is none).
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is malformed (the message names it).</exception>
    /// <exception cref="NotSupportedException">The file uses a feature this byte-level BPE tokenizer lacks.</exception>
    public static Qwen2Tokenizer FromTokenizerJson(string path)
        => new(TokenizerFiles.ReadTokenizerJson(path));

    /// <summary>
    /// Loads slow-tokenizer files: <c>vocab.json</c> and <c>merges.txt</c>, with the added tokens of
    /// <c>added_tokens_decoder</c> (and <c>pad_token</c>, <c>model_max_length</c>) from
    /// <paramref name="tokenizerConfigPath"/> when given, else Qwen2's three special tokens
    /// (<c>&lt;|endoftext|&gt;</c> 151643, <c>&lt;|im_start|&gt;</c> 151644, <c>&lt;|im_end|&gt;</c> 151645).
    /// Text is NFC-normalized and split with the Qwen2 regex.
    /// </summary>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="InvalidDataException">A file is malformed (the message names it).</exception>
    /// <exception cref="NotSupportedException">An added token uses lstrip, rstrip or single_word.</exception>
    public static Qwen2Tokenizer FromVocabAndMerges(string vocabJsonPath, string mergesTxtPath, string? tokenizerConfigPath = null)
        => new(TokenizerFiles.ReadVocabAndMerges(vocabJsonPath, mergesTxtPath, tokenizerConfigPath));

    /// <summary>Loads the tokenizer that ships with the library (<see cref="DefaultTokenizerJsonPath"/>).</summary>
    public static Qwen2Tokenizer LoadDefault() => FromTokenizerJson(DefaultTokenizerJsonPath);

    /// <summary>
    /// Encodes text to token ids without adding any token. Unpaired UTF-16 surrogates are encoded as U+FFFD.
    /// </summary>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var state = new EncodeState(text.Length, normalize: true, preTokenize: true, trace: null);
        EncodeAroundAddedTokens(ReplaceLoneSurrogates(text), _rawAddedTokens, normalizeSegments: true, state);
        return state.Ids.ToArray();
    }

    /// <summary>
    /// Decodes token ids to text like Hugging Face <c>decode</c> with the ByteLevel decoder: every token, added
    /// tokens included, stands for bytes (its characters mapped back through the byte alphabet, or its UTF-8 form
    /// when a character is not in the alphabet); the bytes of all tokens are UTF-8 decoded together, invalid
    /// sequences becoming U+FFFD. Special tokens are dropped when <paramref name="skipSpecialTokens"/> is set, and
    /// ids that are no token are always dropped.
    /// </summary>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false)
    {
        int length = 0;
        foreach (int id in ids)
        {
            if (Includes(id, skipSpecialTokens))
                length += TokenBytes(id).Length;
        }

        byte[] bytes = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            int position = 0;
            foreach (int id in ids)
            {
                if (!Includes(id, skipSpecialTokens))
                    continue;
                ReadOnlySpan<byte> token = TokenBytes(id);
                token.CopyTo(bytes.AsSpan(position));
                position += token.Length;
            }
            return Encoding.UTF8.GetString(bytes, 0, length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>
    /// Encodes several texts like Hugging Face <c>tokenizer(texts, padding="longest", truncation=True,
    /// max_length=maxLength, add_special_tokens=False)</c>: each text is cut to <paramref name="maxLength"/> tokens
    /// (<see cref="ModelMaxLength"/> when null) when <paramref name="truncation"/> is set, then, when
    /// <paramref name="padToLongest"/> is set, right-padded with <paramref name="padId"/>
    /// (<see cref="PadTokenId"/> when null) to the longest row. The mask is 1 on tokens and 0 on padding.
    /// </summary>
    public TokenizedBatch EncodeBatch(IReadOnlyList<string> texts, int? maxLength = null, bool padToLongest = true, int? padId = null, bool truncation = true)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (maxLength < 0)
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "The maximum length cannot be negative.");
        int limit = truncation ? maxLength ?? ModelMaxLength : int.MaxValue;
        int pad = padId ?? PadTokenId;

        var rows = new int[texts.Count][];
        for (int i = 0; i < rows.Length; i++)
        {
            int[] ids = Encode(texts[i] ?? throw new ArgumentException($"Text {i} is null.", nameof(texts)));
            rows[i] = ids.Length > limit ? ids[..limit] : ids;
        }

        int width = padToLongest && rows.Length > 0 ? rows.Max(r => r.Length) : 0;
        var inputIds = new int[rows.Length][];
        var mask = new int[rows.Length][];
        for (int i = 0; i < rows.Length; i++)
        {
            int length = rows[i].Length;
            int padded = Math.Max(width, length);
            inputIds[i] = new int[padded];
            mask[i] = new int[padded];
            rows[i].CopyTo(inputIds[i], 0);
            inputIds[i].AsSpan(length).Fill(pad);
            mask[i].AsSpan(0, length).Fill(1);
        }
        return new TokenizedBatch(inputIds, mask);
    }

    /// <summary>The id of a token given in vocabulary spelling (e.g. <c>"Ġworld"</c>) or as an added token's text; null when unknown.</summary>
    public int? TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (_addedByContent.TryGetValue(token, out int id) || _vocab.TryGetValue(token, out id))
            return id;
        return null;
    }

    /// <summary>The token of an id in vocabulary spelling (an added token's text for added ids); null when the id has no token.</summary>
    public string? IdToToken(int id) => (uint)id < (uint)_idToToken.Length ? _idToToken[id] : null;

    /// <summary>Whether <paramref name="id"/> is a special token (dropped by <c>Decode(ids, skipSpecialTokens: true)</c>).</summary>
    public bool IsSpecialToken(int id) => _specialIds.Contains(id);

    /// <summary>
    /// Encodes <paramref name="text"/>, emitting the added tokens that <paramref name="matcher"/> finds and encoding
    /// the text between them: raw segments are normalized and searched again for normalized added tokens.
    /// </summary>
    private void EncodeAroundAddedTokens(ReadOnlySpan<char> text, AddedTokenMatcher matcher, bool normalizeSegments, EncodeState state)
    {
        while (true)
        {
            int index = matcher.FindFirst(text, out AddedToken token);
            ReadOnlySpan<char> segment = index < 0 ? text : text[..index];
            if (!segment.IsEmpty)
            {
                if (normalizeSegments)
                    EncodeAroundAddedTokens(state.Normalize ? Normalize(segment, state) : segment, _normalizedAddedTokens, normalizeSegments: false, state);
                else
                    EncodeOrdinaryText(segment, state);
            }
            if (index < 0)
                return;
            state.Ids.Add(token.Id);
            state.Trace?.Add(token.Content, tokenCount: 1, isAddedToken: true);
            text = text[(index + token.Content.Length)..];
        }
    }

    private void EncodeOrdinaryText(ReadOnlySpan<char> text, EncodeState state)
    {
        if (!state.PreTokenize)
        {
            EncodePiece(text, state);
            return;
        }
        state.Pieces.Clear();
        _preTokenizer.Split(text, state.Pieces);
        foreach ((int start, int length) in state.Pieces)
            EncodePiece(text.Slice(start, length), state);
    }

    private void EncodePiece(ReadOnlySpan<char> piece, EncodeState state)
    {
        int before = state.Ids.Count;
        if (!state.PiecesOnly)
            _bpe.EncodePiece(piece, state.Ids);
        state.Trace?.Add(piece, state.Ids.Count - before, isAddedToken: false);
    }

    private ReadOnlySpan<char> Normalize(ReadOnlySpan<char> text, EncodeState state)
    {
        // Text below U+0300 has no combining marks and nothing NFC changes.
        if (!_normalizeNfc || !text.ContainsAnyExceptInRange('\0', '\u02FF') || text.IsNormalized(NormalizationForm.FormC))
            return text;
        state.NormalizationChangedText = true;
        return text.ToString().Normalize(NormalizationForm.FormC);
    }

    private static string ReplaceLoneSurrogates(string text)
    {
        int first = text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF');
        if (first < 0)
            return text;
        char[]? chars = null;
        for (int i = first; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                i++;
            else if (char.IsSurrogate(text[i]))
                (chars ??= text.ToCharArray())[i] = '\uFFFD';
        }
        return chars == null ? text : new string(chars);
    }

    /// <summary>The bytes that token <paramref name="id"/> stands for (<paramref name="id"/> must have a token).</summary>
    private ReadOnlySpan<byte> TokenBytes(int id)
        => _tokenBytes.AsSpan(_tokenByteOffsets[id], _tokenByteOffsets[id + 1] - _tokenByteOffsets[id]);

    private bool Includes(int id, bool skipSpecialTokens)
        => (uint)id < (uint)_idToToken.Length && _idToToken[id] != null && !(skipSpecialTokens && _specialIds.Contains(id));

    /// <summary>
    /// Id → token (an added token replaces a vocabulary token of the same id), and the bytes of every token laid
    /// end to end: token i is bytes[offsets[i]..offsets[i + 1]].
    /// </summary>
    private static (string?[] IdToToken, byte[] Bytes, int[] Offsets) BuildTokenTables(Dictionary<string, int> vocab, IReadOnlyList<AddedToken> addedTokens)
    {
        int count = vocab.Values.Concat(addedTokens.Select(t => t.Id)).DefaultIfEmpty(-1).Max() + 1;
        var idToToken = new string?[count];
        foreach ((string token, int id) in vocab)
            idToToken[id] = token;
        foreach (AddedToken token in addedTokens)
            idToToken[token.Id] = token.Content;

        // A token's byte-level decoding is never longer than its UTF-8 form.
        var bytes = new byte[idToToken.Sum(t => t == null ? 0 : Encoding.UTF8.GetByteCount(t))];
        var offsets = new int[count + 1];
        int length = 0;
        for (int id = 0; id < count; id++)
        {
            offsets[id] = length;
            if (idToToken[id] is { } token)
                length += ByteLevelAlphabet.GetTokenBytes(token, bytes.AsSpan(length));
        }
        offsets[count] = length;
        return (idToToken, bytes, offsets);
    }

    /// <summary>One encoding pass: its options, the ids so far, and scratch space.</summary>
    /// <param name="textLength">The input's length, to size the id list.</param>
    /// <param name="normalize">Whether text between raw added tokens is NFC-normalized (when the tokenizer normalizes).</param>
    /// <param name="preTokenize">Whether text between added tokens is split by the pre-tokenizer (else it is one BPE piece).</param>
    /// <param name="trace">Where the pieces are recorded for offsets, or null.</param>
    /// <param name="piecesOnly">Whether only the pieces are recorded, without running BPE.</param>
    private sealed class EncodeState(int textLength, bool normalize, bool preTokenize, OffsetTrace? trace, bool piecesOnly = false)
    {
        public List<int> Ids { get; } = new(textLength / 4 + 4);

        public List<(int Start, int Length)> Pieces { get; } = [];

        public bool Normalize { get; } = normalize;

        public bool PreTokenize { get; } = preTokenize;

        public OffsetTrace? Trace { get; } = trace;

        public bool PiecesOnly { get; } = piecesOnly;

        /// <summary>Set when normalization changed some of the text.</summary>
        public bool NormalizationChangedText { get; set; }
    }
}
