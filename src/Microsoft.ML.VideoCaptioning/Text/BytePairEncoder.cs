using System.Buffers;
using System.Collections.Concurrent;
using System.Text;

namespace Microsoft.ML.VideoCaptioning.Text;

/// <summary>
/// Byte-level BPE over a vocabulary and ranked merges, with the merge order of Hugging Face tokenizers'
/// <c>Word::merge_all</c>: a priority queue of adjacent pairs ordered by (merge rank, position), stale entries
/// skipped, so a word of n bytes costs O(n log n). Results are cached per piece (thread-safe, bounded).
/// </summary>
internal sealed class BytePairEncoder
{
    /// <summary>Most pieces kept in the cache; once full, new pieces are encoded but not cached.</summary>
    public const int CacheCapacity = 100_000;

    /// <summary>Longer pieces (in UTF-16 units) are never cached.</summary>
    public const int MaxCachedPieceLength = 64;

    private const int StackBytes = 256;
    private const int StackSymbols = 32;

    private readonly MergeTable _merges;
    private readonly int[] _byteIds = new int[256];
    private readonly Dictionary<string, int>? _wholeWordVocab;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheLookup;
    private int _cacheCount;

    /// <param name="vocab">Token (byte-level spelling) → id.</param>
    /// <param name="merges">Merges in rank order (rank = index).</param>
    /// <param name="ignoreMerges">Whether a piece that is itself a token is emitted whole (HF <c>ignore_merges</c>).</param>
    /// <param name="source">Named in error messages.</param>
    /// <exception cref="InvalidDataException">A byte has no token, or a merge uses or makes a token not in the vocabulary.</exception>
    public BytePairEncoder(Dictionary<string, int> vocab, IReadOnlyList<(string Left, string Right)> merges, bool ignoreMerges, string source)
    {
        for (int b = 0; b < 256; b++)
        {
            if (!vocab.TryGetValue(ByteLevelAlphabet.ToChar((byte)b).ToString(), out _byteIds[b]))
                throw new InvalidDataException($"{source}: the vocabulary has no token for byte 0x{b:X2} ('{ByteLevelAlphabet.ToChar((byte)b)}'), so it is not a byte-level BPE vocabulary.");
        }

        _merges = new MergeTable(merges.Count);
        var vocabBySpan = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        Span<char> concatenation = stackalloc char[256];
        for (int rank = 0; rank < merges.Count; rank++)
        {
            (string left, string right) = merges[rank];
            if (!vocab.TryGetValue(left, out int leftId) || !vocab.TryGetValue(right, out int rightId))
                throw new InvalidDataException($"{source}: merge {rank} ('{left}' '{right}') uses a token that is not in the vocabulary.");
            int length = left.Length + right.Length;
            Span<char> merged = length <= concatenation.Length ? concatenation[..length] : new char[length];
            left.CopyTo(merged);
            right.CopyTo(merged[left.Length..]);
            if (!vocabBySpan.TryGetValue(merged, out int id))
                throw new InvalidDataException($"{source}: merge {rank} ('{left}' '{right}') makes '{left}{right}', which is not in the vocabulary.");
            _merges.Set(leftId, rightId, rank, id);
        }

        _wholeWordVocab = ignoreMerges ? vocab : null;
        _cacheLookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Appends the ids of one pre-tokenized piece (UTF-16 text, encoded as UTF-8 bytes).</summary>
    public void EncodePiece(ReadOnlySpan<char> piece, List<int> ids)
    {
        if (piece.Length == 1 && char.IsAscii(piece[0]))
        {
            ids.Add(_byteIds[piece[0]]); // one byte: nothing to merge
            return;
        }
        if (_cacheLookup.TryGetValue(piece, out int[]? cached))
        {
            ids.AddRange(cached);
            return;
        }

        int[] encoded = EncodeUncached(piece);
        if (piece.Length <= MaxCachedPieceLength && Volatile.Read(ref _cacheCount) < CacheCapacity && _cacheLookup.TryAdd(piece, encoded))
            Interlocked.Increment(ref _cacheCount);
        ids.AddRange(encoded);
    }

    private int[] EncodeUncached(ReadOnlySpan<char> piece)
    {
        int maxBytes = Encoding.UTF8.GetMaxByteCount(piece.Length);
        byte[]? rented = maxBytes > StackBytes ? ArrayPool<byte>.Shared.Rent(maxBytes) : null;
        Span<byte> buffer = rented ?? stackalloc byte[StackBytes];
        try
        {
            ReadOnlySpan<byte> bytes = buffer[..Encoding.UTF8.GetBytes(piece, buffer)];
            if (_wholeWordVocab != null && _wholeWordVocab.TryGetValue(ByteLevelAlphabet.ToVocabularyString(bytes), out int wholeId))
                return [wholeId];
            return Merge(bytes);
        }
        finally
        {
            if (rented != null)
                ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Runs BPE on the bytes of one piece.</summary>
    private int[] Merge(ReadOnlySpan<byte> bytes)
    {
        int n = bytes.Length;
        if (n == 0)
            return [];
        if (n == 1)
            return [_byteIds[bytes[0]]];

        // Each merge pushes at most two candidates, so the queue never holds more than 3n entries.
        Symbol[]? rentedSymbols = n > StackSymbols ? ArrayPool<Symbol>.Shared.Rent(n) : null;
        Candidate[]? rentedQueue = n > StackSymbols ? ArrayPool<Candidate>.Shared.Rent(3 * n) : null;
        try
        {
            Span<Symbol> symbols = (rentedSymbols ?? stackalloc Symbol[StackSymbols])[..n];
            var queue = new CandidateQueue(rentedQueue ?? stackalloc Candidate[3 * StackSymbols]);
            for (int i = 0; i < n; i++)
                symbols[i] = new Symbol(_byteIds[bytes[i]], i - 1, i + 1 < n ? i + 1 : -1);
            for (int i = 0; i + 1 < n; i++)
                PushPair(ref queue, symbols, i);

            int remaining = n;
            while (queue.TryPop(out Candidate top))
            {
                ref Symbol current = ref symbols[top.Position];
                if (current.Removed || current.Next < 0)
                    continue;
                ref Symbol right = ref symbols[current.Next];
                // An entry is stale when a side was merged since it was queued; like HF, it still applies when the
                // new pair happens to merge into the same token.
                bool samePair = current.Id == top.LeftId && right.Id == top.RightId;
                if (!samePair && (!_merges.TryGet(current.Id, right.Id, out _, out int newId) || newId != top.NewId))
                    continue;

                current.Id = top.NewId;
                right.Removed = true;
                current.Next = right.Next;
                if (current.Next >= 0)
                    symbols[current.Next].Prev = top.Position;
                remaining--;

                if (current.Prev >= 0)
                    PushPair(ref queue, symbols, current.Prev);
                if (current.Next >= 0)
                    PushPair(ref queue, symbols, top.Position);
            }

            var ids = new int[remaining];
            for (int i = 0, k = 0; i >= 0; i = symbols[i].Next)
                ids[k++] = symbols[i].Id;
            return ids;
        }
        finally
        {
            if (rentedSymbols != null)
                ArrayPool<Symbol>.Shared.Return(rentedSymbols);
            if (rentedQueue != null)
                ArrayPool<Candidate>.Shared.Return(rentedQueue);
        }
    }

    private void PushPair(ref CandidateQueue queue, Span<Symbol> symbols, int position)
    {
        int leftId = symbols[position].Id;
        int rightId = symbols[symbols[position].Next].Id;
        if (_merges.TryGet(leftId, rightId, out int rank, out int id))
            queue.Push(new Candidate(rank, position, leftId, rightId, id));
    }

    /// <summary>A symbol of the word being merged; symbols form a linked list, merged-away ones are <see cref="Removed"/>.</summary>
    private struct Symbol(int id, int prev, int next)
    {
        public int Id = id;
        public int Prev = prev;
        public int Next = next;
        public bool Removed;
    }

    /// <summary>A possible merge of the symbol at <see cref="Position"/> (then <see cref="LeftId"/>) with its right neighbour (then <see cref="RightId"/>).</summary>
    private readonly record struct Candidate(int Rank, int Position, int LeftId, int RightId, int NewId)
    {
        public bool PrecedesOrEquals(Candidate other)
            => Rank < other.Rank || (Rank == other.Rank && Position <= other.Position);
    }

    /// <summary>A binary min-heap of candidates on a caller-provided array, ordered by (rank, position).</summary>
    private ref struct CandidateQueue(Span<Candidate> items)
    {
        private readonly Span<Candidate> _items = items;
        private int _count;

        public void Push(Candidate item)
        {
            int i = _count++;
            while (i > 0)
            {
                int parent = (i - 1) >> 1;
                if (_items[parent].PrecedesOrEquals(item))
                    break;
                _items[i] = _items[parent];
                i = parent;
            }
            _items[i] = item;
        }

        public bool TryPop(out Candidate top)
        {
            if (_count == 0)
            {
                top = default;
                return false;
            }
            top = _items[0];
            Candidate last = _items[--_count];
            int i = 0;
            while (true)
            {
                int child = 2 * i + 1;
                if (child >= _count)
                    break;
                if (child + 1 < _count && _items[child + 1].PrecedesOrEquals(_items[child]))
                    child++;
                if (last.PrecedesOrEquals(_items[child]))
                    break;
                _items[i] = _items[child];
                i = child;
            }
            if (_count > 0)
                _items[i] = last;
            return true;
        }
    }
}
