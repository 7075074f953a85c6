namespace Microsoft.ML.VideoCaptioning.Text;

/// <summary>
/// GPT-2's byte-to-unicode table, used by byte-level BPE vocabularies: bytes 33–126, 161–172 and 174–255 are
/// written as the code point of the same value; the other 68 bytes, in increasing order, as U+0100…U+0143
/// (space → 'Ġ' U+0120, '\n' → 'Ċ' U+010A).
/// </summary>
internal static class ByteLevelAlphabet
{
    private const int CharTableSize = 0x144;

    private static readonly char[] s_byteToChar = BuildByteToChar();
    private static readonly short[] s_charToByte = BuildCharToByte(s_byteToChar);

    /// <summary>The character that stands for <paramref name="value"/> in vocabulary strings.</summary>
    public static char ToChar(byte value) => s_byteToChar[value];

    /// <summary>The byte that <paramref name="c"/> stands for, or false when <paramref name="c"/> is not in the alphabet.</summary>
    public static bool TryGetByte(char c, out byte value)
    {
        int b = c < CharTableSize ? s_charToByte[c] : -1;
        value = (byte)b;
        return b >= 0;
    }

    /// <summary>Writes bytes in vocabulary spelling.</summary>
    public static string ToVocabularyString(ReadOnlySpan<byte> bytes)
        => string.Create(bytes.Length, bytes, static (chars, source) =>
        {
            for (int i = 0; i < chars.Length; i++)
                chars[i] = s_byteToChar[source[i]];
        });

    /// <summary>
    /// Writes the bytes a token stands for: its characters mapped back to bytes when all are in the alphabet (the
    /// ByteLevel decoder's rule), else the token's UTF-8 form. Returns the number of bytes written;
    /// <paramref name="destination"/> must hold the token's UTF-8 form.
    /// </summary>
    public static int GetTokenBytes(string token, Span<byte> destination)
    {
        for (int i = 0; i < token.Length; i++)
        {
            if (!TryGetByte(token[i], out destination[i]))
                return System.Text.Encoding.UTF8.GetBytes(token, destination);
        }
        return token.Length;
    }

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int next = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= 33 and <= 126 or >= 161 and <= 172 or >= 174 and <= 255;
            map[b] = printable ? (char)b : (char)(256 + next++);
        }
        return map;
    }

    private static short[] BuildCharToByte(char[] byteToChar)
    {
        var map = new short[CharTableSize];
        Array.Fill(map, (short)-1);
        for (int b = 0; b < 256; b++)
            map[byteToChar[b]] = (short)b;
        return map;
    }
}
