namespace Microsoft.ML.VideoCaptioning.Engine;

/// <summary>Gradients: backward passes and the accumulated gradient.</summary>
public sealed unsafe partial class Tensor
{
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
}
