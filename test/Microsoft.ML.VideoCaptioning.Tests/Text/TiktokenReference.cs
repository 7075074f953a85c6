using System.Text;
using System.Text.RegularExpressions;

namespace Microsoft.ML.VideoCaptioning.Tests.Text;

/// <summary>
/// An independent tiktoken-style encoder over Qwen's <c>qwen.tiktoken</c> ranks (rank = token id): NFC, the Qwen2
/// regex run by .NET (correct for BMP text only), then for each piece repeatedly merge the adjacent pair whose
/// concatenated bytes have the lowest rank. Written naively (quadratic) on purpose; for texts without special tokens.
/// </summary>
internal sealed class TiktokenReference
{
    private static readonly Regex s_pieces = new(
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+");

    /// <summary>Token bytes, one char per byte (Latin-1), → rank.</summary>
    private readonly Dictionary<string, int> _ranks = new(StringComparer.Ordinal);

    public TiktokenReference(string path)
    {
        foreach (string line in File.ReadLines(path))
        {
            if (line.Length == 0)
                continue;
            string[] parts = line.Split(' ');
            _ranks.Add(Encoding.Latin1.GetString(Convert.FromBase64String(parts[0])), int.Parse(parts[1]));
        }
    }

    /// <summary>The tokens as byte strings (Latin-1) → rank.</summary>
    public IReadOnlyDictionary<string, int> Ranks => _ranks;

    public int[] Encode(string text)
    {
        if (text.Any(char.IsSurrogate))
            throw new ArgumentException("The reference handles BMP text only.", nameof(text));
        text = text.Normalize(NormalizationForm.FormC);
        var ids = new List<int>();
        int covered = 0;
        foreach (Match piece in s_pieces.Matches(text))
        {
            covered += piece.Length;
            var parts = Encoding.UTF8.GetBytes(piece.Value).Select(b => ((char)b).ToString()).ToList();
            while (true)
            {
                int best = -1;
                int bestRank = int.MaxValue;
                for (int i = 0; i + 1 < parts.Count; i++)
                {
                    if (_ranks.TryGetValue(parts[i] + parts[i + 1], out int rank) && rank < bestRank)
                        (best, bestRank) = (i, rank);
                }
                if (best < 0)
                    break;
                parts[best] += parts[best + 1];
                parts.RemoveAt(best + 1);
            }
            ids.AddRange(parts.Select(p => _ranks[p]));
        }
        if (covered != text.Length)
            throw new InvalidOperationException("The pattern left text unmatched.");
        return ids.ToArray();
    }
}
