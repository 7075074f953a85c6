using System.Globalization;

namespace Microsoft.ML.VideoCaptioning.Evaluation;

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
    public static CharSet Of(string spec) => Where(MembershipTest(spec));

    /// <summary>All characters not listed in <paramref name="spec"/>.</summary>
    public static CharSet NotOf(string spec)
    {
        var inSpec = MembershipTest(spec);
        return Where(c => !inSpec(c));
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

    private static Func<char, bool> MembershipTest(string spec)
    {
        var ranges = new List<(char Lo, char Hi)>();
        for (int i = 0; i < spec.Length; i++)
        {
            if (i + 2 < spec.Length && spec[i + 1] == '-')
            {
                ranges.Add((spec[i], spec[i + 2]));
                i += 2;
            }
            else
            {
                ranges.Add((spec[i], spec[i]));
            }
        }
        var array = ranges.ToArray();
        return c =>
        {
            foreach (var (lo, hi) in array)
                if (c >= lo && c <= hi) return true;
            return false;
        };
    }

    public static readonly CharSet Any = Where(_ => true);
    public static readonly CharSet Letter = Where(char.IsLetter);
    public static readonly CharSet Digit = Where(c => CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.DecimalDigitNumber);
}

/// <summary>
/// A regular expression over UTF-16 code units, built from combinators and compiled to a Thompson NFA.
/// It reports every end position of a match anchored at a start position, which gives the longest match
/// (the lexer rule) and the split point of a trailing-context rule.
/// </summary>
internal abstract class Rx
{
    public static Rx Set(CharSet set) => new SetRx(set);

    public static Rx Set(string spec) => new SetRx(CharSet.Of(spec));

    /// <summary>A literal matched case-insensitively, as JFlex's <c>%caseless</c> does for strings.</summary>
    public static Rx Lit(string text) => text.Length == 1
        ? new SetRx(CharSet.Caseless(text[0]))
        : new SeqRx(text.Select(c => (Rx)new SetRx(CharSet.Caseless(c))).ToArray());

    /// <summary>A literal matched exactly, as JFlex does for character classes.</summary>
    public static Rx Exact(string text) => text.Length == 1
        ? new SetRx(CharSet.Single(text[0]))
        : new SeqRx(text.Select(c => (Rx)new SetRx(CharSet.Single(c))).ToArray());

    public static Rx Seq(params Rx[] items) => new SeqRx(items);

    public static Rx Alt(params Rx[] items) => new AltRx(items);

    /// <summary>Alternation of case-insensitive literals.</summary>
    public static Rx Words(params string[] words) => new AltRx(words.Select(Lit).ToArray());

    public Rx Repeat(int min, int max) => new RepeatRx(this, min, max);

    public Rx Optional() => Repeat(0, 1);

    public Rx Star() => Repeat(0, -1);

    public Rx Plus() => Repeat(1, -1);

    internal abstract (int Start, List<int> Outs) Build(NfaBuilder b);

    private sealed class SetRx(CharSet set) : Rx
    {
        internal override (int, List<int>) Build(NfaBuilder b)
        {
            int s = b.AddChar(set);
            return (s, [s]);
        }
    }

    private sealed class SeqRx(Rx[] items) : Rx
    {
        internal override (int, List<int>) Build(NfaBuilder b)
        {
            if (items.Length == 0)
            {
                int e = b.AddEpsilon();
                return (e, [e]);
            }
            var (start, outs) = items[0].Build(b);
            for (int i = 1; i < items.Length; i++)
            {
                var (s, o) = items[i].Build(b);
                b.Patch(outs, s);
                outs = o;
            }
            return (start, outs);
        }
    }

    private sealed class AltRx(Rx[] items) : Rx
    {
        internal override (int, List<int>) Build(NfaBuilder b)
        {
            int split = b.AddSplit();
            var outs = new List<int>();
            foreach (var item in items)
            {
                var (s, o) = item.Build(b);
                b.AddEdge(split, s);
                outs.AddRange(o);
            }
            return (split, outs);
        }
    }

    private sealed class RepeatRx(Rx item, int min, int max) : Rx
    {
        internal override (int, List<int>) Build(NfaBuilder b)
        {
            int entry = b.AddEpsilon();
            var outs = new List<int> { entry };
            var exits = new List<int>();
            for (int i = 0; i < min; i++)
            {
                var (s, o) = item.Build(b);
                b.Patch(outs, s);
                outs = o;
            }
            if (max < 0)
            {
                var (s, o) = item.Build(b);
                int loop = b.AddSplit();
                b.Patch(outs, loop);
                b.AddEdge(loop, s);
                b.Patch(o, loop);
                int exit = b.AddEpsilon();
                b.AddEdge(loop, exit);
                return (entry, [exit]);
            }
            for (int i = min; i < max; i++)
            {
                exits.AddRange(outs);
                var (s, o) = item.Build(b);
                b.Patch(outs, s);
                outs = o;
            }
            exits.AddRange(outs);
            int join = b.AddEpsilon();
            b.Patch(exits, join);
            return (entry, [join]);
        }
    }
}

/// <summary>Builder of NFA states: a state either consumes one character of a set, or has epsilon edges.</summary>
internal sealed class NfaBuilder
{
    public readonly List<CharSet?> Sets = [];
    public readonly List<List<int>> Edges = [];

    public int AddChar(CharSet set)
    {
        Sets.Add(set);
        Edges.Add([]);
        return Sets.Count - 1;
    }

    public int AddEpsilon()
    {
        Sets.Add(null);
        Edges.Add([]);
        return Sets.Count - 1;
    }

    public int AddSplit() => AddEpsilon();

    public void AddEdge(int from, int to) => Edges[from].Add(to);

    public void Patch(List<int> outs, int target)
    {
        foreach (int o in outs) Edges[o].Add(target);
    }
}

/// <summary>A compiled pattern. Thread-safe: matching allocates its own working sets.</summary>
internal sealed class Nfa
{
    private readonly CharSet?[] _sets;
    private readonly int[][] _edges;
    private readonly int _start;
    private readonly bool[] _accept;

    /// <summary>Characters that can start a match; false for every character if the pattern matches the empty string only.</summary>
    public CharSet FirstChars { get; }

    public Nfa(Rx pattern)
    {
        var b = new NfaBuilder();
        var (start, outs) = pattern.Build(b);
        int accept = b.AddEpsilon();
        b.Patch(outs, accept);
        _sets = b.Sets.ToArray();
        _edges = b.Edges.Select(e => e.ToArray()).ToArray();
        _start = start;
        _accept = new bool[_sets.Length];
        _accept[accept] = true;

        var first = CharSet.Where(_ => false);
        foreach (int s in Closure([_start]))
            if (_sets[s] is { } set) first = first.Union(set);
        FirstChars = first;
    }

    private List<int> Closure(IEnumerable<int> seeds)
    {
        var seen = new bool[_sets.Length];
        var stack = new Stack<int>(seeds);
        var result = new List<int>();
        while (stack.Count > 0)
        {
            int s = stack.Pop();
            if (seen[s]) continue;
            seen[s] = true;
            result.Add(s);
            if (_sets[s] is null)
                foreach (int t in _edges[s]) stack.Push(t);
        }
        return result;
    }

    /// <summary>
    /// Runs the pattern anchored at <paramref name="start"/> over <paramref name="text"/> (not past <paramref name="end"/>)
    /// and records in <paramref name="ends"/> every position where a match ends. Returns the longest end, or -1.
    /// </summary>
    public int Match(string text, int start, int end, List<int>? ends = null)
    {
        var scratch = t_scratch ??= new Scratch();
        if (scratch.Mark.Length < _sets.Length) scratch.Mark = new int[Math.Max(_sets.Length, 2 * scratch.Mark.Length)];
        var current = scratch.Current;
        var next = scratch.Next;
        var mark = scratch.Mark;
        current.Clear();
        int generation = scratch.NextGeneration();
        AddClosure(_start, current, mark, generation);

        int longest = -1;
        int pos = start;
        while (true)
        {
            foreach (int s in current)
            {
                if (_accept[s])
                {
                    longest = pos;
                    ends?.Add(pos);
                    break;
                }
            }
            if (pos >= end || current.Count == 0) break;
            char c = text[pos];
            generation = scratch.NextGeneration();
            next.Clear();
            foreach (int s in current)
            {
                var set = _sets[s];
                if (set is not null && set.Contains(c))
                    foreach (int t in _edges[s]) AddClosure(t, next, mark, generation);
            }
            (current, next) = (next, current);
            pos++;
        }
        return longest;
    }

    [ThreadStatic] private static Scratch? t_scratch;

    private sealed class Scratch
    {
        public int[] Mark = new int[256];
        public readonly List<int> Current = [];
        public readonly List<int> Next = [];
        private int _generation;

        public int NextGeneration()
        {
            if (++_generation == int.MaxValue)
            {
                Array.Clear(Mark);
                _generation = 1;
            }
            return _generation;
        }
    }

    private void AddClosure(int state, List<int> into, int[] mark, int generation)
    {
        if (mark[state] == generation) return;
        mark[state] = generation;
        into.Add(state);
        if (_sets[state] is null)
            foreach (int t in _edges[state]) AddClosure(t, into, mark, generation);
    }
}
