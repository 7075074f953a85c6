using System.Text;
using System.Text.RegularExpressions;

namespace Microsoft.ML.VideoCaptioning.Evaluation.Meteor;

/// <summary>
/// Meteor 1.5's <c>-norm</c> text normalization for English (a Moses-style tokenizer with Meteor's additions):
/// punctuation separated, quotes and dashes unified, hyphens between word characters removed, English contractions
/// split to the right, periods split off unless the word is a non-breaking prefix or an acronym (whose dots are
/// dropped), whitespace collapsed. Lowercasing is a separate, later step.
/// </summary>
internal static partial class MeteorNormalizer
{
    // Letters Meteor treats as word characters: Latin-1 and Latin Extended-A letters, Cyrillic ranges.
    private const string Alpha = @"A-Za-z\u0160\u017D\u0161\u017E\u0178\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u017E\u0400-\u04FF\u0500-\u0527\uA640-\uA66E\uA67E-\uA697\u1D00-\u1D7F";
    private const string Alnum = "0-9" + Alpha;

    [GeneratedRegex(@"DOTMULTI\.([^\.])", RegexOptions.CultureInvariant)]
    private static partial Regex MultiDot2();

    [GeneratedRegex(@"([^0-9]),([^0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex CommaBetweenNonDigits();

    [GeneratedRegex(@"([0-9]),([^0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex CommaAfterDigit();

    [GeneratedRegex(@"([^0-9]),([0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex CommaBeforeDigit();

    [GeneratedRegex(@"([`\u2018\u2019])", RegexOptions.CultureInvariant)]
    private static partial Regex SingleQuotes();

    [GeneratedRegex(@"([\u201C\u201D]|'')", RegexOptions.CultureInvariant)]
    private static partial Regex DoubleQuotes();

    [GeneratedRegex(@"([" + Alnum + @"\.])[\-]([" + Alnum + "])", RegexOptions.CultureInvariant)]
    private static partial Regex DashBetweenWords();

    [GeneratedRegex(@"([^" + Alpha + "])[']([^" + Alpha + "])", RegexOptions.CultureInvariant)]
    private static partial Regex ApostropheBetweenNonLetters();

    [GeneratedRegex(@"([^" + Alpha + @"0-9])[']([" + Alpha + "])", RegexOptions.CultureInvariant)]
    private static partial Regex ApostropheBeforeLetter();

    [GeneratedRegex(@"([" + Alpha + "])[']([^" + Alpha + "])", RegexOptions.CultureInvariant)]
    private static partial Regex ApostropheAfterLetter();

    [GeneratedRegex(@"([" + Alpha + "])[']([" + Alpha + "])", RegexOptions.CultureInvariant)]
    private static partial Regex ApostropheInsideWord();

    [GeneratedRegex(@"([0-9])[']([s])", RegexOptions.CultureInvariant)]
    private static partial Regex ApostropheDecade();

    [GeneratedRegex("[" + Alpha + "]", RegexOptions.CultureInvariant)]
    private static partial Regex AnyLetter();

    /// <summary>Normalizes one line as <c>Normalizer.normalizeLine(line, English, keepPunctuation: true)</c>.</summary>
    /// <remarks>Each rewrite runs only when its literal character occurs, which cannot change the result.</remarks>
    public static string Normalize(string line, IReadOnlyDictionary<string, bool> nonbreakingPrefixes)
    {
        string s = SeparateSymbols(" " + line + " ");

        // Escape runs of dots so the period rules below leave them alone.
        s = EscapeMultipleDots(s);
        while (s.Contains("DOTMULTI.", StringComparison.Ordinal))
        {
            s = MultiDot2().Replace(s, "DOTDOTMULTI $1");
            s = s.Replace("DOTMULTI.", "DOTDOTMULTI", StringComparison.Ordinal);
        }

        if (s.Contains(','))
        {
            s = CommaBetweenNonDigits().Replace(s, "$1 , $2");
            s = CommaAfterDigit().Replace(s, "$1 , $2");
            s = CommaBeforeDigit().Replace(s, "$1 , $2");
        }

        if (s.AsSpan().IndexOfAny("`\u2018\u2019") >= 0) s = SingleQuotes().Replace(s, "'");
        if (s.AsSpan().IndexOfAny("\u201C\u201D") >= 0 || s.Contains("''", StringComparison.Ordinal)) s = DoubleQuotes().Replace(s, " \" ");

        if (s.AsSpan().IndexOfAny('-', '\u2013') >= 0)
        {
            s = s.Replace("\u2013", "-", StringComparison.Ordinal);
            s = s.Replace("--", "-", StringComparison.Ordinal);
            s = DashBetweenWords().Replace(s, "$1 $2");
        }

        if (s.Contains('\''))
        {
            s = ApostropheBetweenNonLetters().Replace(s, "$1 ' $2");
            s = ApostropheBeforeLetter().Replace(s, "$1 ' $2");
            s = ApostropheAfterLetter().Replace(s, "$1 ' $2");
            s = ApostropheInsideWord().Replace(s, "$1 '$2");
            s = ApostropheDecade().Replace(s, "$1 '$2");
        }

        s = SplitPeriods(s, nonbreakingPrefixes);

        while (s.Contains("DOTDOTMULTI", StringComparison.Ordinal)) s = s.Replace("DOTDOTMULTI", "DOTMULTI.", StringComparison.Ordinal);
        s = s.Replace("DOTMULTI", ".", StringComparison.Ordinal);

        return LegacyText.JavaTrim(CollapseWhitespace(s));
    }

    private static bool IsMeteorSpace(char c) =>
        c is ' ' or '\u00A0' or '\u1680' or >= '\u2000' and <= '\u200A' or '\u202F' or '\u205F' or '\u3000';

    // Runs of Meteor's space characters become one ASCII space.
    private static string CollapseWhitespace(string s)
    {
        var sb = new StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (IsMeteorSpace(s[i]))
            {
                sb.Append(' ');
                while (i + 1 < s.Length && IsMeteorSpace(s[i + 1])) i++;
            }
            else
            {
                sb.Append(s[i]);
            }
        }
        return sb.ToString();
    }

    // Puts spaces around every code point that is not a word character, whitespace, or one of . ' ` , - ‘ ’.
    private static string SeparateSymbols(string s)
    {
        int first = 0;
        while (first < s.Length && IsKeptTogether(s[first])) first++;
        if (first == s.Length) return s;

        var sb = new StringBuilder(s.Length + 16);
        sb.Append(s, 0, first);
        for (int i = first; i < s.Length; i++)
        {
            char c = s[i];
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                sb.Append(' ').Append(c).Append(s[i + 1]).Append(' ');
                i++;
            }
            else if (IsKeptTogether(c))
            {
                sb.Append(c);
            }
            else
            {
                sb.Append(' ').Append(c).Append(' ');
            }
        }
        return sb.ToString();
    }

    private static bool IsKeptTogether(char c) =>
        IsAlnum(c) || c is ' ' or '\t' or '\n' or '\u000B' or '\f' or '\r' or '.' or '\'' or '`' or ',' or '-' or '\u2018' or '\u2019';

    private static bool IsAlnum(char c) =>
        c is >= '0' and <= '9' || IsAlpha(c);

    private static bool IsAlpha(char c) =>
        c is >= 'A' and <= 'Z' or >= 'a' and <= 'z' or '\u0160' or '\u017D' or '\u0161' or '\u017E' or '\u0178'
            or >= '\u00C0' and <= '\u00D6' or >= '\u00D8' and <= '\u00F6' or >= '\u00F8' and <= '\u017E'
            or >= '\u0400' and <= '\u0527' or >= '\uA640' and <= '\uA66E' or >= '\uA67E' and <= '\uA697'
            or >= '\u1D00' and <= '\u1D7F';

    // A run of two or more dots ".…." becomes " DOTMULTI" followed by the run without its first dot.
    private static string EscapeMultipleDots(string s)
    {
        if (!s.Contains("..", StringComparison.Ordinal)) return s;
        var sb = new StringBuilder(s.Length + 16);
        int i = 0;
        while (i < s.Length)
        {
            if (s[i] == '.' && i + 1 < s.Length && s[i + 1] == '.')
            {
                int end = i + 1;
                while (end < s.Length && s[end] == '.') end++;
                sb.Append(" DOTMULTI").Append('.', end - i - 1);
                i = end;
            }
            else
            {
                sb.Append(s[i++]);
            }
        }
        return sb.ToString();
    }

    private static string SplitPeriods(string s, IReadOnlyDictionary<string, bool> nonbreakingPrefixes)
    {
        // Without a period this step only re-joins the words with single spaces, which the final whitespace
        // collapse and trim also achieve once the word separators are spaces.
        if (!s.Contains('.'))
            return string.Create(s.Length, s, (span, src) =>
            {
                for (int i = 0; i < src.Length; i++) span[i] = src[i] is '\t' or '\n' or '\r' or '\f' ? ' ' : src[i];
            });

        var words = LegacyText.JavaStringTokenizer(s);
        var sb = new StringBuilder(s.Length + 8);
        for (int i = 0; i < words.Count; i++)
        {
            string word = words[i];
            if (word.Length > 1 && word[^1] == '.')
            {
                string prefix = word[..^1];
                bool known = nonbreakingPrefixes.TryGetValue(prefix, out bool numericOnly);
                bool hasNext = i < words.Count - 1;
                if (prefix.Contains('.') && AnyLetter().IsMatch(prefix))
                {
                    // Acronyms such as U.S. lose their dots.
                    sb.Append(word.Replace(".", "", StringComparison.Ordinal));
                }
                else if ((known && !numericOnly) || (hasNext && words[i + 1][0] is >= 'a' and <= 'z'))
                {
                    sb.Append(word);
                }
                else if (known && numericOnly && hasNext && words[i + 1][0] is >= '0' and <= '9')
                {
                    sb.Append(word);
                }
                else
                {
                    sb.Append(prefix).Append(" .");
                }
            }
            else
            {
                sb.Append(word);
            }
            sb.Append(' ');
        }
        return sb.ToString();
    }
}
