using System.Text;

namespace Microsoft.ML.VideoCaptioning.Evaluation.Ptb;

/// <summary>
/// The caption tokenization step of coco-caption: Stanford PTBTokenizer 3.4.1 run with <c>-preserveLines -lowerCase</c>
/// over all captions of one call (one caption per line), after which coco-caption drops its punctuation tokens.
/// </summary>
/// <remarks>
/// Kept quirks: the lowercased bracket tokens <c>-lrb-</c>, <c>-rrb-</c>, <c>-lsb-</c>, <c>-rsb-</c>, <c>-lcb-</c>,
/// <c>-rcb-</c> survive (the filter lists the upper-case forms); runs such as <c>!!!</c> and <c>?!</c> stay;
/// contractions and "gonna"/"wanna"/"cannot" are split; characters outside the Basic Multilingual Plane are deleted.
/// Captions are tokenized as one text, because a few PTB rules look ahead into the next line.
/// One deliberate difference: a carriage return, vertical tab, form feed, U+2028 or U+2029 inside a caption is
/// treated as a space (coco-caption replaces only "\n"; PTBTokenizer would start a new output line and shift every
/// following caption onto the wrong item).
/// </remarks>
public static class PtbTokenizer
{
    /// <summary>The tokens coco-caption removes after PTB tokenization (exact, case-sensitive comparison).</summary>
    public static IReadOnlySet<string> CocoPunctuation { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "''", "'", "``", "`", "-LRB-", "-RRB-", "-LCB-", "-RCB-", ".", "?", "!", ",", ":", "-", "--", "...", ";",
    };

    /// <summary>
    /// Tokenizes captions exactly as coco-caption's <c>PTBTokenizer.tokenize</c> does for one call: the result has one
    /// string per caption, words separated by single spaces, lower case, punctuation removed ("" for an empty caption).
    /// </summary>
    public static string[] Tokenize(IReadOnlyList<string> captions) => Tokenize(captions, new ParallelOptions());

    internal static string[] Tokenize(IReadOnlyList<string> captions, ParallelOptions parallel)
    {
        ArgumentNullException.ThrowIfNull(captions);
        var lines = PtbLines(captions, parallel);
        var result = new string[captions.Count];
        for (int i = 0; i < result.Length; i++) result[i] = RemovePunctuation(lines[i]);
        return result;
    }

    /// <summary>
    /// The PTBTokenizer 3.4.1 <c>-preserveLines -lowerCase</c> output line for one caption (before coco-caption removes
    /// punctuation), e.g. <c>"price : $ 5.99 -lrb- about 20 % -rrb- for 1,000 items ?"</c>.
    /// </summary>
    public static string TokenizeToPtbLine(string caption)
    {
        ArgumentNullException.ThrowIfNull(caption);
        return PtbLines([caption], new ParallelOptions())[0];
    }

    /// <summary>coco-caption's filter: <c>' '.join(w for w in line.rstrip().split(' ') if w not in PUNCTUATIONS)</c>.</summary>
    internal static string RemovePunctuation(string ptbLine)
    {
        string[] words = LegacyText.PythonRStrip(ptbLine).Split(' ');
        var kept = new List<string>(words.Length);
        foreach (string w in words)
            if (!CocoPunctuation.Contains(w)) kept.Add(w);
        return string.Join(' ', kept);
    }

    private const int CaptionsPerChunk = 512;

    private static string[] PtbLines(IReadOnlyList<string> captions, ParallelOptions parallel)
    {
        var lines = new string[captions.Count];
        int chunks = (captions.Count + CaptionsPerChunk - 1) / CaptionsPerChunk;
        Parallel.For(0, chunks, parallel, chunk =>
        {
            int first = chunk * CaptionsPerChunk;
            int count = Math.Min(CaptionsPerChunk, captions.Count - first);
            TokenizeLines(captions, first, count, lines);
        });
        return lines;
    }

    // The lexer never matches a token across a line break and each line starts afresh, but a few rules look ahead
    // into the following lines (for example an acronym's period before a capitalized word). A chunk of lines is
    // therefore lexed together with the following lines up to and including two non-blank ones, which covers every
    // look-ahead of the rules, and only the chunk's own lines are kept.
    private static void TokenizeLines(IReadOnlyList<string> captions, int first, int count, string[] lines)
    {
        var text = new StringBuilder();
        int end = first + count;
        for (int i = first, nonBlank = 0; i < captions.Count && (i < end || nonBlank < 2); i++)
        {
            if (i > first) text.Append('\n');
            foreach (char c in captions[i])
                text.Append(c is '\n' or '\r' or '\u000B' or '\u000C' or '\u2028' or '\u2029' ? ' ' : c);
            if (i >= end && !string.IsNullOrWhiteSpace(captions[i])) nonBlank++;
        }

        int line = first;
        var current = new StringBuilder();
        foreach (string token in PtbLexer.Tokenize(text.ToString()))
        {
            if (token == PtbLexer.NewlineToken)
            {
                lines[line++] = current.ToString();
                current.Clear();
                if (line == end) return;
                continue;
            }
            if (current.Length > 0) current.Append(' ');
            current.Append(LegacyText.JavaToLowerCase(token));
        }
        lines[line] = current.ToString();
    }
}
