namespace Microsoft.ML.VideoCaptioning.Engine;

/// <summary>Copying elements back to managed memory.</summary>
public sealed unsafe partial class Tensor
{
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

    /// <summary>The raw little-endian bytes of the elements (row-major), whatever the type.</summary>
    public byte[] ToBytes()
    {
        var result = new byte[NumEl * DType.ElementSize()];
        fixed (byte* p = result)
            Torch.Check(Native.vt_copy_to_host(Handle, p, result.Length), "copy_to_host");
        return result;
    }
}
