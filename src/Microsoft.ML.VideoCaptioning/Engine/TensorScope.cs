namespace Microsoft.ML.VideoCaptioning.Engine;

/// <summary>
/// A deterministic lifetime for native tensors. Every <see cref="Tensor"/> created on this thread while a scope is
/// open belongs to the innermost scope and is freed when the scope is disposed, unless it was moved out
/// (<see cref="Tensor.MoveToOuterScope"/>) or detached (<see cref="Tensor.DetachFromScope"/>).
/// The garbage collector does not see native memory, so loops must free their temporaries this way.
/// </summary>
/// <example><code>
/// Tensor Step(Tensor x) {
///     using var scope = TensorScope.Open();
///     var y = (x * 2).Exp();
///     return y.MoveToOuterScope();   // every other temporary dies here
/// }
/// </code></example>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? _current;

    private readonly TensorScope? _parent;
    private readonly List<Tensor> _owned = new();
    private bool _disposed;

    private TensorScope()
    {
        _parent = _current;
        _current = this;
    }

    /// <summary>Opens a scope on this thread; dispose it on the same thread, innermost first.</summary>
    public static TensorScope Open() => new();

    /// <summary>The innermost open scope on this thread, or null.</summary>
    public static TensorScope? Current => _current;

    /// <summary>Number of live tensors this scope owns.</summary>
    public int Count => _owned.Count(t => t.Owner == this && !t.IsDisposed);

    internal TensorScope? Parent => _parent;

    internal static void Register(Tensor t)
    {
        var s = _current;
        if (s == null) return;
        t.Owner = s;
        s._owned.Add(t);
    }

    internal void Adopt(Tensor t)
    {
        t.Owner = this;
        _owned.Add(t);
    }

    /// <summary>Frees every tensor still owned by this scope.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        if (_current != this)
            throw new InvalidOperationException("TensorScope disposed out of order or on another thread: dispose the innermost scope first.");
        _disposed = true;
        foreach (var t in _owned)
            if (t.Owner == this) t.Dispose();
        _owned.Clear();
        _current = _parent;
    }
}
