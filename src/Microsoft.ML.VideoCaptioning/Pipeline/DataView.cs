using System.Reflection;

namespace Microsoft.ML.VideoCaptioning.Pipeline;

/// <summary>Names a column differently from the property it maps (as ML.NET's ColumnNameAttribute).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ColumnNameAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}

/// <summary>One column of a <see cref="DataViewSchema"/>: a name and the .NET type of its values.</summary>
public sealed record DataViewColumn(string Name, Type Type, int Index);

/// <summary>The columns of a data view, in order.</summary>
public sealed class DataViewSchema
{
    private readonly List<DataViewColumn> _columns;

    public DataViewSchema(IEnumerable<(string Name, Type Type)> columns)
    {
        _columns = columns.Select((c, i) => new DataViewColumn(c.Name, c.Type, i)).ToList();
        var dup = _columns.GroupBy(c => c.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup != null) throw new ArgumentException($"Column '{dup.Key}' appears twice.");
    }

    public IReadOnlyList<DataViewColumn> Columns => _columns;

    public DataViewColumn? this[string name] => _columns.FirstOrDefault(c => c.Name == name);

    /// <summary>The schema plus (or with a replaced) column.</summary>
    public DataViewSchema With(string name, Type type) =>
        new(_columns.Where(c => c.Name != name).Select(c => (c.Name, c.Type)).Append((name, type)));

    /// <summary>Checks that <paramref name="name"/> exists and holds one of <paramref name="accepted"/>; the error names the column and what was expected.</summary>
    public DataViewColumn Require(string name, string role, params Type[] accepted)
    {
        var col = this[name] ?? throw new ArgumentOutOfRangeException(nameof(name),
            $"{role} column '{name}' not found. Available columns: {string.Join(", ", _columns.Select(c => $"{c.Name} ({TypeName(c.Type)})"))}.");
        if (accepted.Length > 0 && !accepted.Any(t => t.IsAssignableFrom(col.Type)))
            throw new ArgumentOutOfRangeException(nameof(name),
                $"{role} column '{name}' has type {TypeName(col.Type)}; expected {string.Join(" or ", accepted.Select(TypeName))}.");
        return col;
    }

    public static string TypeName(Type t) => t == typeof(string[]) ? "Text[]" : t == typeof(string) ? "Text" : t.Name;

    public override string ToString() => string.Join(", ", _columns.Select(c => $"{c.Name}: {TypeName(c.Type)}"));
}

/// <summary>One row: values by column name. Values may be lazy (e.g. decoded frames are decoded on first access).</summary>
public sealed class DataRow
{
    private readonly Dictionary<string, object?> _values;

    public DataRow(Dictionary<string, object?> values) => _values = values;

    public object? this[string column] => _values.TryGetValue(column, out var v) ? v : throw new KeyNotFoundException($"No column '{column}' in this row.");

    public T Get<T>(string column) => this[column] is T t ? t : throw new InvalidCastException($"Column '{column}' holds {this[column]?.GetType().Name ?? "null"}, not {typeof(T).Name}.");

    /// <summary>A copy with one more (or a replaced) value.</summary>
    public DataRow With(string column, object? value) => new(new Dictionary<string, object?>(_values) { [column] = value });

    public IReadOnlyDictionary<string, object?> Values => _values;
}

/// <summary>
/// A lazy, streaming table with a schema (ML.NET's IDataView, simplified): rows are produced when enumerated and
/// transforms compute their columns on the way, so a dataset never has to fit in memory.
/// </summary>
public interface IDataView
{
    DataViewSchema Schema { get; }

    /// <summary>Number of rows when known without enumerating.</summary>
    long? RowCount { get; }

    IEnumerable<DataRow> GetRows(CancellationToken cancellation = default);
}

/// <summary>A data view over a sequence of .NET objects: one column per public property (or [ColumnName]).</summary>
public sealed class EnumerableDataView<T> : IDataView
{
    private readonly IEnumerable<T> _items;
    private readonly (string Name, PropertyInfo Property)[] _props;

    public EnumerableDataView(IEnumerable<T> items)
    {
        _items = items;
        _props = typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanRead && p.GetIndexParameters().Length == 0)
            .Select(p => (p.GetCustomAttribute<ColumnNameAttribute>()?.Name ?? p.Name, p)).ToArray();
        if (_props.Length == 0) throw new ArgumentException($"{typeof(T).Name} has no public properties to use as columns.");
        Schema = new DataViewSchema(_props.Select(p => (p.Name, p.Property.PropertyType)));
    }

    public DataViewSchema Schema { get; }

    public long? RowCount => _items is ICollection<T> c ? c.Count : _items is IReadOnlyCollection<T> r ? r.Count : null;

    public IEnumerable<DataRow> GetRows(CancellationToken cancellation = default)
    {
        foreach (var item in _items)
        {
            cancellation.ThrowIfCancellationRequested();
            yield return new DataRow(_props.ToDictionary(p => p.Name, p => p.Property.GetValue(item)));
        }
    }
}

/// <summary>A data view that adds columns row by row to another (what transformers return).</summary>
internal sealed class MappedDataView(IDataView source, DataViewSchema schema, Func<IEnumerable<DataRow>, CancellationToken, IEnumerable<DataRow>> map) : IDataView
{
    public DataViewSchema Schema { get; } = schema;
    public long? RowCount => source.RowCount;
    public IEnumerable<DataRow> GetRows(CancellationToken cancellation = default) => map(source.GetRows(cancellation), cancellation);
}

/// <summary>Data view helpers.</summary>
public static class DataViewExtensions
{
    /// <summary>
    /// Computes the rows once and keeps them in memory, so that several consumers (evaluation, reports) do not redo
    /// expensive columns (ML.NET's AppendCacheCheckpoint).
    /// </summary>
    public static IDataView Cache(this IDataView view, CancellationToken cancellation = default) => new CachedDataView(view.Schema, view.GetRows(cancellation).ToList());

    private sealed class CachedDataView(DataViewSchema schema, IReadOnlyList<DataRow> rows) : IDataView
    {
        public DataViewSchema Schema { get; } = schema;
        public long? RowCount => rows.Count;
        public IEnumerable<DataRow> GetRows(CancellationToken cancellation = default) => rows;
    }
}
