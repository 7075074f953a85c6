namespace Microsoft.ML.VideoCaptioning.Evaluation.Ptb;

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
