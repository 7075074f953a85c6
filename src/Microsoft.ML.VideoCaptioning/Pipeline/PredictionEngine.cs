using System.Reflection;

namespace Microsoft.ML.VideoCaptioning.Pipeline;

/// <summary>
/// Runs a fitted pipeline on single objects (ML.NET's PredictionEngine): <typeparamref name="TIn"/>'s properties are the
/// input columns, <typeparamref name="TOut"/>'s settable properties are filled from the output columns of the same name
/// (or [ColumnName]). Not thread-safe, like ML.NET's: give each thread its own engine, or use
/// <see cref="PredictionEnginePool{TIn, TOut}"/>. The model itself is shared and serialises generation internally.
/// </summary>
public sealed class PredictionEngine<TIn, TOut> where TIn : class where TOut : class, new()
{
    private readonly ITransformer _model;
    private readonly (string Column, PropertyInfo Property)[] _outputs;

    internal PredictionEngine(ITransformer model, DataViewSchema inputSchema)
    {
        _model = model;
        var outSchema = model.GetOutputSchema(inputSchema);
        _outputs = typeof(TOut).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite)
            .Select(p => (p.GetCustomAttribute<ColumnNameAttribute>()?.Name ?? p.Name, p))
            .Where(p => outSchema[p.Item1] != null).ToArray();
        if (_outputs.Length == 0)
            throw new ArgumentException($"{typeof(TOut).Name} has no settable property named like an output column ({outSchema}).");
        foreach (var (col, prop) in _outputs)
        {
            var t = outSchema[col]!.Type;
            if (!prop.PropertyType.IsAssignableFrom(t) && !(t == typeof(string) && prop.PropertyType == typeof(string)))
                throw new ArgumentException($"{typeof(TOut).Name}.{prop.Name} is {prop.PropertyType.Name} but column '{col}' holds {DataViewSchema.TypeName(t)}.");
        }
    }

    /// <summary>The prediction for one input.</summary>
    public TOut Predict(TIn example) => PredictBatch([example])[0];

    /// <summary>Predictions for several inputs, computed in batches.</summary>
    public IReadOnlyList<TOut> PredictBatch(IReadOnlyList<TIn> examples, CancellationToken cancellation = default) =>
        _model.Transform(new EnumerableDataView<TIn>(examples)).GetRows(cancellation).Select(row =>
        {
            var o = new TOut();
            foreach (var (col, prop) in _outputs) prop.SetValue(o, row[col]);
            return o;
        }).ToList();
}

/// <summary>
/// Serves concurrent callers: at most <c>maxConcurrency</c> predictions run at once, others wait their turn.
/// Safe to share across threads.
/// </summary>
public sealed class PredictionEnginePool<TIn, TOut> : IDisposable where TIn : class where TOut : class, new()
{
    private readonly PredictionEngine<TIn, TOut> _engine;
    private readonly SemaphoreSlim _slots;

    internal PredictionEnginePool(PredictionEngine<TIn, TOut> engine, int maxConcurrency)
    {
        _engine = engine;
        _slots = new SemaphoreSlim(Math.Max(1, maxConcurrency));
    }

    public async Task<IReadOnlyList<TOut>> PredictBatchAsync(IReadOnlyList<TIn> examples, CancellationToken cancellation = default)
    {
        await _slots.WaitAsync(cancellation).ConfigureAwait(false);
        try { return await Task.Run(() => _engine.PredictBatch(examples, cancellation), cancellation).ConfigureAwait(false); }
        finally { _slots.Release(); }
    }

    public async Task<TOut> PredictAsync(TIn example, CancellationToken cancellation = default) => (await PredictBatchAsync([example], cancellation))[0];

    public void Dispose() => _slots.Dispose();
}
