using System.Runtime.InteropServices;

namespace Microsoft.ML.VideoCaptioning.Engine;

/// <summary>Owns one native at::Tensor*; the finalizer frees it if <see cref="Tensor.Dispose"/> was never called.</summary>
internal sealed class TensorHandle : SafeHandle
{
    private long _pressure;

    public TensorHandle(IntPtr handle) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(handle);

    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>Tells the GC about <paramref name="bytes"/> of native memory kept alive by this handle (released with it).</summary>
    public void AddMemoryPressure(long bytes)
    {
        if (bytes <= 0 || Interlocked.CompareExchange(ref _pressure, bytes, 0) != 0) return;
        GC.AddMemoryPressure(bytes);
    }

    protected override bool ReleaseHandle()
    {
        Native.vt_free(handle);
        if (_pressure > 0) GC.RemoveMemoryPressure(_pressure);
        return true;
    }
}
