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
}
