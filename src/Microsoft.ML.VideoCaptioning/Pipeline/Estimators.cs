using System.Text.Json.Nodes;

namespace Microsoft.ML.VideoCaptioning.Pipeline;

/// <summary>A fitted step: adds columns to data (ML.NET's ITransformer).</summary>
public interface ITransformer
{
    /// <summary>The schema <see cref="Transform"/> would produce; throws naming a missing or mistyped column.</summary>
    DataViewSchema GetOutputSchema(DataViewSchema inputSchema);

    /// <summary>Lazily adds this step's columns.</summary>
    IDataView Transform(IDataView input);
}

/// <summary>A step before fitting (ML.NET's IEstimator).</summary>
public interface IEstimator<out TTransformer> where TTransformer : ITransformer
{
    /// <summary>Fits on <paramref name="input"/>; <paramref name="validation"/> is used by trainers that validate.</summary>
    TTransformer Fit(IDataView input, IDataView? validation = null);

    /// <summary>The schema after this step; throws naming a missing or mistyped column.</summary>
    DataViewSchema GetOutputSchema(DataViewSchema inputSchema);
}

/// <summary>A step that can be written into and read from a model package.</summary>
internal interface IPackagedTransformer : ITransformer
{
    /// <summary>Step kind and options for the manifest; files go under <paramref name="folder"/> of the package.</summary>
    JsonObject Save(ModelPackageWriter writer, string folder);
}

/// <summary>Fitted steps applied in order (ML.NET's TransformerChain).</summary>
public sealed class TransformerChain<TLast> : ITransformer, IDisposable where TLast : class, ITransformer
{
    private readonly ITransformer[] _steps;

    public TransformerChain(params ITransformer[] steps)
    {
        if (steps.Length == 0 || steps[^1] is not TLast) throw new ArgumentException($"The last step must be a {typeof(TLast).Name}.");
        _steps = steps;
    }

    public IReadOnlyList<ITransformer> Steps => _steps;

    /// <summary>The last step (typically the trained model).</summary>
    public TLast LastTransformer => (TLast)_steps[^1];

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => _steps.Aggregate(inputSchema, (s, t) => t.GetOutputSchema(s));

    public IDataView Transform(IDataView input) => _steps.Aggregate(input, (d, t) => t.Transform(d));

    public void Dispose()
    {
        foreach (var s in _steps.Reverse()) (s as IDisposable)?.Dispose();
    }
}

/// <summary>Estimators applied in order; <see cref="Fit"/> fits each on the output of the ones before (ML.NET's EstimatorChain).</summary>
public sealed class EstimatorChain<TLast> : IEstimator<TransformerChain<TLast>> where TLast : class, ITransformer
{
    private readonly IEstimator<ITransformer>[] _estimators;

    internal EstimatorChain(IEstimator<ITransformer>[] estimators) => _estimators = estimators;

    /// <summary>Adds a step.</summary>
    public EstimatorChain<TNext> Append<TNext>(IEstimator<TNext> next) where TNext : class, ITransformer => new([.. _estimators, next]);

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) =>
        _estimators.Aggregate(inputSchema, (s, e) => e.GetOutputSchema(s));

    /// <summary>Checks the whole chain's schema first, then fits each step on the data transformed by the previous ones.</summary>
    public TransformerChain<TLast> Fit(IDataView input, IDataView? validation = null)
    {
        GetOutputSchema(input.Schema);
        var fitted = new List<ITransformer>();
        try
        {
            foreach (var e in _estimators)
            {
                var t = e.Fit(input, validation);
                fitted.Add(t);
                input = t.Transform(input);
                if (validation != null) validation = t.Transform(validation);
            }
        }
        catch
        {
            foreach (var t in fitted) (t as IDisposable)?.Dispose();
            throw;
        }
        return new TransformerChain<TLast>([.. fitted]);
    }
}

/// <summary>Chaining helpers (ML.NET's <c>estimator.Append(next)</c>).</summary>
public static class EstimatorExtensions
{
    public static EstimatorChain<TNext> Append<TFirst, TNext>(this IEstimator<TFirst> first, IEstimator<TNext> next)
        where TFirst : class, ITransformer where TNext : class, ITransformer => new([first, next]);
}
