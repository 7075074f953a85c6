using System.Buffers;

namespace Microsoft.ML.VideoCaptioning.Text;

/// <summary>
/// Finds added tokens in text with leftmost-longest semantics, exact (ordinal) matching, like the
/// Aho–Corasick splitter of Hugging Face tokenizers.
/// </summary>
internal sealed class AddedTokenMatcher
{
    private readonly Dictionary<char, AddedToken[]> _byFirstChar;
    private readonly SearchValues<char> _firstChars;

    public AddedTokenMatcher(IEnumerable<AddedToken> tokens)
    {
        _byFirstChar = tokens
            .Where(t => t.Content.Length > 0)
            .GroupBy(t => t.Content[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Content.Length).ToArray());
        _firstChars = SearchValues.Create(_byFirstChar.Keys.ToArray());
    }

    /// <summary>
    /// The index of the leftmost token occurrence in <paramref name="text"/> (the longest one starting there),
    /// or -1 when there is none.
    /// </summary>
    public int FindFirst(ReadOnlySpan<char> text, out AddedToken token)
    {
        int offset = 0;
        while (offset < text.Length)
        {
            int found = text[offset..].IndexOfAny(_firstChars);
            if (found < 0)
                break;
            int index = offset + found;
            ReadOnlySpan<char> rest = text[index..];
            foreach (AddedToken candidate in _byFirstChar[text[index]])
            {
                if (rest.StartsWith(candidate.Content, StringComparison.Ordinal))
                {
                    token = candidate;
                    return index;
                }
            }
            offset = index + 1;
        }
        token = default;
        return -1;
    }
}
