using System.Runtime.InteropServices;

namespace Microsoft.ML.VideoCaptioning.Engine;

/// <summary>Owns one native at::Tensor*; the finalizer frees it if <see cref="Tensor.Dispose"/> was never called.</summary>
internal sealed class TensorHandle : SafeHandle
{
    public TensorHandle(IntPtr handle) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(handle);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        Native.vt_free(handle);
        return true;
    }
}
