using System.Buffers;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace Microsoft.ML.VideoCaptioning.Text;

/// <summary>
/// The <see cref="Microsoft.ML.Tokenizers.Tokenizer"/> members of <see cref="Qwen2Tokenizer"/>, on top of the same
/// encoder as <see cref="Encode"/>, so they give the same ids.
/// </summary>
/// <remarks>
/// <para>
/// Settings: <see cref="EncodeSettings.ConsiderNormalization"/> = false skips NFC; <see cref="EncodeSettings.ConsiderPreTokenization"/>
/// = false encodes the text between added tokens as one BPE piece (Hugging Face with no pre-tokenizer); added tokens
/// are matched either way.
/// </para>
/// <para>
/// Offsets: an <see cref="EncodedToken.Offset"/> is the range of the characters whose UTF-8 bytes the token holds,
/// so the tokens of one multi-byte character that BPE split (e.g. an emoji's four bytes) share that character's range,
/// and every other token's range starts where the previous one ends. Ranges refer to the input text, unless NFC
/// changed it: then they refer to <see cref="EncodeResults{T}.NormalizedText"/> (the input with the text between raw
/// added tokens NFC-normalized), which is null otherwise. Lone surrogates, encoded as U+FFFD, keep their position.
/// A <see cref="EncodeSettings.MaxTokenCount"/> limit never splits a character: the tokens are cut where a character
/// ends, and <see cref="EncodeResults{T}.CharsConsumed"/> is that end.
/// </para>
/// </remarks>
public sealed partial class Qwen2Tokenizer
{
    private readonly PiecePreTokenizer _piecePreTokenizer;

    /// <summary>
    /// The pieces BPE encodes separately: every added token is a piece of its own, and the text between them is split
    /// by <see cref="PreTokenizerPattern"/>. The text is taken as given (not normalized).
    /// </summary>
    public override Microsoft.ML.Tokenizers.PreTokenizer PreTokenizer => _piecePreTokenizer;

    /// <summary>
    /// NFC, when the tokenizer normalizes (else null). The tokenizer itself normalizes only the text between raw added
    /// tokens, which gives the same result for Qwen2's added tokens.
    /// </summary>
    public override Normalizer? Normalizer => _normalizeNfc ? NfcNormalizer.Instance : null;

    /// <inheritdoc/>
    protected override EncodeResults<EncodedToken> EncodeToTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        TracedEncoding encoding = EncodeTraced(text ?? textSpan.ToString(), settings);
        int count = encoding.PrefixTokenCount(settings.MaxTokenCount);
        var tokens = new List<EncodedToken>(count);
        for (int i = 0; i < count; i++)
            tokens.Add(new EncodedToken(encoding.Ids[i], IdToToken(encoding.Ids[i])!, encoding.Offsets[i]));
        return new EncodeResults<EncodedToken> { Tokens = tokens, NormalizedText = encoding.NormalizedText, CharsConsumed = encoding.CharsConsumed(count) };
    }

    /// <inheritdoc/>
    protected override EncodeResults<int> EncodeToIds(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        string input = text ?? textSpan.ToString();
        if (TryEncodeWhole(input, settings) is { } ids)
            return new EncodeResults<int> { Tokens = ids, NormalizedText = null, CharsConsumed = input.Length };
        TracedEncoding encoding = EncodeTraced(input, settings);
        int count = encoding.PrefixTokenCount(settings.MaxTokenCount);
        return new EncodeResults<int> { Tokens = encoding.Ids.GetRange(0, count), NormalizedText = encoding.NormalizedText, CharsConsumed = encoding.CharsConsumed(count) };
    }

    /// <inheritdoc/>
    protected override int CountTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        string input = text ?? textSpan.ToString();
        return TryEncodeWhole(input, settings)?.Count ?? EncodeTraced(input, settings).PrefixTokenCount(settings.MaxTokenCount);
    }

    /// <inheritdoc/>
    protected override int GetIndexByTokenCount(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings, bool fromEnd, out string? normalizedText, out int tokenCount)
    {
        string input = text ?? textSpan.ToString();
        if (TryEncodeWhole(input, settings) is { } ids)
        {
            normalizedText = null;
            tokenCount = ids.Count;
            return fromEnd ? 0 : input.Length;
        }

        TracedEncoding encoding = EncodeTraced(input, settings);
        normalizedText = encoding.NormalizedText;
        if (!fromEnd)
        {
            tokenCount = encoding.PrefixTokenCount(settings.MaxTokenCount);
            return encoding.CharsConsumed(tokenCount);
        }
        int start = encoding.SuffixStart(settings.MaxTokenCount);
        tokenCount = encoding.Ids.Count - start;
        return start < encoding.Ids.Count ? encoding.Offsets[start].Start.Value : encoding.TextLength;
    }

    /// <summary>Decodes like <c>Decode(ids, skipSpecialTokens: false)</c>.</summary>
    public override string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return Decode((ids as int[] ?? ids.ToArray()).AsSpan(), skipSpecialTokens: false);
    }

    /// <summary>
    /// Decodes like <c>Decode(ids, skipSpecialTokens: false)</c> into <paramref name="destination"/>. When it is too
    /// small, it holds the text of the first <paramref name="idsConsumed"/> ids, cut where no character is split
    /// across ids, and the rest can be decoded from there.
    /// </summary>
    public override OperationStatus Decode(IEnumerable<int> ids, Span<char> destination, out int idsConsumed, out int charsWritten)
    {
        ArgumentNullException.ThrowIfNull(ids);
        Decoder decoder = Encoding.UTF8.GetDecoder();
        int fed = 0, written = 0;
        idsConsumed = 0;
        charsWritten = 0;
        foreach (int id in ids)
        {
            fed++;
            if (Includes(id, skipSpecialTokens: false))
            {
                ReadOnlySpan<byte> bytes = TokenBytes(id);
                if (written + decoder.GetCharCount(bytes, flush: false) > destination.Length)
                    return OperationStatus.DestinationTooSmall;
                written += decoder.GetChars(bytes, destination[written..], flush: false);
            }
            // No bytes held back for a character that continues in the next id: a place to resume from.
            if (decoder.GetCharCount([], flush: true) == 0)
                (idsConsumed, charsWritten) = (fed, written);
        }

        if (written + decoder.GetCharCount([], flush: true) > destination.Length)
            return OperationStatus.DestinationTooSmall;
        written += decoder.GetChars([], destination[written..], flush: true);
        (idsConsumed, charsWritten) = (fed, written);
        return OperationStatus.Done;
    }

    /// <summary>
    /// The ids of <paramref name="text"/> when they need no offsets: all of them fit in the settings' maximum and
    /// normalization changed nothing. Null otherwise.
    /// </summary>
    private List<int>? TryEncodeWhole(string text, EncodeSettings settings)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.MaxTokenCount, 1, nameof(settings.MaxTokenCount));
        var state = new EncodeState(text.Length, settings.ConsiderNormalization, settings.ConsiderPreTokenization, trace: null);
        EncodeAroundAddedTokens(ReplaceLoneSurrogates(text), _rawAddedTokens, normalizeSegments: true, state);
        return state.NormalizationChangedText || state.Ids.Count > settings.MaxTokenCount ? null : state.Ids;
    }

    /// <summary>Encodes <paramref name="text"/> recording every token's character range.</summary>
    private TracedEncoding EncodeTraced(string text, EncodeSettings settings)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.MaxTokenCount, 1, nameof(settings.MaxTokenCount));
        string source = ReplaceLoneSurrogates(text);
        var trace = new OffsetTrace();
        var state = new EncodeState(source.Length, settings.ConsiderNormalization, settings.ConsiderPreTokenization, trace);
        EncodeAroundAddedTokens(source, _rawAddedTokens, normalizeSegments: true, state);
        string encoded = state.NormalizationChangedText ? trace.Text.ToString() : source;
        return new TracedEncoding(state.Ids, trace.TokenOffsets(encoded, state.Ids, this), state.NormalizationChangedText ? encoded : null, encoded.Length);
    }

    /// <summary>The pieces of one encoding (added tokens and BPE pieces, in order) and the text they make up.</summary>
    private sealed class OffsetTrace
    {
        private readonly List<(int Start, int Length, int TokenCount, bool IsAddedToken)> _pieces = [];

        /// <summary>The pieces as (start, length) in <see cref="Text"/>.</summary>
        public IEnumerable<(int Offset, int Length)> Pieces => _pieces.Select(p => (p.Start, p.Length));

        /// <summary>The encoded text: the input, or its normalized form.</summary>
        public StringBuilder Text { get; } = new();

        public void Add(ReadOnlySpan<char> piece, int tokenCount, bool isAddedToken)
        {
            _pieces.Add((Text.Length, piece.Length, tokenCount, isAddedToken));
            Text.Append(piece);
        }

        /// <summary>
        /// Each token's range in <paramref name="text"/>: an added token's whole text; a BPE token's characters,
        /// found by walking the UTF-8 bytes of its piece.
        /// </summary>
        public Range[] TokenOffsets(string text, List<int> ids, Qwen2Tokenizer tokenizer)
        {
            var offsets = new Range[ids.Count];
            int k = 0;
            foreach ((int start, int length, int tokenCount, bool isAddedToken) in _pieces)
            {
                if (isAddedToken)
                {
                    offsets[k++] = new Range(start, start + length);
                    continue;
                }

                int position = start;        // the character that holds the next byte
                int bytesLeft = 0, width = 0; // bytes of that character not yet in a token, and its UTF-16 length
                for (int t = 0; t < tokenCount; t++)
                {
                    int tokenStart = position;
                    for (int n = tokenizer.TokenBytes(ids[k]).Length; n > 0;)
                    {
                        if (bytesLeft == 0)
                            (bytesLeft, width) = Utf8Length(text, position);
                        int take = Math.Min(n, bytesLeft);
                        n -= take;
                        bytesLeft -= take;
                        if (bytesLeft == 0)
                            position += width;
                    }
                    offsets[k++] = new Range(tokenStart, bytesLeft > 0 ? position + width : position);
                }
                if (position != start + length)
                    throw new InvalidOperationException($"The tokens of piece \"{text.Substring(start, length)}\" do not hold its UTF-8 bytes.");
            }
            return offsets;
        }

        /// <summary>The UTF-8 length of the character at <paramref name="i"/> and its UTF-16 length.</summary>
        private static (int Bytes, int Chars) Utf8Length(string text, int i)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                return (4, 2);
            return (c < 0x80 ? 1 : c < 0x800 ? 2 : 3, 1);
        }
    }

    /// <summary>Ids with their character ranges in a text of <paramref name="TextLength"/> characters.</summary>
    private sealed record TracedEncoding(List<int> Ids, Range[] Offsets, string? NormalizedText, int TextLength)
    {
        /// <summary>The most tokens, at most <paramref name="maxTokenCount"/>, that end where a character ends.</summary>
        public int PrefixTokenCount(int maxTokenCount)
        {
            int count = Math.Min(maxTokenCount, Ids.Count);
            while (count > 0 && !EndsCharacter(count))
                count--;
            return count;
        }

        /// <summary>The first token of the longest suffix of at most <paramref name="maxTokenCount"/> tokens that starts where a character starts.</summary>
        public int SuffixStart(int maxTokenCount)
        {
            int start = Math.Max(0, Ids.Count - maxTokenCount);
            while (start < Ids.Count && !EndsCharacter(start))
                start++;
            return start;
        }

        /// <summary>The characters the first <paramref name="count"/> tokens cover.</summary>
        public int CharsConsumed(int count) => count == 0 ? 0 : Offsets[count - 1].End.Value;

        /// <summary>Whether no character is split between the first <paramref name="count"/> tokens and the rest.</summary>
        private bool EndsCharacter(int count)
            => count == 0 || count == Ids.Count || Offsets[count].Start.Value >= Offsets[count - 1].End.Value;
    }

    /// <summary><see cref="Qwen2Tokenizer.PreTokenizer"/>: the pieces that encoding finds, without normalization or BPE.</summary>
    private sealed class PiecePreTokenizer(Qwen2Tokenizer tokenizer) : Microsoft.ML.Tokenizers.PreTokenizer
    {
        public override IEnumerable<(int Offset, int Length)> PreTokenize(string text)
        {
            ArgumentNullException.ThrowIfNull(text);
            var trace = new OffsetTrace();
            var state = new EncodeState(0, normalize: false, preTokenize: true, trace, piecesOnly: true);
            tokenizer.EncodeAroundAddedTokens(text, tokenizer._rawAddedTokens, normalizeSegments: true, state);
            return trace.Pieces;
        }

        public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text) => PreTokenize(text.ToString());
    }

    /// <summary>Unicode normalization form C.</summary>
    private sealed class NfcNormalizer : Normalizer
    {
        public static NfcNormalizer Instance { get; } = new();

        public override string Normalize(string original) => original.Normalize(NormalizationForm.FormC);

        public override string Normalize(ReadOnlySpan<char> original) => original.ToString().Normalize(NormalizationForm.FormC);
    }
}
