namespace Microsoft.ML.VideoCaptioning.Evaluation.Meteor;

/// <summary>
/// Meteor 1.5's aligner: exact, stem, synonym and paraphrase matchers fill a lattice of candidate matches; matches
/// that are the only candidate for both their words are fixed; a left-to-right beam search (beam 40) over the remaining
/// candidates keeps the path with the most weighted matched words, then fewest chunks, then smallest distance.
/// During the search the module weights are 1, 0.5, 0.5, 0.5 and the weighted counts are truncated to integers after each
/// match (Java <c>int += double</c>), as in Meteor. Stateless and thread-safe.
/// </summary>
internal sealed class MeteorAligner(MeteorParaphraseTable? paraphrases)
{
    public const int ModuleCount = 4;
    private const int Exact = 0, Stem = 1, Synonym = 2, Paraphrase = 3;
    private const int BeamSize = 40;
    private static readonly double[] SearchWeights = [1.0, 0.5, 0.5, 0.5];

    private sealed class Match(int start, int length, int matchStart, int matchLength, int module)
    {
        public readonly int Start = start;             // position in line 2 (reference)
        public readonly int Length = length;
        public readonly int MatchStart = matchStart;   // position in line 1 (test)
        public readonly int MatchLength = matchLength;
        public readonly int Module = module;
    }

    private sealed class Path
    {
        public Match?[] Matches = [];
        public bool[] Used1 = [], Used2 = [];
        public int Matches1, Matches2, AllMatches1, AllMatches2, Chunks, Index, LastMatchEnd = -1, Distance;

        public Path Copy() => new()
        {
            Matches = (Match?[])Matches.Clone(),
            Used1 = (bool[])Used1.Clone(),
            Used2 = (bool[])Used2.Clone(),
            Matches1 = Matches1, Matches2 = Matches2, AllMatches1 = AllMatches1, AllMatches2 = AllMatches2,
            Chunks = Chunks, Index = Index, LastMatchEnd = LastMatchEnd, Distance = Distance,
        };

        public bool IsUsed(Match m)
        {
            for (int i = 0; i < m.Length; i++) if (Used2[m.Start + i]) return true;
            for (int i = 0; i < m.MatchLength; i++) if (Used1[m.MatchStart + i]) return true;
            return false;
        }

        public void SetUsed(Match m)
        {
            for (int i = 0; i < m.Length; i++) Used2[m.Start + i] = true;
            for (int i = 0; i < m.MatchLength; i++) Used1[m.MatchStart + i] = true;
        }

        // Java: int field += double, i.e. the sum truncated towards zero.
        public void Count(Match m)
        {
            double w = SearchWeights[m.Module];
            Matches1 = (int)(Matches1 + m.MatchLength * w);
            Matches2 = (int)(Matches2 + m.Length * w);
            AllMatches1 += m.MatchLength;
            AllMatches2 += m.Length;
            if (LastMatchEnd != -1 && m.MatchStart != LastMatchEnd) Chunks++;
            Index = m.Start + m.Length;
            LastMatchEnd = m.MatchStart + m.MatchLength;
        }
    }

    // Meteor's PARTIAL_COMPARE_TOTAL: more weighted matches, then fewer chunks, then smaller distance.
    private static int Compare(Path x, Path y)
    {
        int matchDiff = (y.Matches1 + y.Matches2) - (x.Matches1 + x.Matches2);
        if (matchDiff > 0) return 1;
        if (matchDiff < 0) return -1;
        int chunkDiff = x.Chunks - y.Chunks;
        if (chunkDiff != 0) return chunkDiff;
        return x.Distance - y.Distance;
    }

    /// <summary>Aligns a test line (line 1) with a reference line (line 2).</summary>
    public MeteorAlignment Align(MeteorSentence test, MeteorSentence reference)
    {
        int n1 = test.Words.Length, n2 = reference.Words.Length;
        var lattice = new List<Match>[n2];
        for (int j = 0; j < n2; j++) lattice[j] = [];
        var coverage1 = new int[n1];
        var coverage2 = new int[n2];

        void Add(Match m)
        {
            lattice[m.Start].Add(m);
            for (int k = 0; k < m.MatchLength; k++) coverage1[m.MatchStart + k]++;
            for (int k = 0; k < m.Length; k++) coverage2[m.Start + k]++;
        }

        for (int j = 0; j < n2; j++)
            for (int i = 0; i < n1; i++)
                if (test.Hashes[i] == reference.Hashes[j]) Add(new Match(j, 1, i, 1, Exact));

        // Identical sentences only need exact matches, which also avoids beam search errors.
        if (!(n1 == n2 && test.Hashes.AsSpan().SequenceEqual(reference.Hashes)))
        {
            for (int j = 0; j < n2; j++)
                for (int i = 0; i < n1; i++)
                    if (test.StemHashes[i] == reference.StemHashes[j] && test.Hashes[i] != reference.Hashes[j])
                        Add(new Match(j, 1, i, 1, Stem));
            for (int j = 0; j < n2; j++)
                for (int i = 0; i < n1; i++)
                    if (test.Hashes[i] != reference.Hashes[j] && SharesSynset(test.Synsets[i], reference.Synsets[j]))
                        Add(new Match(j, 1, i, 1, Synonym));
            if (paraphrases is not null) MatchParaphrases(test.ParaphraseIds!, reference.ParaphraseIds!, Add);
        }

        var start = new Path { Matches = new Match?[n2], Used1 = new bool[n1], Used2 = new bool[n2] };
        for (int j = 0; j < n2; j++)
        {
            if (lattice[j].Count != 1) continue;
            var m = lattice[j][0];
            bool overlap = false;
            for (int k = 0; k < m.Length; k++) if (coverage2[j + k] != 1) overlap = true;
            for (int k = 0; k < m.MatchLength; k++) if (coverage1[m.MatchStart + k] != 1) overlap = true;
            if (overlap) continue;
            start.Matches[j] = m;
            start.SetUsed(m);
        }

        var best = Resolve(lattice, start);
        return Summarize(best.Matches, test, reference);
    }

    private static bool SharesSynset(int[] a, int[] b)
    {
        int i = 0, j = 0;
        while (i < a.Length && j < b.Length)
        {
            if (a[i] == b[j]) return true;
            if (a[i] < b[j]) i++;
            else j++;
        }
        return false;
    }

    private void MatchParaphrases(int[] line1, int[] line2, Action<Match> add)
    {
        // Paraphrases in line 1 of phrases in line 2, then the other direction.
        for (int j = 0; j < line2.Length; j++)
        {
            foreach (var (length, index) in paraphrases!.PhrasesAt(line2, j))
            {
                int[] words = paraphrases.Paraphrase(index);
                for (int i = 0; i < line1.Length; i++)
                    if (OccursAt(line1, i, words)) add(new Match(j, length, i, words.Length, Paraphrase));
            }
        }
        for (int i = 0; i < line1.Length; i++)
        {
            foreach (var (length, index) in paraphrases!.PhrasesAt(line1, i))
            {
                int[] words = paraphrases.Paraphrase(index);
                for (int j = 0; j < line2.Length; j++)
                    if (OccursAt(line2, j, words)) add(new Match(j, words.Length, i, length, Paraphrase));
            }
        }
    }

    private static bool OccursAt(int[] line, int at, int[] words)
    {
        for (int k = 0; k < words.Length; k++)
            if (at + k == line.Length || line[at + k] != words[k]) return false;
        return true;
    }

    private static Path Resolve(List<Match>[] lattice, Path start)
    {
        int n2 = lattice.Length;
        var next = new List<Path> { start };
        for (int current = 0; current <= n2; current++)
        {
            var paths = next;
            next = [];
            StableSort(paths);
            for (int rank = 0; rank < BeamSize && rank < paths.Count; rank++)
            {
                var path = paths[rank];
                if (current == n2)
                {
                    if (path.LastMatchEnd != -1) path.Chunks++;
                    next.Add(path);
                    continue;
                }
                if (path.Used2[current])
                {
                    if (current < path.Index)
                    {
                        next.Add(path);
                    }
                    else if (path.Matches[path.Index] is { } fixedMatch)
                    {
                        path.Count(fixedMatch);
                        path.Distance += Math.Abs(fixedMatch.Start - fixedMatch.MatchStart);
                        next.Add(path);
                    }
                    continue;
                }
                foreach (var m in lattice[current])
                {
                    if (path.IsUsed(m)) continue;
                    var extended = path.Copy();
                    extended.SetUsed(m);
                    extended.Matches[current] = m;
                    extended.Count(m);
                    // Meteor adds this distance to the path being extended, not to the new path.
                    path.Distance += Math.Abs(m.Start - m.MatchStart);
                    next.Add(extended);
                }
                // Or leave this position unmatched.
                if (path.LastMatchEnd != -1)
                {
                    path.Chunks++;
                    path.LastMatchEnd = -1;
                }
                path.Index++;
                next.Add(path);
            }
            if (next.Count == 0) next.Add(paths[0]);
        }
        StableSort(next);
        return next[0];
    }

    // Java's Collections.sort is stable; List<T>.Sort is not.
    private static void StableSort(List<Path> paths)
    {
        for (int i = 1; i < paths.Count; i++)
        {
            var item = paths[i];
            int j = i - 1;
            while (j >= 0 && Compare(paths[j], item) > 0)
            {
                paths[j + 1] = paths[j];
                j--;
            }
            paths[j + 1] = item;
        }
    }

    private static MeteorAlignment Summarize(Match?[] matches, MeteorSentence test, MeteorSentence reference)
    {
        var content1 = new int[ModuleCount];
        var content2 = new int[ModuleCount];
        var function1 = new int[ModuleCount];
        var function2 = new int[ModuleCount];
        foreach (var m in matches)
        {
            if (m is null) continue;
            for (int k = 0; k < m.MatchLength; k++)
                if (test.IsFunctionWord[m.MatchStart + k]) function1[m.Module]++;
                else content1[m.Module]++;
            for (int k = 0; k < m.Length; k++)
                if (reference.IsFunctionWord[m.Start + k]) function2[m.Module]++;
                else content2[m.Module]++;
        }

        int chunks = 0, index = 0, lastMatchEnd = -1;
        while (index < matches.Length)
        {
            var m = matches[index];
            if (m is null)
            {
                if (lastMatchEnd != -1)
                {
                    chunks++;
                    lastMatchEnd = -1;
                }
                index++;
            }
            else
            {
                if (lastMatchEnd != -1 && m.MatchStart != lastMatchEnd) chunks++;
                index = m.Start + m.Length;
                lastMatchEnd = m.MatchStart + m.MatchLength;
            }
        }
        if (lastMatchEnd != -1) chunks++;

        return new MeteorAlignment
        {
            ContentMatches1 = content1, ContentMatches2 = content2,
            FunctionMatches1 = function1, FunctionMatches2 = function2, Chunks = chunks,
        };
    }
}
