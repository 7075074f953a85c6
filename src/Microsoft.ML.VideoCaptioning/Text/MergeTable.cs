using System.Numerics;

namespace Microsoft.ML.VideoCaptioning.Text;

/// <summary>
/// BPE merges by pair of token ids: (left, right) → (rank, merged id). An open-addressing table (linear probing,
/// at most half full, Fibonacci hashing), so a lookup usually touches one cache line; this is the hot path of BPE.
/// </summary>
internal sealed class MergeTable
{
    private readonly Entry[] _entries;
    private readonly int _shift;
    private readonly int _mask;

    /// <param name="capacity">The most merges the table will hold.</param>
    public MergeTable(int capacity)
    {
        int size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, 2 * capacity));
        _entries = new Entry[size];
        _shift = 64 - BitOperations.Log2((uint)size);
        _mask = size - 1;
    }

    /// <summary>Adds a merge, replacing an earlier one of the same pair.</summary>
    public void Set(int left, int right, int rank, int id)
    {
        ulong key = Key(left, right);
        int slot = Slot(key);
        while (_entries[slot].RankPlusOne != 0 && _entries[slot].Key != key)
            slot = (slot + 1) & _mask;
        _entries[slot] = new Entry { Key = key, RankPlusOne = rank + 1, Id = id };
    }

    /// <summary>The merge of the pair (<paramref name="left"/>, <paramref name="right"/>), if there is one.</summary>
    public bool TryGet(int left, int right, out int rank, out int id)
    {
        ulong key = Key(left, right);
        for (int slot = Slot(key); _entries[slot].RankPlusOne != 0; slot = (slot + 1) & _mask)
        {
            if (_entries[slot].Key == key)
            {
                rank = _entries[slot].RankPlusOne - 1;
                id = _entries[slot].Id;
                return true;
            }
        }
        rank = id = 0;
        return false;
    }

    private static ulong Key(int left, int right) => ((ulong)(uint)left << 32) | (uint)right;

    private int Slot(ulong key) => (int)((key * 0x9E3779B97F4A7C15UL) >> _shift);

    /// <summary>A slot; <see cref="RankPlusOne"/> is 0 in empty slots.</summary>
    private struct Entry
    {
        public ulong Key;
        public int RankPlusOne;
        public int Id;
    }
}
