namespace Microsoft.ML.VideoCaptioning.Evaluation.Ptb;

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
