namespace Microsoft.ML.VideoCaptioning.Evaluation.Ptb;

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
