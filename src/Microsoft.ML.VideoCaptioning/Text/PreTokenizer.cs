namespace Microsoft.ML.VideoCaptioning.Text;

/// <summary>
/// Splits normalized text into the pieces ("words") that BPE encodes separately, like a Hugging Face
/// <c>Split</c> pre-tokenizer with behavior <c>Isolated</c>: every match is a piece and so is every stretch of
/// text between matches. Character classes follow Unicode code points, not UTF-16 code units.
/// </summary>
internal abstract class PreTokenizer
{
    /// <summary>
    /// The pre-tokenizer for <paramref name="pattern"/>: a hand-written scanner for the Qwen2 pattern, a .NET
    /// <see cref="System.Text.RegularExpressions.Regex"/> for any other.
    /// </summary>
    public static PreTokenizer Create(string pattern)
        => pattern == Qwen2PreTokenizer.Pattern ? new Qwen2PreTokenizer() : new RegexPreTokenizer(pattern);

    /// <summary>Appends the pieces of <paramref name="text"/>, in order, as (start, length) pairs.</summary>
    public abstract void Split(ReadOnlySpan<char> text, List<(int Start, int Length)> pieces);
}
