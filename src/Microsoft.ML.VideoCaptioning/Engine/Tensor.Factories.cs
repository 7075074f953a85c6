namespace Microsoft.ML.VideoCaptioning.Engine;

/// <summary>Creating tensors: from managed data or raw bytes, and filled or random ones.</summary>
public sealed unsafe partial class Tensor
{
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

    /// <summary>Copies <paramref name="nbytes"/> raw bytes at <paramref name="data"/> into a new tensor.</summary>
    internal static Tensor FromPointer(byte* data, long nbytes, DType dtype, long[] shape, Device device)
    {
        if (Product(shape) * dtype.ElementSize() != nbytes)
            throw new ArgumentException($"{nbytes} bytes do not fill {dtype.Name()}[{string.Join(", ", shape)}].");
        Torch.EnsureInitialized();
        fixed (long* s = shape)
            return Wrap(Native.vt_from_data(data, s, shape.Length, (int)dtype, (int)device.Type, device.Index), "from_data");
    }
}
