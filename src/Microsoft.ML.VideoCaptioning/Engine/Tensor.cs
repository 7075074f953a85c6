using System.Runtime.InteropServices;

namespace Microsoft.ML.VideoCaptioning.Engine;

/// <summary>
/// A libtorch tensor owned from C#. Dispose it, or let the <see cref="TensorScope"/> it was created in free it.
/// Operations return new tensors (registered in the current scope); methods ending in <c>InPlace</c> modify this one
/// without recording autograd history.
/// </summary>
public sealed unsafe partial class Tensor : IDisposable
{
    private readonly TensorHandle _handle;

    internal TensorScope? Owner;

    private Tensor(IntPtr handle)
    {
        _handle = new TensorHandle(handle);
        TensorScope.Register(this);
    }

    /// <summary>Takes ownership of a handle returned by the shim, or throws with the native error.</summary>
    internal static Tensor Wrap(IntPtr handle, string op, params Tensor?[] inputs)
    {
        if (handle == IntPtr.Zero) throw TorchException.For(op, inputs);
        return new Tensor(handle);
    }

    internal IntPtr Handle
    {
        get
        {
            if (_handle.IsClosed) throw new ObjectDisposedException(nameof(Tensor), "The tensor was disposed (or its scope was closed).");
            return _handle.DangerousGetHandle();
        }
    }

    /// <summary>True once the native tensor has been freed.</summary>
    public bool IsDisposed => _handle.IsClosed;

    /// <summary>Frees the native tensor (its storage is freed when no other tensor views it).</summary>
    public void Dispose()
    {
        _handle.Dispose();
        Owner = null;
    }

    /// <summary>Moves this tensor from its scope to the enclosing one (or to no scope), so it outlives the inner scope.</summary>
    public Tensor MoveToOuterScope()
    {
        var parent = Owner?.Parent;
        Owner = null;
        parent?.Adopt(this);
        return this;
    }

    /// <summary>
    /// For a tensor left to the finalizer (e.g. kept in a data-view value): reports its bytes to the GC so that
    /// collections, and with them the native frees, keep pace with the native memory it holds.
    /// </summary>
    public Tensor TrackMemoryPressure()
    {
        _handle.AddMemoryPressure(NumEl * DType.ElementSize());
        return this;
    }

    /// <summary>Removes this tensor from every scope: the caller now owns it and must dispose it.</summary>
    public Tensor DetachFromScope()
    {
        Owner = null;
        return this;
    }

    // ------------------------------------------------------------------------------------------------
    // Metadata

    /// <summary>Number of dimensions.</summary>
    public int Dim => Native.vt_dim(Handle);

    /// <summary>The sizes of the dimensions.</summary>
    public long[] Shape
    {
        get
        {
            var h = Handle;
            var shape = new long[Native.vt_dim(h)];
            fixed (long* p = shape) Native.vt_shape(h, p);
            return shape;
        }
    }

    /// <summary>Size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public long Size(int dim)
    {
        var s = Shape;
        return s[dim < 0 ? s.Length + dim : dim];
    }

    /// <summary>Number of elements.</summary>
    public long NumEl => Native.vt_numel(Handle);

    /// <summary>Element type.</summary>
    public DType DType => (DType)Native.vt_dtype(Handle);

    /// <summary>The device that holds the data.</summary>
    public Device Device
    {
        get
        {
            var h = Handle;
            return Native.vt_device_type(h) == 1 ? Device.Cuda(Native.vt_device_index(h)) : Device.Cpu;
        }
    }

    /// <summary>True when the tensor's memory is contiguous in row-major order.</summary>
    public bool IsContiguous => Native.vt_is_contiguous(Handle) != 0;

    /// <summary>Whether autograd tracks operations on this tensor (a trainable parameter).</summary>
    public bool RequiresGrad
    {
        get => Native.vt_requires_grad(Handle) != 0;
        set => Torch.Check(Native.vt_set_requires_grad(Handle, value ? 1 : 0), "requires_grad_");
    }

    /// <summary>"float32[2, 3] cpu" — used in error messages.</summary>
    public string Describe() => IsDisposed ? "<disposed>" : $"{DType.Name()}[{string.Join(", ", Shape)}] {Device}";

    /// <inheritdoc/>
    public override string ToString() => "Tensor " + Describe();

    // ------------------------------------------------------------------------------------------------
    // Creation

    private static DType DTypeOf<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? DType.Float32 :
        typeof(T) == typeof(long) ? DType.Int64 :
        typeof(T) == typeof(bool) ? DType.Bool :
        typeof(T) == typeof(byte) ? DType.UInt8 :
        typeof(T) == typeof(int) ? DType.Int32 :
        typeof(T) == typeof(double) ? DType.Float64 :
        typeof(T) == typeof(Half) ? DType.Float16 :
        throw new NotSupportedException($"No tensor element type for {typeof(T).Name}.");

    private static long Product(ReadOnlySpan<long> shape)
    {
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"Negative dimension {d} in shape [{string.Join(", ", shape.ToArray())}].");
            n *= d;
        }
        return n;
    }

    /// <summary>Copies <paramref name="data"/> into a new tensor of the given shape.</summary>
    public static Tensor From<T>(ReadOnlySpan<T> data, ReadOnlySpan<long> shape, Device device = default) where T : unmanaged
    {
        if (Product(shape) != data.Length)
            throw new ArgumentException($"{data.Length} values do not fill shape [{string.Join(", ", shape.ToArray())}].");
        Torch.EnsureInitialized();
        fixed (T* d = data)
        fixed (long* s = shape)
            return Wrap(Native.vt_from_data(d, s, shape.Length, (int)DTypeOf<T>(), (int)device.Type, device.Index), "from_data");
    }

    /// <summary>Copies <paramref name="data"/> into a new CPU tensor of the given shape.</summary>
    public static Tensor From<T>(T[] data, params long[] shape) where T : unmanaged => From<T>(data.AsSpan(), shape);

    /// <summary>Creates a tensor of any <see cref="DType"/> from raw little-endian bytes (e.g. BF16 from a safetensors file).</summary>
    public static Tensor FromBytes(ReadOnlySpan<byte> bytes, DType dtype, ReadOnlySpan<long> shape, Device device = default)
    {
        fixed (byte* d = bytes) return FromPointer(d, bytes.Length, dtype, shape.ToArray(), device);
    }

    /// <summary>A 0-dimensional tensor holding one value.</summary>
    public static Tensor Scalar(double value, DType dtype = DType.Float32, Device device = default) =>
        Full(Array.Empty<long>(), value, dtype, device);

    /// <summary>Uninitialised memory.</summary>
    public static Tensor Empty(ReadOnlySpan<long> shape, DType dtype = DType.Float32, Device device = default)
    {
        Torch.EnsureInitialized();
        fixed (long* s = shape) return Wrap(Native.vt_empty(s, shape.Length, (int)dtype, (int)device.Type, device.Index), "empty");
    }

    /// <summary>All zeros.</summary>
    public static Tensor Zeros(ReadOnlySpan<long> shape, DType dtype = DType.Float32, Device device = default)
    {
        Torch.EnsureInitialized();
        fixed (long* s = shape) return Wrap(Native.vt_zeros(s, shape.Length, (int)dtype, (int)device.Type, device.Index), "zeros");
    }

    /// <summary>All ones.</summary>
    public static Tensor Ones(ReadOnlySpan<long> shape, DType dtype = DType.Float32, Device device = default) => Full(shape, 1, dtype, device);

    /// <summary>Every element equal to <paramref name="value"/>.</summary>
    public static Tensor Full(ReadOnlySpan<long> shape, double value, DType dtype = DType.Float32, Device device = default)
    {
        Torch.EnsureInitialized();
        fixed (long* s = shape) return Wrap(Native.vt_full(s, shape.Length, value, (int)dtype, (int)device.Type, device.Index), "full");
    }

    /// <summary>Values start, start+step, … below end.</summary>
    public static Tensor Arange(double start, double end, double step = 1, DType dtype = DType.Int64, Device device = default)
    {
        Torch.EnsureInitialized();
        return Wrap(Native.vt_arange(start, end, step, (int)dtype, (int)device.Type, device.Index), "arange");
    }

    /// <summary>Standard normal samples from libtorch's generator.</summary>
    public static Tensor Randn(ReadOnlySpan<long> shape, DType dtype = DType.Float32, Device device = default)
    {
        Torch.EnsureInitialized();
        fixed (long* s = shape) return Wrap(Native.vt_randn(s, shape.Length, (int)dtype, (int)device.Type, device.Index), "randn");
    }

    /// <summary>Uniform [0, 1) samples from libtorch's generator.</summary>
    public static Tensor Rand(ReadOnlySpan<long> shape, DType dtype = DType.Float32, Device device = default)
    {
        Torch.EnsureInitialized();
        fixed (long* s = shape) return Wrap(Native.vt_rand(s, shape.Length, (int)dtype, (int)device.Type, device.Index), "rand");
    }

    // ------------------------------------------------------------------------------------------------
    // Reading values

    /// <summary>Copies the elements to a new array (row-major). <typeparamref name="T"/> must match <see cref="DType"/>.</summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        if (DTypeOf<T>() != DType)
            throw new InvalidOperationException($"ToArray<{typeof(T).Name}> on a {Describe()} tensor; convert it with To(DType) first.");
        var result = new T[NumEl];
        fixed (T* p = result)
            Torch.Check(Native.vt_copy_to_host(Handle, p, (long)result.Length * sizeof(T)), "copy_to_host");
        return result;
    }

    /// <summary>Copies the elements as float32 (converting bf16/f16/f64/integers first).</summary>
    public float[] ToFloatArray()
    {
        if (DType == DType.Float32) return ToArray<float>();
        using var f = To(DType.Float32);
        return f.ToArray<float>();
    }

    /// <summary>Copies the elements as int64.</summary>
    public long[] ToLongArray()
    {
        if (DType == DType.Int64) return ToArray<long>();
        using var f = To(DType.Int64);
        return f.ToArray<long>();
    }

    /// <summary>The value of a one-element tensor.</summary>
    public double Item()
    {
        var v = Native.vt_item(Handle);
        if (double.IsNaN(v) && NumEl != 1) throw TorchException.For("item", this);
        return v;
    }

    // ------------------------------------------------------------------------------------------------
    // Conversion

    /// <summary>Converts the element type (returns a new tensor even when the type already matches).</summary>
    public Tensor To(DType dtype) => Wrap(Native.vt_to(Handle, (int)dtype, -1, 0, 0), "to", this);

    /// <summary>Moves to a device.</summary>
    public Tensor To(Device device) => Wrap(Native.vt_to(Handle, -1, (int)device.EnsureAvailable().Type, device.Index, 0), "to", this);

    /// <summary>Moves to a device and converts the element type.</summary>
    public Tensor To(Device device, DType dtype) =>
        Wrap(Native.vt_to(Handle, (int)dtype, (int)device.EnsureAvailable().Type, device.Index, 0), "to", this);

    /// <summary>A copy with its own storage.</summary>
    public Tensor Clone() => Wrap(Native.vt_clone(Handle), "clone", this);

    /// <summary>The same data without autograd history.</summary>
    public Tensor Detach() => Wrap(Native.vt_detach(Handle), "detach", this);

    /// <summary>A second handle to the same tensor (shares data and autograd history).</summary>
    public Tensor Alias() => Wrap(Native.vt_alias(Handle), "alias", this);

    /// <summary>A contiguous tensor with the same values.</summary>
    public Tensor Contiguous() => Wrap(Native.vt_contiguous(Handle), "contiguous", this);

    /// <summary>Copies <paramref name="source"/>'s values into this tensor (converting type and device), without autograd.</summary>
    public void CopyFrom(Tensor source) => CheckInPlace(Native.vt_copy_(Handle, source.Handle), "copy_", this, source);

    private static void CheckInPlace(int rc, string op, params Tensor?[] inputs)
    {
        if (rc != 0) throw TorchException.For(op, inputs);
    }

    // ------------------------------------------------------------------------------------------------
    // Autograd

    /// <summary>Back-propagates from this (scalar) tensor into the gradients of the leaves that require them.</summary>
    public void Backward(Tensor? gradient = null) =>
        CheckInPlace(Native.vt_backward(Handle, gradient?.Handle ?? IntPtr.Zero), "backward", this, gradient);

    /// <summary>The accumulated gradient, or null when none has been computed.</summary>
    public Tensor? Grad
    {
        get
        {
            CheckInPlace(Native.vt_grad(Handle, out var g), "grad", this);
            return g == IntPtr.Zero ? null : new Tensor(g);
        }
    }

    /// <summary>Drops the accumulated gradient (like set_to_none=True).</summary>
    public void ZeroGrad() => CheckInPlace(Native.vt_zero_grad(Handle), "zero_grad", this);

    // ------------------------------------------------------------------------------------------------
    // In-place updates (no autograd): used by optimizers and initialisers

    /// <summary>this *= s</summary>
    public void MulInPlace(double s) => CheckInPlace(Native.vt_mul_scalar_(Handle, s), "mul_", this);

    /// <summary>this += alpha * other</summary>
    public void AddInPlace(Tensor other, double alpha = 1) => CheckInPlace(Native.vt_add_(Handle, other.Handle, alpha), "add_", this, other);

    /// <summary>this += value * a * b</summary>
    public void AddcmulInPlace(Tensor a, Tensor b, double value) =>
        CheckInPlace(Native.vt_addcmul_(Handle, a.Handle, b.Handle, value), "addcmul_", this, a, b);

    /// <summary>this += value * a / b</summary>
    public void AddcdivInPlace(Tensor a, Tensor b, double value) =>
        CheckInPlace(Native.vt_addcdiv_(Handle, a.Handle, b.Handle, value), "addcdiv_", this, a, b);

    /// <summary>this += weight * (end - this)</summary>
    public void LerpInPlace(Tensor end, double weight) => CheckInPlace(Native.vt_lerp_(Handle, end.Handle, weight), "lerp_", this, end);

    /// <summary>Sets every element to <paramref name="value"/>.</summary>
    public void FillInPlace(double value) => CheckInPlace(Native.vt_fill_(Handle, value), "fill_", this);

    /// <summary>Fills with normal samples.</summary>
    public void NormalInPlace(double mean, double std) => CheckInPlace(Native.vt_normal_(Handle, mean, std), "normal_", this);

    /// <summary>Fills with uniform samples in [from, to).</summary>
    public void UniformInPlace(double from, double to) => CheckInPlace(Native.vt_uniform_(Handle, from, to), "uniform_", this);

    // ------------------------------------------------------------------------------------------------
    // Arithmetic

    public static Tensor operator +(Tensor a, Tensor b) => Wrap(Native.vt_add(a.Handle, b.Handle, 1), "add", a, b);
    public static Tensor operator -(Tensor a, Tensor b) => Wrap(Native.vt_sub(a.Handle, b.Handle), "sub", a, b);
    public static Tensor operator *(Tensor a, Tensor b) => Wrap(Native.vt_mul(a.Handle, b.Handle), "mul", a, b);
    public static Tensor operator /(Tensor a, Tensor b) => Wrap(Native.vt_div(a.Handle, b.Handle), "div", a, b);
    public static Tensor operator +(Tensor a, double s) => Wrap(Native.vt_add_scalar(a.Handle, s), "add", a);
    public static Tensor operator +(double s, Tensor a) => a + s;
    public static Tensor operator -(Tensor a, double s) => Wrap(Native.vt_add_scalar(a.Handle, -s), "sub", a);
    public static Tensor operator -(double s, Tensor a) => Wrap(Native.vt_rsub_scalar(a.Handle, s), "rsub", a);
    public static Tensor operator *(Tensor a, double s) => Wrap(Native.vt_mul_scalar(a.Handle, s), "mul", a);
    public static Tensor operator *(double s, Tensor a) => a * s;
    public static Tensor operator /(Tensor a, double s) => Wrap(Native.vt_mul_scalar(a.Handle, 1.0 / s), "div", a);
    public static Tensor operator -(Tensor a) => a.Unary(UnaryOp.Neg);

    /// <summary>a + alpha·b in one op.</summary>
    public Tensor Add(Tensor other, double alpha) => Wrap(Native.vt_add(Handle, other.Handle, alpha), "add", this, other);

    /// <summary>Elementwise power.</summary>
    public Tensor Pow(double exponent) => Wrap(Native.vt_pow_scalar(Handle, exponent), "pow", this);

    /// <summary>Elementwise maximum.</summary>
    public Tensor Maximum(Tensor other) => Wrap(Native.vt_maximum(Handle, other.Handle), "maximum", this, other);

    /// <summary>Elementwise minimum.</summary>
    public Tensor Minimum(Tensor other) => Wrap(Native.vt_minimum(Handle, other.Handle), "minimum", this, other);

    /// <summary>Clamps into [lo, hi].</summary>
    public Tensor Clamp(double lo, double hi) => Wrap(Native.vt_clamp(Handle, lo, hi), "clamp", this);

    private enum UnaryOp
    {
        Neg, Exp, Log, Sqrt, Rsqrt, Tanh, Sin, Cos, Abs, Sigmoid, Relu, Silu, Gelu, GeluTanh, Erf, LogicalNot, IsFinite, Floor, Round,
    }

    private Tensor Unary(UnaryOp op) => Wrap(Native.vt_unary(Handle, (int)op), op.ToString().ToLowerInvariant(), this);

    public Tensor Exp() => Unary(UnaryOp.Exp);
    public Tensor Log() => Unary(UnaryOp.Log);
    public Tensor Sqrt() => Unary(UnaryOp.Sqrt);
    public Tensor Rsqrt() => Unary(UnaryOp.Rsqrt);
    public Tensor Tanh() => Unary(UnaryOp.Tanh);
    public Tensor Sin() => Unary(UnaryOp.Sin);
    public Tensor Cos() => Unary(UnaryOp.Cos);
    public Tensor Abs() => Unary(UnaryOp.Abs);
    public Tensor Sigmoid() => Unary(UnaryOp.Sigmoid);
    public Tensor Relu() => Unary(UnaryOp.Relu);
    /// <summary>x·sigmoid(x).</summary>
    public Tensor Silu() => Unary(UnaryOp.Silu);
    /// <summary>Exact GELU 0.5x(1+erf(x/√2)), or the tanh approximation.</summary>
    public Tensor Gelu(bool tanhApproximation = false) => Unary(tanhApproximation ? UnaryOp.GeluTanh : UnaryOp.Gelu);
    public Tensor Erf() => Unary(UnaryOp.Erf);
    public Tensor LogicalNot() => Unary(UnaryOp.LogicalNot);
    public Tensor IsFinite() => Unary(UnaryOp.IsFinite);
    public Tensor Floor() => Unary(UnaryOp.Floor);
    public Tensor Round() => Unary(UnaryOp.Round);

    // ------------------------------------------------------------------------------------------------
    // Comparison and selection

    private enum CompareOp { Eq, Ne, Lt, Le, Gt, Ge, And, Or }

    private Tensor Compare(Tensor other, CompareOp op) => Wrap(Native.vt_compare(Handle, other.Handle, (int)op), op.ToString().ToLowerInvariant(), this, other);
    private Tensor Compare(double s, CompareOp op) => Wrap(Native.vt_compare_scalar(Handle, s, (int)op), op.ToString().ToLowerInvariant(), this);

    public Tensor Eq(Tensor other) => Compare(other, CompareOp.Eq);
    public Tensor Ne(Tensor other) => Compare(other, CompareOp.Ne);
    public Tensor Lt(Tensor other) => Compare(other, CompareOp.Lt);
    public Tensor Le(Tensor other) => Compare(other, CompareOp.Le);
    public Tensor Gt(Tensor other) => Compare(other, CompareOp.Gt);
    public Tensor Ge(Tensor other) => Compare(other, CompareOp.Ge);
    public Tensor Eq(double s) => Compare(s, CompareOp.Eq);
    public Tensor Ne(double s) => Compare(s, CompareOp.Ne);
    public Tensor Lt(double s) => Compare(s, CompareOp.Lt);
    public Tensor Le(double s) => Compare(s, CompareOp.Le);
    public Tensor Gt(double s) => Compare(s, CompareOp.Gt);
    public Tensor Ge(double s) => Compare(s, CompareOp.Ge);
    public Tensor LogicalAnd(Tensor other) => Compare(other, CompareOp.And);
    public Tensor LogicalOr(Tensor other) => Compare(other, CompareOp.Or);

    /// <summary>Elementwise <paramref name="condition"/> ? a : b.</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b) => Wrap(Native.vt_where(condition.Handle, a.Handle, b.Handle), "where", condition, a, b);

    /// <summary>Replaces elements where <paramref name="mask"/> is true.</summary>
    public Tensor MaskedFill(Tensor mask, double value) => Wrap(Native.vt_masked_fill(Handle, mask.Handle, value), "masked_fill", this, mask);

    // ------------------------------------------------------------------------------------------------
    // Reductions

    /// <summary>Sum over <paramref name="dims"/> (all when empty), optionally accumulating in <paramref name="dtype"/>.</summary>
    public Tensor Sum(long[]? dims = null, bool keepDim = false, DType? dtype = null)
    {
        dims ??= Array.Empty<long>();
        fixed (long* d = dims) return Wrap(Native.vt_sum(Handle, d, dims.Length, keepDim ? 1 : 0, dtype.HasValue ? (int)dtype.Value : -1), "sum", this);
    }

    /// <summary>Sum over one dimension.</summary>
    public Tensor Sum(long dim, bool keepDim = false) => Sum(new[] { dim }, keepDim);

    /// <summary>Mean over <paramref name="dims"/> (all when empty).</summary>
    public Tensor Mean(long[]? dims = null, bool keepDim = false)
    {
        dims ??= Array.Empty<long>();
        fixed (long* d = dims) return Wrap(Native.vt_mean(Handle, d, dims.Length, keepDim ? 1 : 0), "mean", this);
    }

    /// <summary>Mean over one dimension.</summary>
    public Tensor Mean(long dim, bool keepDim = false) => Mean(new[] { dim }, keepDim);

    public Tensor Amax(long dim, bool keepDim = false) => Wrap(Native.vt_amax(Handle, dim, keepDim ? 1 : 0), "amax", this);
    /// <summary>Index of the maximum (the first on ties).</summary>
    public Tensor ArgMax(long dim, bool keepDim = false) => Wrap(Native.vt_argmax(Handle, dim, keepDim ? 1 : 0), "argmax", this);
    public Tensor LogSumExp(long dim, bool keepDim = false) => Wrap(Native.vt_logsumexp(Handle, dim, keepDim ? 1 : 0), "logsumexp", this);
    public Tensor CumSum(long dim) => Wrap(Native.vt_cumsum(Handle, dim), "cumsum", this);
    /// <summary>The p-norm of all elements.</summary>
    public Tensor Norm(double p = 2) => Wrap(Native.vt_norm(Handle, p), "norm", this);

    /// <summary>The k largest (or smallest) values and their indices, sorted.</summary>
    public (Tensor Values, Tensor Indices) TopK(long k, long dim = -1, bool largest = true)
    {
        if (Native.vt_topk(Handle, k, dim, largest ? 1 : 0, out var v, out var i) != 0) throw TorchException.For("topk", this);
        return (new Tensor(v), new Tensor(i));
    }

    /// <summary>Stable sort along a dimension.</summary>
    public (Tensor Values, Tensor Indices) Sort(long dim = -1, bool descending = false)
    {
        if (Native.vt_sort(Handle, dim, descending ? 1 : 0, out var v, out var i) != 0) throw TorchException.For("sort", this);
        return (new Tensor(v), new Tensor(i));
    }

    /// <summary>Samples indices from the rows of a probability tensor with libtorch's generator.</summary>
    public Tensor Multinomial(long samples, bool replacement = false) =>
        Wrap(Native.vt_multinomial(Handle, samples, replacement ? 1 : 0), "multinomial", this);

    // ------------------------------------------------------------------------------------------------
    // Linear algebra and nn helpers

    /// <summary>Matrix product with broadcasting (torch.matmul).</summary>
    public Tensor MatMul(Tensor other) => Wrap(Native.vt_matmul(Handle, other.Handle), "matmul", this, other);

    /// <summary>Batched matrix product of 3-D tensors.</summary>
    public Tensor Bmm(Tensor other) => Wrap(Native.vt_bmm(Handle, other.Handle), "bmm", this, other);

    /// <summary>Softmax along <paramref name="dim"/>, optionally computed in <paramref name="dtype"/>.</summary>
    public Tensor Softmax(long dim, DType? dtype = null) => Wrap(Native.vt_softmax(Handle, dim, dtype.HasValue ? (int)dtype.Value : -1), "softmax", this);

    /// <summary>Log-softmax along <paramref name="dim"/>, optionally computed in <paramref name="dtype"/>.</summary>
    public Tensor LogSoftmax(long dim, DType? dtype = null) => Wrap(Native.vt_log_softmax(Handle, dim, dtype.HasValue ? (int)dtype.Value : -1), "log_softmax", this);

    // ------------------------------------------------------------------------------------------------
    // Shape

    public Tensor Reshape(params long[] shape) { fixed (long* s = shape) return Wrap(Native.vt_reshape(Handle, s, shape.Length), "reshape", this); }
    public Tensor Permute(params long[] order) { fixed (long* s = order) return Wrap(Native.vt_permute(Handle, s, order.Length), "permute", this); }
    public Tensor Expand(params long[] shape) { fixed (long* s = shape) return Wrap(Native.vt_expand(Handle, s, shape.Length), "expand", this); }
    public Tensor Repeat(params long[] reps) { fixed (long* s = reps) return Wrap(Native.vt_repeat(Handle, s, reps.Length), "repeat", this); }
    public Tensor Transpose(long d0, long d1) => Wrap(Native.vt_transpose(Handle, d0, d1), "transpose", this);
    public Tensor Unsqueeze(long dim) => Wrap(Native.vt_unsqueeze(Handle, dim), "unsqueeze", this);
    public Tensor Squeeze(long dim) => Wrap(Native.vt_squeeze(Handle, dim), "squeeze", this);
    /// <summary>A view of <paramref name="length"/> entries of <paramref name="dim"/> from <paramref name="start"/>.</summary>
    public Tensor Narrow(long dim, long start, long length) => Wrap(Native.vt_narrow(Handle, dim, start, length), "narrow", this);
    /// <summary>Index <paramref name="index"/> of <paramref name="dim"/>, removing that dimension.</summary>
    public Tensor Select(long dim, long index) => Wrap(Native.vt_select(Handle, dim, index), "select", this);
    public Tensor RepeatInterleave(long repeats, long dim) => Wrap(Native.vt_repeat_interleave(Handle, repeats, dim), "repeat_interleave", this);
    public Tensor IndexSelect(long dim, Tensor index) => Wrap(Native.vt_index_select(Handle, dim, index.Handle), "index_select", this, index);
    public Tensor Gather(long dim, Tensor index) => Wrap(Native.vt_gather(Handle, dim, index.Handle), "gather", this, index);
    /// <summary>Upper triangle (elements below the <paramref name="diagonal"/> zeroed).</summary>
    public Tensor Triu(long diagonal = 0) => Wrap(Native.vt_triu(Handle, diagonal), "triu", this);

    /// <summary>Concatenates along an existing dimension.</summary>
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, long dim)
    {
        var handles = stackalloc IntPtr[tensors.Count];
        for (int i = 0; i < tensors.Count; i++) handles[i] = tensors[i].Handle;
        return Wrap(Native.vt_cat(handles, tensors.Count, dim), "cat", tensors.ToArray());
    }

    /// <summary>Stacks along a new dimension.</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, long dim)
    {
        var handles = stackalloc IntPtr[tensors.Count];
        for (int i = 0; i < tensors.Count; i++) handles[i] = tensors[i].Handle;
        return Wrap(Native.vt_stack(handles, tensors.Count, dim), "stack", tensors.ToArray());
    }
}

public sealed unsafe partial class Tensor
{
    /// <summary>Copies <paramref name="nbytes"/> raw bytes at <paramref name="data"/> into a new tensor.</summary>
    internal static Tensor FromPointer(byte* data, long nbytes, DType dtype, long[] shape, Device device)
    {
        if (Product(shape) * dtype.ElementSize() != nbytes)
            throw new ArgumentException($"{nbytes} bytes do not fill {dtype.Name()}[{string.Join(", ", shape)}].");
        Torch.EnsureInitialized();
        fixed (long* s = shape)
            return Wrap(Native.vt_from_data(data, s, shape.Length, (int)dtype, (int)device.Type, device.Index), "from_data");
    }

    /// <summary>The raw little-endian bytes of the elements (row-major), whatever the type.</summary>
    public byte[] ToBytes()
    {
        var result = new byte[NumEl * DType.ElementSize()];
        fixed (byte* p = result)
            Torch.Check(Native.vt_copy_to_host(Handle, p, result.Length), "copy_to_host");
        return result;
    }
}
