using System.Globalization;

namespace Microsoft.ML.VideoCaptioning.Evaluation.Ptb;

/// <summary>A set of UTF-16 code units, stored as a 64K-bit table.</summary>
internal sealed class CharSet
{
    private readonly ulong[] _bits = new ulong[1024];

    private CharSet() { }

    public bool Contains(char c) => ((_bits[c >> 6] >> (c & 63)) & 1) != 0;

    public static CharSet Where(Func<char, bool> predicate)
    {
        var set = new CharSet();
        for (int c = 0; c <= char.MaxValue; c++)
            if (predicate((char)c)) set._bits[c >> 6] |= 1UL << (c & 63);
        return set;
    }

    /// <summary>Characters listed in <paramref name="spec"/>, where "a-z" denotes an inclusive range.</summary>
    public static CharSet Of(string spec)
    {
        var set = new CharSet();
        foreach (var (lo, hi) in Ranges(spec))
            for (int c = lo; c <= hi; c++) set.Add((char)c);
        return set;
    }

    /// <summary>All characters not listed in <paramref name="spec"/>.</summary>
    public static CharSet NotOf(string spec)
    {
        var listed = Of(spec);
        var set = new CharSet();
        for (int i = 0; i < set._bits.Length; i++) set._bits[i] = ~listed._bits[i];
        return set;
    }

    public CharSet Union(CharSet other)
    {
        var set = new CharSet();
        for (int i = 0; i < _bits.Length; i++) set._bits[i] = _bits[i] | other._bits[i];
        return set;
    }

    private static readonly Dictionary<(char, bool), CharSet> SingleCache = [];

    /// <summary>The set holding only <paramref name="c"/>.</summary>
    public static CharSet Single(char c) => Cached(c, caseless: false);

    /// <summary>The characters a case-insensitive scanner treats as equal to <paramref name="c"/>.</summary>
    public static CharSet Caseless(char c) => Cached(c, caseless: true);

    private static CharSet Cached(char c, bool caseless)
    {
        lock (SingleCache)
        {
            if (SingleCache.TryGetValue((c, caseless), out var cached)) return cached;
            var set = new CharSet();
            set.Add(c);
            if (caseless)
            {
                set.Add(char.ToUpperInvariant(c));
                set.Add(char.ToLowerInvariant(c));
            }
            SingleCache[(c, caseless)] = set;
            return set;
        }
    }

    private void Add(char c) => _bits[c >> 6] |= 1UL << (c & 63);

    private static IEnumerable<(char Lo, char Hi)> Ranges(string spec)
    {
        for (int i = 0; i < spec.Length; i++)
        {
            if (i + 2 < spec.Length && spec[i + 1] == '-')
            {
                yield return (spec[i], spec[i + 2]);
                i += 2;
            }
            else
            {
                yield return (spec[i], spec[i]);
            }
        }
    }

    public static readonly CharSet Any = Where(_ => true);
    public static readonly CharSet Letter = Where(char.IsLetter);
    public static readonly CharSet Digit = Where(c => CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.DecimalDigitNumber);
}
