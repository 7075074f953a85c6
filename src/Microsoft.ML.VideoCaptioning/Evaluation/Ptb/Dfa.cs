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

/// <summary>
/// The states of a Thompson NFA for one or more alternative patterns; the accept state of alternative i carries tag i.
/// Only used to build a <see cref="Dfa"/>.
/// </summary>
internal sealed class Nfa
{
    public readonly CharSet?[] Sets;
    public readonly int[][] Edges;
    public readonly int Start;
    public readonly int[] Tags;

    public Nfa(params Rx[] alternatives)
    {
        var b = new NfaBuilder();
        int root = b.AddSplit();
        var accepts = new List<int>();
        foreach (var pattern in alternatives)
        {
            var (start, outs) = pattern.Build(b);
            b.AddEdge(root, start);
            int accept = b.AddEpsilon();
            b.Patch(outs, accept);
            accepts.Add(accept);
        }
        Sets = b.Sets.ToArray();
        Edges = b.Edges.Select(e => e.ToArray()).ToArray();
        Start = root;
        Tags = Enumerable.Repeat(-1, Sets.Length).ToArray();
        for (int i = 0; i < accepts.Count; i++) Tags[accepts[i]] = i;
    }

    private int[]?[]? _closures;

    /// <summary>Epsilon closure of one state, as a sorted state list (memoized).</summary>
    public int[] Closure(int state)
    {
        _closures ??= new int[]?[Sets.Length];
        if (_closures[state] is { } known) return known;
        var seen = new HashSet<int>();
        var stack = new Stack<int>();
        stack.Push(state);
        while (stack.Count > 0)
        {
            int s = stack.Pop();
            if (!seen.Add(s) || Sets[s] is not null) continue;
            foreach (int t in Edges[s]) stack.Push(t);
        }
        var result = seen.ToArray();
        Array.Sort(result);
        return _closures[state] = result;
    }
}

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

/// <summary>
/// A deterministic automaton built from an <see cref="Nfa"/> by subset construction. A state accepts when it contains
/// an accepting NFA state; its tag is the smallest tag among those (the earliest alternative). Immutable, thread-safe.
/// </summary>
internal sealed class Dfa
{
    private const int Dead = -1;
    private readonly CharClasses _classes;
    private readonly int[] _next;     // [state * classCount + class]
    private readonly int[] _tag;      // -1 when the state does not accept
    private readonly int _classCount;

    public Dfa(Nfa nfa, CharClasses classes)
    {
        _classes = classes;
        _classCount = classes.Count;
        var stateIds = new Dictionary<int[], int>(new SequenceComparer());
        var states = new List<int[]>();
        var transitions = new List<int>();
        var tags = new List<int>();

        // Classes each consuming NFA state accepts.
        var classesOf = new int[nfa.Sets.Length][];
        for (int s = 0; s < nfa.Sets.Length; s++)
        {
            if (nfa.Sets[s] is not { } set) continue;
            var list = new List<int>();
            for (int cls = 0; cls < _classCount; cls++)
                if (set.Contains(classes.Representatives[cls])) list.Add(cls);
            classesOf[s] = list.ToArray();
        }

        int Intern(int[] nfaStates)
        {
            if (stateIds.TryGetValue(nfaStates, out int id)) return id;
            id = states.Count;
            stateIds[nfaStates] = id;
            states.Add(nfaStates);
            int tag = -1;
            foreach (int s in nfaStates)
                if (nfa.Tags[s] >= 0 && (tag < 0 || nfa.Tags[s] < tag)) tag = nfa.Tags[s];
            tags.Add(tag);
            transitions.AddRange(Enumerable.Repeat(Dead, _classCount));
            return id;
        }

        Intern(nfa.Closure(nfa.Start));
        var perClass = new List<int>?[_classCount];
        var touched = new List<int>();
        var mark = new int[nfa.Sets.Length];
        int generation = 0;
        var union = new List<int>();
        for (int d = 0; d < states.Count; d++)
        {
            touched.Clear();
            foreach (int s in states[d])
            {
                if (classesOf[s] is not { } accepted) continue;
                foreach (int cls in accepted)
                {
                    if (perClass[cls] is not { } list)
                    {
                        perClass[cls] = list = [];
                        touched.Add(cls);
                    }
                    list.Add(s);
                }
            }
            foreach (int cls in touched)
            {
                generation++;
                union.Clear();
                foreach (int s in perClass[cls]!)
                    foreach (int t in nfa.Edges[s])
                        foreach (int u in nfa.Closure(t))
                            if (mark[u] != generation)
                            {
                                mark[u] = generation;
                                union.Add(u);
                            }
                union.Sort();
                transitions[d * _classCount + cls] = Intern(union.ToArray());
                perClass[cls] = null;
            }
        }
        _next = transitions.ToArray();
        _tag = tags.ToArray();
    }

    private sealed class SequenceComparer : IEqualityComparer<int[]>
    {
        public bool Equals(int[]? x, int[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(int[] obj)
        {
            var h = new HashCode();
            foreach (int v in obj) h.Add(v);
            return h.ToHashCode();
        }
    }

    /// <summary>
    /// Runs the automaton anchored at <paramref name="start"/> (not past <paramref name="end"/>), recording every match
    /// end in <paramref name="ends"/> if given. Returns the longest match end, or -1.
    /// </summary>
    public int Match(string text, int start, int end, List<int>? ends = null) => Match(text, start, end, ends, out _);

    /// <summary>As <see cref="Match(string, int, int, List{int}?)"/>; <paramref name="tag"/> is the tag of the longest match.</summary>
    public int Match(string text, int start, int end, List<int>? ends, out int tag)
    {
        int state = 0;
        int longest = -1;
        tag = -1;
        int pos = start;
        while (true)
        {
            if (_tag[state] >= 0)
            {
                longest = pos;
                tag = _tag[state];
                ends?.Add(pos);
            }
            if (pos >= end) break;
            state = _next[state * _classCount + _classes.ClassOf(text[pos])];
            if (state == Dead) break;
            pos++;
        }
        return longest;
    }
}
