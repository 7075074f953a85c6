using System.Globalization;
using System.Text;

namespace Microsoft.ML.VideoCaptioning.Evaluation;

/// <summary>
/// String and number primitives that behave exactly like the Python 3 and Java 8+ library calls used by
/// coco-caption (pycocoevalcap) and Meteor 1.5, so that the C# scorers see the same words and sums.
/// </summary>
internal static class LegacyText
{
    /// <summary>Python 3 <c>str.isspace()</c> for one UTF-16 unit (all whitespace Python knows is in the BMP).</summary>
    public static bool IsPythonWhitespace(char c) => c switch
    {
        >= '\t' and <= '\r' => true,
        >= '\u001C' and <= ' ' => true,
        '\u0085' or '\u00A0' or '\u1680' => true,
        >= '\u2000' and <= '\u200A' => true,
        '\u2028' or '\u2029' or '\u202F' or '\u205F' or '\u3000' => true,
        _ => false,
    };

    /// <summary>Python <c>s.split()</c>: runs of whitespace separate words, no empty words.</summary>
    public static string[] PythonSplit(string s)
    {
        var words = new List<string>();
        int i = 0;
        while (i < s.Length)
        {
            while (i < s.Length && IsPythonWhitespace(s[i])) i++;
            int start = i;
            while (i < s.Length && !IsPythonWhitespace(s[i])) i++;
            if (i > start) words.Add(s.Substring(start, i - start));
        }
        return words.ToArray();
    }

    /// <summary>Python <c>s.rstrip()</c>.</summary>
    public static string PythonRStrip(string s)
    {
        int end = s.Length;
        while (end > 0 && IsPythonWhitespace(s[end - 1])) end--;
        return end == s.Length ? s : s.Substring(0, end);
    }

    /// <summary>Java <c>String.trim()</c>: removes leading and trailing characters up to U+0020.</summary>
    public static string JavaTrim(string s)
    {
        int start = 0, end = s.Length;
        while (start < end && s[start] <= ' ') start++;
        while (end > start && s[end - 1] <= ' ') end--;
        return start == 0 && end == s.Length ? s : s.Substring(start, end - start);
    }

    /// <summary>Java <c>new StringTokenizer(s)</c>: tokens separated by space, tab, newline, carriage return, form feed.</summary>
    public static List<string> JavaStringTokenizer(string s)
    {
        var tokens = new List<string>();
        int i = 0;
        while (i < s.Length)
        {
            while (i < s.Length && IsJavaTokenizerDelimiter(s[i])) i++;
            int start = i;
            while (i < s.Length && !IsJavaTokenizerDelimiter(s[i])) i++;
            if (i > start) tokens.Add(s.Substring(start, i - start));
        }
        return tokens;
    }

    private static bool IsJavaTokenizerDelimiter(char c) => c is ' ' or '\t' or '\n' or '\r' or '\f';

    /// <summary>Java <c>String.hashCode()</c>, which Meteor uses as the identity of a word.</summary>
    public static int JavaHashCode(string s)
    {
        int h = 0;
        foreach (char c in s) h = unchecked(31 * h + c);
        return h;
    }

    /// <summary>
    /// Java <c>String.toLowerCase()</c> (root/English locale): simple lowercase mappings per code point, plus the two
    /// context rules Java applies: U+0130 becomes "i" + U+0307, and a capital sigma at the end of a word becomes a final sigma.
    /// </summary>
    public static string JavaToLowerCase(string s)
    {
        int i = 0;
        while (i < s.Length)
        {
            char c = s[i];
            if (char.IsSurrogate(c) || c == '\u0130' || c == '\u03A3' || char.ToLowerInvariant(c) != c) break;
            i++;
        }
        if (i == s.Length) return s;

        var sb = new StringBuilder(s.Length + 4);
        sb.Append(s, 0, i);
        Span<char> buf = stackalloc char[2];
        while (i < s.Length)
        {
            char c = s[i];
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                var rune = Rune.ToLowerInvariant(new Rune(c, s[i + 1]));
                int n = rune.EncodeToUtf16(buf);
                sb.Append(buf[..n]);
                i += 2;
                continue;
            }
            if (c == '\u0130') sb.Append("i\u0307");
            else if (c == '\u03A3') sb.Append(IsFinalSigma(s, i) ? '\u03C2' : '\u03C3');
            else sb.Append(char.ToLowerInvariant(c));
            i++;
        }
        return sb.ToString();
    }

    // Unicode "Final_Sigma" condition: preceded by a cased letter (skipping case-ignorables) and not followed by one.
    private static bool IsFinalSigma(string s, int index)
    {
        int j = index - 1;
        while (j >= 0 && IsCaseIgnorable(s[j])) j--;
        if (j < 0 || !IsCased(s[j])) return false;
        j = index + 1;
        while (j < s.Length && IsCaseIgnorable(s[j])) j++;
        return j >= s.Length || !IsCased(s[j]);
    }

    private static bool IsCased(char c)
    {
        var cat = CharUnicodeInfo.GetUnicodeCategory(c);
        return cat is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter;
    }

    private static bool IsCaseIgnorable(char c)
    {
        var cat = CharUnicodeInfo.GetUnicodeCategory(c);
        return cat is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format
            or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol
            || c is '\'' or '.' or ':' or '\u00AD' or '\u2019';
    }

    /// <summary>
    /// <c>numpy.mean</c> of a non-empty float64 vector: numpy's pairwise summation (8-way unrolled blocks of up to 128
    /// values) added to the identity 0.0, divided by the count.
    /// </summary>
    public static double NumpyMean(ReadOnlySpan<double> values) => (0.0 + PairwiseSum(values)) / values.Length;

    private static double PairwiseSum(ReadOnlySpan<double> a)
    {
        int n = a.Length;
        if (n < 8)
        {
            double res = 0.0;
            for (int i = 0; i < n; i++) res += a[i];
            return res;
        }
        if (n <= 128)
        {
            double r0 = a[0], r1 = a[1], r2 = a[2], r3 = a[3], r4 = a[4], r5 = a[5], r6 = a[6], r7 = a[7];
            int i;
            for (i = 8; i < n - (n % 8); i += 8)
            {
                r0 += a[i]; r1 += a[i + 1]; r2 += a[i + 2]; r3 += a[i + 3];
                r4 += a[i + 4]; r5 += a[i + 5]; r6 += a[i + 6]; r7 += a[i + 7];
            }
            double res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
            for (; i < n; i++) res += a[i];
            return res;
        }
        int n2 = n / 2;
        n2 -= n2 % 8;
        return PairwiseSum(a[..n2]) + PairwiseSum(a[n2..]);
    }
}
