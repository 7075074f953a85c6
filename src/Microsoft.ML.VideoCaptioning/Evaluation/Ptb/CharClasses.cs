namespace Microsoft.ML.VideoCaptioning.Evaluation.Ptb;

/// <summary>
/// A partition of all UTF-16 code units into classes that no character set of the lexer distinguishes, so DFA
/// transition tables can be indexed by class.
/// </summary>
internal sealed class CharClasses
{
    private readonly ushort[] _classOf = new ushort[65536];

    public int Count { get; }

    /// <summary>One character of each class.</summary>
    public char[] Representatives { get; }

    public CharClasses(IEnumerable<CharSet> sets)
    {
        int count = 1;
        var remap = new int[2 * 65536];
        foreach (var set in sets.Distinct())
        {
            Array.Fill(remap, -1, 0, 2 * count);
            int next = 0;
            for (int c = 0; c <= char.MaxValue; c++)
            {
                int key = 2 * _classOf[c] + (set.Contains((char)c) ? 1 : 0);
                if (remap[key] < 0) remap[key] = next++;
                _classOf[c] = (ushort)remap[key];
            }
            count = next;
        }
        Count = count;
        Representatives = new char[count];
        for (int c = char.MaxValue; c >= 0; c--) Representatives[_classOf[c]] = (char)c;
    }

    public int ClassOf(char c) => _classOf[c];
}
