using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Microsoft.ML.VideoCaptioning.Text;

/// <summary>
/// A pre-tokenizer that runs a .NET <see cref="Regex"/>. .NET regexes see UTF-16 code units, so before
/// matching every surrogate pair is replaced by one BMP character of the same Unicode general category; the
/// pieces are then mapped back. This makes <c>\p{…}</c> classes, <c>\s</c>, <c>\w</c> and <c>.</c> treat
/// astral characters (e.g. 𝕏, emoji) as single code points, as Hugging Face tokenizers does.
/// </summary>
internal sealed class RegexPreTokenizer : PreTokenizer
{
    private static readonly char[] s_standIns = BuildStandIns();

    private readonly Regex _regex;

    /// <exception cref="ArgumentException"><paramref name="pattern"/> is not a valid .NET regex.</exception>
    public RegexPreTokenizer(string pattern)
    {
        _regex = new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant);
    }

    public override void Split(ReadOnlySpan<char> text, List<(int Start, int Length)> pieces)
    {
        if (!text.ContainsAnyInRange('\uD800', '\uDFFF'))
        {
            AddPieces(text, offsets: null, pieces);
            return;
        }

        // offsets[k] = index in text of stand-in character k.
        var standIn = new char[text.Length];
        var offsets = new int[text.Length + 1];
        int count = 0;
        for (int i = 0; i < text.Length; count++)
        {
            offsets[count] = i;
            if (Rune.DecodeFromUtf16(text[i..], out Rune rune, out int used) == System.Buffers.OperationStatus.Done && used == 2)
                standIn[count] = s_standIns[(int)Rune.GetUnicodeCategory(rune)];
            else
                standIn[count] = text[i];
            i += used;
        }
        offsets[count] = text.Length;
        AddPieces(standIn.AsSpan(0, count), offsets, pieces);
    }

    private void AddPieces(ReadOnlySpan<char> text, int[]? offsets, List<(int Start, int Length)> pieces)
    {
        int position = 0;
        foreach (ValueMatch match in _regex.EnumerateMatches(text))
        {
            if (match.Index > position)
                Add(position, match.Index);
            if (match.Length > 0)
                Add(match.Index, match.Index + match.Length);
            position = match.Index + match.Length;
        }
        if (position < text.Length)
            Add(position, text.Length);

        void Add(int start, int end)
        {
            if (offsets != null)
                (start, end) = (offsets[start], offsets[end]);
            pieces.Add((start, end - start));
        }
    }

    /// <summary>For each general category, the first BMP character from U+0100 on that has it (outside ASCII and Latin-1).</summary>
    private static char[] BuildStandIns()
    {
        var standIns = new char[Enum.GetValues<UnicodeCategory>().Length];
        var found = new bool[standIns.Length];
        for (int c = 0x100; c <= 0xFFFF; c++)
        {
            if (c is >= 0xD800 and <= 0xDFFF)
                continue;
            int category = (int)CharUnicodeInfo.GetUnicodeCategory(c);
            if (!found[category])
            {
                found[category] = true;
                standIns[category] = (char)c;
            }
        }
        return standIns;
    }
}
