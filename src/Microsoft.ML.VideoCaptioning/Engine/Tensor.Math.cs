namespace Microsoft.ML.VideoCaptioning.Engine;

/// <summary>Elementwise arithmetic and functions, comparisons, reductions and matrix products.</summary>
public sealed unsafe partial class Tensor
{
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
    public static Tensor operator -(Tensor a) => Wrap(Native.vt_neg(a.Handle), "neg", a);

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

    public Tensor Exp() => Wrap(Native.vt_exp(Handle), "exp", this);
    public Tensor Log() => Wrap(Native.vt_log(Handle), "log", this);
    public Tensor Sqrt() => Wrap(Native.vt_sqrt(Handle), "sqrt", this);
    public Tensor Rsqrt() => Wrap(Native.vt_rsqrt(Handle), "rsqrt", this);
    public Tensor Tanh() => Wrap(Native.vt_tanh(Handle), "tanh", this);
    public Tensor Sin() => Wrap(Native.vt_sin(Handle), "sin", this);
    public Tensor Cos() => Wrap(Native.vt_cos(Handle), "cos", this);
    public Tensor Abs() => Wrap(Native.vt_abs(Handle), "abs", this);
    public Tensor Sigmoid() => Wrap(Native.vt_sigmoid(Handle), "sigmoid", this);
    public Tensor Relu() => Wrap(Native.vt_relu(Handle), "relu", this);
    /// <summary>x·sigmoid(x).</summary>
    public Tensor Silu() => Wrap(Native.vt_silu(Handle), "silu", this);
    /// <summary>Exact GELU 0.5x(1+erf(x/√2)), or the tanh approximation.</summary>
    public Tensor Gelu(bool tanhApproximation = false) =>
        tanhApproximation ? Wrap(Native.vt_gelu_tanh(Handle), "gelu_tanh", this) : Wrap(Native.vt_gelu(Handle), "gelu", this);
    public Tensor Erf() => Wrap(Native.vt_erf(Handle), "erf", this);
    public Tensor LogicalNot() => Wrap(Native.vt_logical_not(Handle), "logical_not", this);
    public Tensor IsFinite() => Wrap(Native.vt_isfinite(Handle), "isfinite", this);
    public Tensor Floor() => Wrap(Native.vt_floor(Handle), "floor", this);
    public Tensor Round() => Wrap(Native.vt_round(Handle), "round", this);

    // Comparison and selection

    public Tensor Eq(Tensor other) => Wrap(Native.vt_eq(Handle, other.Handle), "eq", this, other);
    public Tensor Ne(Tensor other) => Wrap(Native.vt_ne(Handle, other.Handle), "ne", this, other);
    public Tensor Lt(Tensor other) => Wrap(Native.vt_lt(Handle, other.Handle), "lt", this, other);
    public Tensor Le(Tensor other) => Wrap(Native.vt_le(Handle, other.Handle), "le", this, other);
    public Tensor Gt(Tensor other) => Wrap(Native.vt_gt(Handle, other.Handle), "gt", this, other);
    public Tensor Ge(Tensor other) => Wrap(Native.vt_ge(Handle, other.Handle), "ge", this, other);
    public Tensor Eq(double s) => Wrap(Native.vt_eq_scalar(Handle, s), "eq", this);
    public Tensor Ne(double s) => Wrap(Native.vt_ne_scalar(Handle, s), "ne", this);
    public Tensor Lt(double s) => Wrap(Native.vt_lt_scalar(Handle, s), "lt", this);
    public Tensor Le(double s) => Wrap(Native.vt_le_scalar(Handle, s), "le", this);
    public Tensor Gt(double s) => Wrap(Native.vt_gt_scalar(Handle, s), "gt", this);
    public Tensor Ge(double s) => Wrap(Native.vt_ge_scalar(Handle, s), "ge", this);
    public Tensor LogicalAnd(Tensor other) => Wrap(Native.vt_logical_and(Handle, other.Handle), "logical_and", this, other);
    public Tensor LogicalOr(Tensor other) => Wrap(Native.vt_logical_or(Handle, other.Handle), "logical_or", this, other);

    /// <summary>Elementwise <paramref name="condition"/> ? a : b.</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b) => Wrap(Native.vt_where(condition.Handle, a.Handle, b.Handle), "where", condition, a, b);

    /// <summary>Replaces elements where <paramref name="mask"/> is true.</summary>
    public Tensor MaskedFill(Tensor mask, double value) => Wrap(Native.vt_masked_fill(Handle, mask.Handle, value), "masked_fill", this, mask);

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

    // Linear algebra and nn helpers

    /// <summary>Matrix product with broadcasting (torch.matmul).</summary>
    public Tensor MatMul(Tensor other) => Wrap(Native.vt_matmul(Handle, other.Handle), "matmul", this, other);

    /// <summary>Batched matrix product of 3-D tensors.</summary>
    public Tensor Bmm(Tensor other) => Wrap(Native.vt_bmm(Handle, other.Handle), "bmm", this, other);

    /// <summary>Softmax along <paramref name="dim"/>, optionally computed in <paramref name="dtype"/>.</summary>
    public Tensor Softmax(long dim, DType? dtype = null) => Wrap(Native.vt_softmax(Handle, dim, dtype.HasValue ? (int)dtype.Value : -1), "softmax", this);

    /// <summary>Log-softmax along <paramref name="dim"/>, optionally computed in <paramref name="dtype"/>.</summary>
    public Tensor LogSoftmax(long dim, DType? dtype = null) => Wrap(Native.vt_log_softmax(Handle, dim, dtype.HasValue ? (int)dtype.Value : -1), "log_softmax", this);
}
