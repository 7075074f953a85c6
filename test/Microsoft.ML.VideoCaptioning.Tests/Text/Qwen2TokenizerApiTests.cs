using System.Buffers;
using System.Text;
using Microsoft.ML.Tokenizers;
using Microsoft.ML.VideoCaptioning.Text;
using Xunit;

namespace Microsoft.ML.VideoCaptioning.Tests.Text;

/// <summary>
/// <see cref="Qwen2Tokenizer"/> used through ML.NET's <see cref="Tokenizer"/> API gives what its own API gives on
/// every reference vector, and its token offsets hold each token's UTF-8 bytes.
/// </summary>
public class Qwen2TokenizerApiTests
{
    private static readonly Dictionary<char, byte> s_byteOfChar =
        Enumerable.Range(0, 256).ToDictionary(b => TinyTokenizerJson.ByteChar(b), b => (byte)b);

    private static Qwen2Tokenizer Ours => TokenizerTestData.Default;

    private static Tokenizer Api => TokenizerTestData.Default;

    public static TheoryData<string> VectorFileNames => TokenizerVectorTests.VectorFileNames;

    [Theory]
    [MemberData(nameof(VectorFileNames))]
    public void TokenizerApiEncodesAndDecodesLikeTheNativeApi(string fileName)
    {
        var failures = new List<string>();
        foreach ((string text, _) in Cases(fileName))
        {
            int[] ids = Ours.Encode(text);
            Check(failures, text, "EncodeToIds", Api.EncodeToIds(text).SequenceEqual(ids));
            Check(failures, text, "EncodeToIds(span)", Api.EncodeToIds(text.AsSpan()).SequenceEqual(ids));
            Check(failures, text, "CountTokens", Api.CountTokens(text) == ids.Length);
            Check(failures, text, "Decode", Api.Decode(ids.ToList()) == Ours.Decode(ids));

            IReadOnlyList<EncodedToken> tokens = Api.EncodeToTokens(text, out string? normalized);
            Check(failures, text, "EncodeToTokens ids", tokens.Select(t => t.Id).SequenceEqual(ids));
            Check(failures, text, "EncodeToTokens values", tokens.Select(t => t.Value).SequenceEqual(ids.Select(Ours.IdToToken)));
            string nfc = text.Normalize(NormalizationForm.FormC);
            Check(failures, text, "normalized text", normalized == (nfc == text ? null : nfc));
            if (OffsetError(nfc, tokens) is { } error)
                failures.Add($"{Show(text)}: {error}");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} failures in {fileName}:\n" + string.Join("\n", failures.Take(20)));
    }

    [Theory]
    [MemberData(nameof(VectorFileNames))]
    public void TokenLimitsCutWhereACharacterEnds(string fileName)
    {
        var failures = new List<string>();
        foreach ((string text, _) in Cases(fileName))
        {
            int[] ids = Ours.Encode(text);
            string nfc = text.Normalize(NormalizationForm.FormC);
            foreach (int max in new[] { 1, ids.Length / 2, ids.Length - 1 }.Where(m => m >= 1).Distinct())
            {
                // A character has at most 4 bytes, so a cut moves back over at most 3 tokens to end where one ends.
                IReadOnlyList<int> head = Api.EncodeToIds(text, max, out string? normalized, out int consumed);
                Check(failures, text, $"EncodeToIds max {max}",
                    head.SequenceEqual(ids.Take(head.Count)) && head.Count <= max && head.Count > max - 4 && (normalized ?? text) == nfc
                    && Encoding.UTF8.GetByteCount(nfc[..consumed]) == ByteCount(ids.Take(head.Count)));

                int index = Api.GetIndexByTokenCount(text, max, out _, out int count);
                Check(failures, text, $"GetIndexByTokenCount max {max}", index == consumed && count == head.Count);

                int start = Api.GetIndexByTokenCountFromEnd(text, max, out string? normalizedFromEnd, out int tailCount);
                Check(failures, text, $"GetIndexByTokenCountFromEnd max {max}",
                    tailCount <= max && tailCount > max - 4 && (normalizedFromEnd ?? text) == nfc
                    && Encoding.UTF8.GetByteCount(nfc[start..]) == ByteCount(ids.Skip(ids.Length - tailCount)));
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} failures in {fileName}:\n" + string.Join("\n", failures.Take(20)));
    }

    [Theory]
    [MemberData(nameof(VectorFileNames))]
    public void SpanDecodeStopsBetweenCharacters(string fileName)
    {
        var failures = new List<string>();
        foreach ((string text, int[] ids) in Cases(fileName))
        {
            string expected = Ours.Decode(ids);
            var buffer = new char[expected.Length];
            OperationStatus status = Api.Decode(ids, buffer, out int idsConsumed, out int charsWritten);
            Check(failures, text, "Decode into a large enough span",
                status == OperationStatus.Done && idsConsumed == ids.Length && new string(buffer, 0, charsWritten) == expected);

            if (expected.Length < 2)
                continue;
            var small = new char[expected.Length / 2];
            status = Api.Decode(ids, small, out idsConsumed, out charsWritten);
            string prefix = Ours.Decode(ids.AsSpan(0, idsConsumed));
            Check(failures, text, "Decode into a small span",
                status == OperationStatus.DestinationTooSmall && idsConsumed < ids.Length && charsWritten == prefix.Length
                && new string(small, 0, charsWritten) == prefix && expected.StartsWith(prefix, StringComparison.Ordinal));
        }
        Assert.True(failures.Count == 0, $"{failures.Count} failures in {fileName}:\n" + string.Join("\n", failures.Take(20)));
    }

    [Fact]
    public void SpanDecodeReplacesInvalidUtf8LikeDecode()
    {
        int Byte(int b) => Ours.TokenToId(TinyTokenizerJson.ByteChar(b).ToString())!.Value;
        int[][] cases = [[Byte(0xC3), Byte('x')], [Byte('x'), Byte(0xC3)], [Byte(0xE4), Byte(0xBD), Byte('x')], [Byte(0xA9), Byte(0xC3), Byte(0xA9)]];
        foreach (int[] ids in cases)
        {
            string expected = Ours.Decode(ids);
            Assert.Contains('\uFFFD', expected);
            var buffer = new char[expected.Length];
            Assert.Equal(OperationStatus.Done, Api.Decode(ids, buffer, out int idsConsumed, out int charsWritten));
            Assert.Equal((ids.Length, expected), (idsConsumed, new string(buffer, 0, charsWritten)));
            Assert.Equal(expected, Api.Decode(ids.ToList()));
        }
    }

    [Fact]
    public void NormalizationCanBeTurnedOff()
    {
        const string text = "cafe\u0301 \u212B";
        Assert.Equal("café Å", Ours.Decode(Ours.Encode(text)));
        Assert.Equal(text, Ours.Decode(Api.EncodeToIds(text, considerNormalization: false).ToArray()));
        Assert.Equal("café Å", Api.Normalizer!.Normalize(text));
    }

    [Fact]
    public void LoneSurrogatesKeepTheirPlaceInOffsets()
    {
        const string text = "a\uD800b \U0001F600\uDC00<|endoftext|>\uDBFF";
        IReadOnlyList<EncodedToken> tokens = Api.EncodeToTokens(text, out string? normalized);
        Assert.Null(normalized);
        Assert.Equal(Ours.Encode(text), tokens.Select(t => t.Id));
        Assert.Null(OffsetError(text, tokens));
    }

    [Fact]
    public void WithoutPreTokenizationAddedTokensStillSplitTheText()
    {
        int[] ids = Api.EncodeToIds("hello  world<|endoftext|>hello  world", considerPreTokenization: false).ToArray();
        int end = Array.IndexOf(ids, Ours.EndOfTextId);
        Assert.True(end > 0, string.Join(", ", ids));
        Assert.Equal(ids[..end], ids[(end + 1)..]);
        Assert.Equal("hello  world", Ours.Decode(ids[..end]));
        Assert.NotEqual(Ours.Encode("hello  world"), ids[..end]); // one word: "ĠĠ" merges first
    }

    [Fact]
    public void PreTokenizerGivesThePiecesThatTokensComeFrom()
    {
        foreach (string text in TokenizerTestData.VectorTexts)
        {
            string nfc = text.Normalize(NormalizationForm.FormC);
            var pieces = Api.PreTokenizer!.PreTokenize(nfc).ToArray();
            var pieceOf = new int[nfc.Length];
            int end = 0;
            for (int p = 0; p < pieces.Length; p++)
            {
                Assert.True(pieces[p].Offset == end && pieces[p].Length > 0, $"{Show(text)}: piece {p} is {pieces[p]}");
                end += pieces[p].Length;
                pieceOf.AsSpan(pieces[p].Offset, pieces[p].Length).Fill(p);
            }
            Assert.Equal(nfc.Length, end);
            foreach (EncodedToken token in Api.EncodeToTokens(text, out _))
            {
                (int start, int length) = token.Offset.GetOffsetAndLength(nfc.Length);
                Assert.True(pieceOf[start] == pieceOf[start + length - 1], $"{Show(text)}: token {token.Value} spans pieces");
            }
        }
    }

    private static IReadOnlyList<(string Text, int[] Ids)> Cases(string fileName)
    {
        var cases = TokenizerTestData.ReadVectors(Path.Combine(TokenizerTestData.VectorDirectory, fileName));
        Assert.NotEmpty(cases);
        return cases;
    }

    /// <summary>
    /// Null when the tokens' bytes, laid end to end, are the UTF-8 of <paramref name="text"/> and each token's range
    /// runs from the character holding its first byte to the end of the one holding its last; else what is wrong.
    /// </summary>
    private static string? OffsetError(string text, IReadOnlyList<EncodedToken> tokens)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        var charStartOfByte = new int[utf8.Length];
        var charEndOfByte = new int[utf8.Length];
        int bytePosition = 0, charPosition = 0;
        foreach (Rune rune in text.EnumerateRunes())
        {
            for (int b = 0; b < rune.Utf8SequenceLength; b++)
                (charStartOfByte[bytePosition + b], charEndOfByte[bytePosition + b]) = (charPosition, charPosition + rune.Utf16SequenceLength);
            bytePosition += rune.Utf8SequenceLength;
            charPosition += rune.Utf16SequenceLength;
        }

        int position = 0;
        foreach (EncodedToken token in tokens)
        {
            byte[] bytes = TokenBytes(token.Value);
            if (bytes.Length == 0 || position + bytes.Length > utf8.Length || !utf8.AsSpan(position, bytes.Length).SequenceEqual(bytes))
                return $"the bytes of token {token.Value} are not the text's bytes at {position}";
            (int start, int length) = token.Offset.GetOffsetAndLength(text.Length);
            if (start != charStartOfByte[position] || start + length != charEndOfByte[position + bytes.Length - 1])
                return $"token {token.Value} at byte {position} has range {token.Offset}";
            position += bytes.Length;
        }
        return position == utf8.Length ? null : $"the tokens hold {position} of {utf8.Length} bytes";
    }

    /// <summary>The ByteLevel decoder's rule: a token's characters mapped back to bytes when all are in the byte alphabet, else its UTF-8.</summary>
    private static byte[] TokenBytes(string token)
        => token.All(s_byteOfChar.ContainsKey) ? token.Select(c => s_byteOfChar[c]).ToArray() : Encoding.UTF8.GetBytes(token);

    private static int ByteCount(IEnumerable<int> ids) => ids.Sum(id => TokenBytes(Ours.IdToToken(id)!).Length);

    private static void Check(List<string> failures, string text, string what, bool ok)
    {
        if (!ok)
            failures.Add($"{what}: {Show(text)}");
    }

    private static string Show(string text) => System.Text.Json.JsonSerializer.Serialize(text);
}
