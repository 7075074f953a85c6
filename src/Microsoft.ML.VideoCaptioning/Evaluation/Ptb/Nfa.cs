namespace Microsoft.ML.VideoCaptioning.Evaluation.Ptb;

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
