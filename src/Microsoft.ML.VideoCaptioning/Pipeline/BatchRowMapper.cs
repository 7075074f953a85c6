using Microsoft.ML;
using Microsoft.ML.Data;

namespace Microsoft.ML.VideoCaptioning;

/// <summary>
/// Adds columns to rows, computing them for several rows at once: the shared machinery of our transformers.
/// <see cref="Transform"/> gives a lazy <see cref="IDataView"/> whose cursor reads <see cref="BatchSize"/> rows ahead from
/// the input cursor (keeping the pass-through values it needs) and computes the new columns for all of them in one call;
/// as an <see cref="IRowToRowMapper"/> (what ML.NET's prediction engine uses) it computes one row at a time with the
/// same code. When no added column is requested, rows pass straight through and nothing is computed.
/// </summary>
internal abstract class BatchRowMapper : IRowToRowMapper
{
    protected BatchRowMapper(DataViewSchema inputSchema, int batchSize)
    {
        InputSchema = inputSchema;
        BatchSize = Math.Max(1, batchSize);
    }

    public DataViewSchema InputSchema { get; }

    /// <summary>Input columns followed by the added ones (an added column hides an input column of the same name).</summary>
    public DataViewSchema OutputSchema => _outputSchema ??= BuildOutputSchema();
    private DataViewSchema? _outputSchema;

    public int BatchSize { get; }

    /// <summary>Name, type and annotations of each added column.</summary>
    protected abstract IReadOnlyList<DataViewSchema.DetachedColumn> AddedColumns { get; }

    /// <summary>Input columns that computing the added columns reads.</summary>
    protected abstract IEnumerable<DataViewSchema.Column> Inputs { get; }

    /// <summary>Reads what the computation needs from the input row the cursor is on (values must be copied out).</summary>
    protected abstract object Prepare(DataViewRow input);

    /// <summary>The added columns' values for prepared rows: <c>result[row][addedColumn]</c>, boxed as the column's raw type.</summary>
    protected abstract object[][] Compute(IReadOnlyList<object> prepared);

    private DataViewSchema BuildOutputSchema()
    {
        var b = new DataViewSchema.Builder();
        b.AddColumns(InputSchema);
        foreach (var c in AddedColumns) b.AddColumn(c.Name, c.Type, c.Annotations);
        return b.ToSchema();
    }

    private int InputCount => InputSchema.Count;

    private bool NeedsAdded(Func<int, bool> isActive) => Enumerable.Range(InputCount, AddedColumns.Count).Any(isActive);

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        var cols = dependingColumns.ToList();
        var result = cols.Where(c => c.Index < InputCount).Select(c => InputSchema[c.Index]);
        if (cols.Any(c => c.Index >= InputCount)) result = result.Concat(Inputs);
        return result.DistinctBy(c => c.Index).ToList();
    }

    /// <summary>A lazy view of <paramref name="input"/> with the added columns, computed in batches.</summary>
    public IDataView Transform(IDataView input) => new BatchedView(this, input);

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns) =>
        new SingleRow(this, input, activeColumns.Select(c => c.Index).ToHashSet());

    // ---- values ----

    /// <summary>Copies the current value of <paramref name="column"/> out of <paramref name="row"/> (deep for vectors and text).</summary>
    internal static object ReadValue(DataViewRow row, DataViewSchema.Column column) =>
        Readers.GetOrAdd(column.Type.RawType, t =>
            (Func<DataViewRow, DataViewSchema.Column, object>)Delegate.CreateDelegate(typeof(Func<DataViewRow, DataViewSchema.Column, object>),
                (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(VBuffer<>)
                    ? typeof(BatchRowMapper).GetMethod(nameof(ReadVector), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.MakeGenericMethod(t.GetGenericArguments()[0])
                    : typeof(BatchRowMapper).GetMethod(nameof(ReadScalar), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.MakeGenericMethod(t))))(row, column);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, Func<DataViewRow, DataViewSchema.Column, object>> Readers = new();

    private static object ReadScalar<T>(DataViewRow row, DataViewSchema.Column column)
    {
        T value = default!;
        row.GetGetter<T>(column)(ref value);
        return value is ReadOnlyMemory<char> text ? text.ToString().AsMemory() : value!;
    }

    private static object ReadVector<T>(DataViewRow row, DataViewSchema.Column column)
    {
        VBuffer<T> value = default, copy = default;
        row.GetGetter<VBuffer<T>>(column)(ref value);
        value.CopyTo(ref copy);
        return copy;
    }

    /// <summary>A getter serving a boxed value; vectors are copied into the caller's buffer, never shared.</summary>
    internal static ValueGetter<T> Getter<T>(Func<object> value) =>
        typeof(T).IsGenericType && typeof(T).GetGenericTypeDefinition() == typeof(VBuffer<>)
            ? (ValueGetter<T>)typeof(BatchRowMapper).GetMethod(nameof(VectorGetter), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
                .MakeGenericMethod(typeof(T).GetGenericArguments()[0]).Invoke(null, [value])!
            : (ref T dst) => dst = (T)value();

    private static ValueGetter<VBuffer<T>> VectorGetter<T>(Func<object> value) => (ref VBuffer<T> dst) => ((VBuffer<T>)value()).CopyTo(ref dst);

    // ---- the prediction engine's path: one row at a time ----

    private sealed class SingleRow(BatchRowMapper mapper, DataViewRow input, HashSet<int> active) : DataViewRow
    {
        private long _computedAt = -1;
        private object[]? _values;

        public override DataViewSchema Schema => mapper.OutputSchema;
        public override long Position => input.Position;
        public override long Batch => input.Batch;
        public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();
        public override bool IsColumnActive(DataViewSchema.Column column) => active.Contains(column.Index);

        public override ValueGetter<T> GetGetter<T>(DataViewSchema.Column column)
        {
            if (column.Index < mapper.InputCount) return input.GetGetter<T>(mapper.InputSchema[column.Index]);
            int k = column.Index - mapper.InputCount;
            return Getter<T>(() =>
            {
                if (_computedAt != input.Position)
                {
                    _values = mapper.Compute([mapper.Prepare(input)])[0];
                    _computedAt = input.Position;
                }
                return _values![k];
            });
        }
    }

    // ---- Transform's path: read ahead, compute a batch, serve its rows ----

    private sealed class BatchedView(BatchRowMapper mapper, IDataView input) : IDataView
    {
        public bool CanShuffle => input.CanShuffle;
        public DataViewSchema Schema => mapper.OutputSchema;
        public long? GetRowCount() => input.GetRowCount();

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
        {
            var active = columnsNeeded.Select(c => c.Index).ToHashSet();
            var inputCursor = input.GetRowCursor(mapper.GetDependencies(columnsNeeded.Select(c => Schema[c.Index])), rand);
            return mapper.NeedsAdded(active.Contains) ? new BatchCursor(mapper, inputCursor, active) : new PassThroughCursor(mapper, inputCursor, active);
        }

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
            [GetRowCursor(columnsNeeded, rand)];
    }

    private sealed class PassThroughCursor(BatchRowMapper mapper, DataViewRowCursor input, HashSet<int> active) : DataViewRowCursor
    {
        public override DataViewSchema Schema => mapper.OutputSchema;
        public override long Position => input.Position;
        public override long Batch => input.Batch;
        public override bool MoveNext() => input.MoveNext();
        public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();
        public override bool IsColumnActive(DataViewSchema.Column column) => active.Contains(column.Index);
        public override ValueGetter<T> GetGetter<T>(DataViewSchema.Column column) => input.GetGetter<T>(mapper.InputSchema[column.Index]);

        protected override void Dispose(bool disposing)
        {
            if (disposing) input.Dispose();
            base.Dispose(disposing);
        }
    }

    private sealed class BatchCursor : DataViewRowCursor
    {
        private readonly BatchRowMapper _mapper;
        private readonly DataViewRowCursor _input;
        private readonly HashSet<int> _active;
        private readonly DataViewSchema.Column[] _passThrough;
        private readonly List<(DataViewRowId Id, object[] Kept, object[] Added)> _rows = new();
        private int _next;
        private long _position = -1;
        private bool _inputDone;

        public BatchCursor(BatchRowMapper mapper, DataViewRowCursor input, HashSet<int> active)
        {
            _mapper = mapper;
            _input = input;
            _active = active;
            _passThrough = active.Where(i => i < mapper.InputCount).Order().Select(i => mapper.InputSchema[i]).ToArray();
        }

        public override DataViewSchema Schema => _mapper.OutputSchema;
        public override long Position => _position;
        public override long Batch => 0;
        public override bool IsColumnActive(DataViewSchema.Column column) => _active.Contains(column.Index);

        public override bool MoveNext()
        {
            if (_next + 1 < _rows.Count)
            {
                _next++;
                _position++;
                return true;
            }
            if (!Fill()) return false;
            _next = 0;
            _position++;
            return true;
        }

        private bool Fill()
        {
            _rows.Clear();
            if (_inputDone) return false;
            var prepared = new List<object>();
            var kept = new List<(DataViewRowId, object[])>();
            var idGetter = _input.GetIdGetter();
            while (prepared.Count < _mapper.BatchSize)
            {
                if (!_input.MoveNext())
                {
                    _inputDone = true;
                    break;
                }
                DataViewRowId id = default;
                idGetter(ref id);
                kept.Add((id, _passThrough.Select(c => ReadValue(_input, c)).ToArray()));
                prepared.Add(_mapper.Prepare(_input));
            }
            if (prepared.Count == 0) return false;
            var added = _mapper.Compute(prepared);
            for (int i = 0; i < kept.Count; i++) _rows.Add((kept[i].Item1, kept[i].Item2, added[i]));
            return true;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = _rows[_next].Id;

        public override ValueGetter<T> GetGetter<T>(DataViewSchema.Column column)
        {
            if (column.Index >= _mapper.InputCount)
            {
                int k = column.Index - _mapper.InputCount;
                return Getter<T>(() => _rows[_next].Added[k]);
            }
            int slot = Array.FindIndex(_passThrough, c => c.Index == column.Index);
            if (slot < 0) throw new InvalidOperationException($"Column '{column.Name}' was not requested from this cursor.");
            return Getter<T>(() => _rows[_next].Kept[slot]);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _input.Dispose();
            base.Dispose(disposing);
        }
    }
}
