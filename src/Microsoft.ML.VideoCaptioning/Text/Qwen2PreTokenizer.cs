using System.Globalization;

namespace Microsoft.ML.VideoCaptioning.Text;

/// <summary>
/// A scanner equivalent to the Qwen2 pre-tokenizer regex (<see cref="Pattern"/>) as Hugging Face tokenizers runs
/// it (Oniguruma, Unicode code points): <c>\p{L}</c> = letters, <c>\p{N}</c> = numbers, <c>\s</c> = U+0009–U+000D,
/// U+0085 and the separators (Zs, Zl, Zp), and the contractions are matched ASCII case-insensitively.
/// </summary>
internal sealed class Qwen2PreTokenizer : PreTokenizer
{
    /// <summary>The Qwen2 pre-tokenizer regex, as written in its tokenizer.json.</summary>
    public const string Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private enum CharClass : byte
    {
        /// <summary>Neither a letter, a number nor whitespace.</summary>
        Other,
        /// <summary><c>\p{L}</c>.</summary>
        Letter,
        /// <summary><c>\p{N}</c>.</summary>
        Number,
        /// <summary><c>\s</c> except '\r' and '\n'.</summary>
        Space,
        /// <summary>'\r' or '\n'.</summary>
        Newline,
    }

    private static readonly CharClass[] s_asciiClasses = BuildAsciiClasses();

    public override void Split(ReadOnlySpan<char> text, List<(int Start, int Length)> pieces)
    {
        for (int start = 0; start < text.Length;)
        {
            int end = PieceEnd(text, start);
            pieces.Add((start, end - start));
            start = end;
        }
    }

    /// <summary>The end of the match of <see cref="Pattern"/> that starts at <paramref name="i"/>.</summary>
    private static int PieceEnd(ReadOnlySpan<char> text, int i)
    {
        // (?i:'s|'t|'re|'ve|'m|'ll|'d)
        if (text[i] == '\'')
        {
            int contraction = ContractionLength(text[(i + 1)..]);
            if (contraction > 0)
                return i + 1 + contraction;
        }

        CharClass first = Classify(text, i, out int width);
        int next = i + width;
        switch (first)
        {
            case CharClass.Letter:
                // \p{L}+ (the optional leading character matched nothing)
                return SkipLetters(text, next);
            case CharClass.Number:
                // \p{N}
                return next;
            case CharClass.Newline:
                return WhitespaceEnd(text, i);
        }

        // [^\r\n\p{L}\p{N}]?\p{L}+ with a leading space or symbol
        if (next < text.Length && Classify(text, next, out _) == CharClass.Letter)
            return SkipLetters(text, next);

        // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
        int symbols = first == CharClass.Other ? i : text[i] == ' ' && next < text.Length && Classify(text, next, out _) == CharClass.Other ? next : -1;
        if (symbols >= 0)
        {
            int end = symbols;
            while (end < text.Length && Classify(text, end, out int w) == CharClass.Other)
                end += w;
            while (end < text.Length && text[end] is '\r' or '\n')
                end++;
            return end;
        }

        return WhitespaceEnd(text, i);
    }

    /// <summary>Length after the apostrophe of <c>s|t|re|ve|m|ll|d</c> (ASCII case-insensitive), or 0.</summary>
    private static int ContractionLength(ReadOnlySpan<char> rest)
    {
        if (rest.IsEmpty)
            return 0;
        char c1 = (char)(rest[0] | 0x20);
        if (c1 is 's' or 't' or 'm' or 'd')
            return 1;
        if (rest.Length < 2)
            return 0;
        char c2 = (char)(rest[1] | 0x20);
        return (c1, c2) is ('r', 'e') or ('v', 'e') or ('l', 'l') ? 2 : 0;
    }

    /// <summary>
    /// The whitespace alternatives at a whitespace character <paramref name="i"/>: <c>\s*[\r\n]+</c> (up to the last
    /// line break of the run), else <c>\s+(?!\S)</c> (the run, less its last character when a non-space follows),
    /// else <c>\s+</c> (a single character followed by a non-space).
    /// </summary>
    private static int WhitespaceEnd(ReadOnlySpan<char> text, int i)
    {
        int end = i;
        int lastBreak = -1;
        while (end < text.Length && IsWhitespace(text[end]))
        {
            if (text[end] is '\r' or '\n')
                lastBreak = end;
            end++;
        }
        if (lastBreak >= 0)
            return lastBreak + 1;
        if (end == text.Length || end - i == 1)
            return end;
        return end - 1;
    }

    private static int SkipLetters(ReadOnlySpan<char> text, int i)
    {
        while (i < text.Length && Classify(text, i, out int width) == CharClass.Letter)
            i += width;
        return i;
    }

    /// <summary>Whitespace is all in the BMP, so one UTF-16 unit decides it.</summary>
    private static bool IsWhitespace(char c)
        => c < 128 ? s_asciiClasses[c] is CharClass.Space or CharClass.Newline : ClassOf(c) == CharClass.Space;

    /// <summary>The class of the code point at <paramref name="i"/> and its length in UTF-16 units.</summary>
    private static CharClass Classify(ReadOnlySpan<char> text, int i, out int width)
    {
        char c = text[i];
        width = 1;
        if (c < 128)
            return s_asciiClasses[c];
        if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
        {
            width = 2;
            return ClassOf(char.ConvertToUtf32(c, text[i + 1]));
        }
        return ClassOf(c);
    }

    private static CharClass ClassOf(int codePoint)
    {
        if (codePoint == 0x85)
            return CharClass.Space;
        return CharUnicodeInfo.GetUnicodeCategory(codePoint) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => CharClass.Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => CharClass.Number,
            UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator => CharClass.Space,
            _ => CharClass.Other,
        };
    }

    private static CharClass[] BuildAsciiClasses()
    {
        var classes = new CharClass[128];
        for (int c = 0; c < 128; c++)
        {
            classes[c] = c switch
            {
                '\r' or '\n' => CharClass.Newline,
                '\t' or '\v' or '\f' or ' ' => CharClass.Space,
                >= '0' and <= '9' => CharClass.Number,
                >= 'A' and <= 'Z' or >= 'a' and <= 'z' => CharClass.Letter,
                _ => CharClass.Other,
            };
        }
        return classes;
    }
}
