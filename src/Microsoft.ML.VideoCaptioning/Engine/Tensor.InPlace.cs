namespace Microsoft.ML.VideoCaptioning.Engine;

/// <summary>In-place updates without autograd, used by optimizers and initialisers.</summary>
public sealed unsafe partial class Tensor
{
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
}
