using System.Buffers;
using System.Collections.Concurrent;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Microsoft.ML.VideoCaptioning.Video;

/// <summary>
/// Separable antialiased bilinear resize of interleaved RGB images, numerically following PyTorch's CPU
/// <c>_upsample_bilinear2d_aa</c> (what torchvision's <c>resize(..., antialias=True)</c> calls): the horizontal pass
/// runs first into an intermediate image, then the vertical pass; an axis whose size does not change is not
/// resampled at all. Only a rectangular region of the resized image is computed (the center crop), which gives
/// exactly the same values as resizing everything and cropping afterwards, since every output pixel only
/// depends on its own taps. Rows are processed in parallel when an image is large enough.
/// </summary>
internal static unsafe class AntialiasResampler
{
    private const int Channels = 3;

    // Below this many multiply-adds a pass runs on the calling thread.
    private const long ParallelThreshold = 1L << 18;

    private static readonly ConcurrentDictionary<(int In, int Out), ResampleKernel> FloatKernels = new();
    private static readonly ConcurrentDictionary<(int In, int Out), ResampleKernel> Int16Kernels = new();

    /// <summary>
    /// uint8 path (PyTorch's uint8 kernel): int16 fixed-point weights; each pass computes
    /// <c>clamp((2^(prec−1) + Σ p·w) &gt;&gt; prec, 0, 255)</c>, so the intermediate image is uint8 as well.
    /// </summary>
    /// <param name="source">Interleaved RGB, <paramref name="size"/>.Height × Width × 3.</param>
    /// <param name="size">Source height and width.</param>
    /// <param name="resized">Height and width of the (virtual) resized image.</param>
    /// <param name="region">Region of the resized image to produce.</param>
    /// <param name="destination">Receives the region, interleaved RGB (rows × columns × 3).</param>
    public static void ResizeRegion(byte[] source, (int Height, int Width) size, (int Height, int Width) resized, PixelRegion region, byte[] destination)
    {
        var horizontal = resized.Width != size.Width ? Int16Kernels.GetOrAdd((size.Width, resized.Width), k => ResampleKernel.CreateInt16(k.In, k.Out)) : null;
        var vertical = resized.Height != size.Height ? Int16Kernels.GetOrAdd((size.Height, resized.Height), k => ResampleKernel.CreateInt16(k.In, k.Out)) : null;
        var rows = vertical?.InputRange(region.Top, region.Height) ?? (region.Top, region.Top + region.Height);
        if (horizontal is null)
        {
            VerticalInt16(new Stage<byte>(source, 0, size.Width * Channels, region.Left), vertical, region, destination);
            return;
        }
        int stride = region.Width * Channels;
        byte[] buffer = ArrayPool<byte>.Shared.Rent((rows.Item2 - rows.Item1) * stride);
        try
        {
            RunRows(rows.Item2 - rows.Item1, (long)stride * horizontal.Taps,
                (first, last) => HorizontalInt16(source, size.Width, horizontal, rows.Item1, region, buffer, first, last));
            VerticalInt16(new Stage<byte>(buffer, rows.Item1, stride, 0), vertical, region, destination);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Float path (PyTorch's float32 kernel): float32 weights, float32 accumulation in tap order, no rounding.
    /// Same arguments as the uint8 overload; <typeparamref name="T"/> is the source sample type.
    /// </summary>
    public static void ResizeRegion<T>(T[] source, (int Height, int Width) size, (int Height, int Width) resized, PixelRegion region, float[] destination)
        where T : unmanaged, INumberBase<T>
    {
        var horizontal = resized.Width != size.Width ? FloatKernels.GetOrAdd((size.Width, resized.Width), k => ResampleKernel.CreateFloat(k.In, k.Out)) : null;
        var vertical = resized.Height != size.Height ? FloatKernels.GetOrAdd((size.Height, resized.Height), k => ResampleKernel.CreateFloat(k.In, k.Out)) : null;
        var rows = vertical?.InputRange(region.Top, region.Height) ?? (region.Top, region.Top + region.Height);
        int stride = horizontal is null ? size.Width * Channels : region.Width * Channels;
        float[] buffer = ArrayPool<float>.Shared.Rent((rows.Item2 - rows.Item1) * stride);
        try
        {
            if (horizontal is null)
            {
                for (int k = 0, offset = rows.Item1 * stride; k < (rows.Item2 - rows.Item1) * stride; k++)
                    buffer[k] = float.CreateTruncating(source[offset + k]);
            }
            else
            {
                RunRows(rows.Item2 - rows.Item1, (long)stride * horizontal.Taps,
                    (first, last) => HorizontalFloat(source, size.Width, horizontal, rows.Item1, region, buffer, first, last));
            }
            VerticalFloat(new Stage<float>(buffer, rows.Item1, stride, horizontal is null ? region.Left : 0), vertical, region, destination);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    private static void VerticalInt16(Stage<byte> stage, ResampleKernel? kernel, PixelRegion region, byte[] destination)
    {
        int outStride = region.Width * Channels;
        if (kernel is null)
        {
            for (int rr = 0; rr < region.Height; rr++)
                Array.Copy(stage.Data, stage.Offset(region.Top + rr), destination, rr * outStride, outStride);
            return;
        }
        RunRows(region.Height, (long)outStride * kernel.Taps, (first, last) => VerticalInt16(stage, kernel, region, destination, first, last));
    }

    private static void VerticalFloat(Stage<float> stage, ResampleKernel? kernel, PixelRegion region, float[] destination)
    {
        int outStride = region.Width * Channels;
        if (kernel is null)
        {
            for (int rr = 0; rr < region.Height; rr++)
                Array.Copy(stage.Data, stage.Offset(region.Top + rr), destination, rr * outStride, outStride);
            return;
        }
        RunRows(region.Height, (long)outStride * kernel.Taps, (first, last) => VerticalFloat(stage, kernel, region, destination, first, last));
    }

    // Rows [first, last) of the horizontal pass: buffer row rr is source row rowStart + rr, region columns only.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void HorizontalInt16(byte[] source, int width, ResampleKernel kernel, int rowStart, PixelRegion region, byte[] buffer, int first, int last)
    {
        int shift = kernel.Precision, half = 1 << (shift - 1), taps = kernel.Taps, stride = region.Width * Channels;
        fixed (byte* src = source, dst = buffer)
        fixed (short* weights = kernel.Int16Weights)
        fixed (int* starts = kernel.Start, counts = kernel.Count)
        {
            for (int rr = first; rr < last; rr++)
            {
                byte* srcRow = src + (long)(rowStart + rr) * width * Channels;
                byte* o = dst + (long)rr * stride;
                for (int x = region.Left; x < region.Left + region.Width; x++, o += Channels)
                {
                    byte* p = srcRow + starts[x] * Channels;
                    short* w = weights + x * taps;
                    int r = half, g = half, b = half;
                    for (int j = 0, count = counts[x]; j < count; j++, p += Channels)
                    {
                        r += p[0] * w[j];
                        g += p[1] * w[j];
                        b += p[2] * w[j];
                    }
                    o[0] = ClampToByte(r >> shift);
                    o[1] = ClampToByte(g >> shift);
                    o[2] = ClampToByte(b >> shift);
                }
            }
        }
    }

    // Output rows [first, last) of the vertical pass, accumulated row by row (same per-element tap order).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void VerticalInt16(Stage<byte> stage, ResampleKernel kernel, PixelRegion region, byte[] destination, int first, int last)
    {
        int shift = kernel.Precision, half = 1 << (shift - 1), taps = kernel.Taps, outStride = region.Width * Channels;
        int[] accumulators = ArrayPool<int>.Shared.Rent(outStride);
        try
        {
            fixed (byte* src = stage.Data, dst = destination)
            fixed (short* weights = kernel.Int16Weights)
            fixed (int* acc = accumulators)
            {
                for (int rr = first; rr < last; rr++)
                {
                    int y = region.Top + rr;
                    new Span<int>(acc, outStride).Fill(half);
                    for (int j = 0; j < kernel.Count[y]; j++)
                    {
                        byte* row = src + stage.Offset(kernel.Start[y] + j);
                        int w = weights[y * taps + j];
                        for (int e = 0; e < outStride; e++)
                            acc[e] += row[e] * w;
                    }
                    byte* o = dst + (long)rr * outStride;
                    for (int e = 0; e < outStride; e++)
                        o[e] = ClampToByte(acc[e] >> shift);
                }
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(accumulators);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void HorizontalFloat<T>(T[] source, int width, ResampleKernel kernel, int rowStart, PixelRegion region, float[] buffer, int first, int last)
        where T : unmanaged, INumberBase<T>
    {
        int taps = kernel.Taps, stride = region.Width * Channels;
        fixed (T* src = source)
        fixed (float* dst = buffer, weights = kernel.FloatWeights)
        fixed (int* starts = kernel.Start, counts = kernel.Count)
        {
            for (int rr = first; rr < last; rr++)
            {
                T* srcRow = src + (long)(rowStart + rr) * width * Channels;
                float* o = dst + (long)rr * stride;
                for (int x = region.Left; x < region.Left + region.Width; x++, o += Channels)
                {
                    T* p = srcRow + starts[x] * Channels;
                    float* w = weights + x * taps;
                    float r = 0f, g = 0f, b = 0f;
                    for (int j = 0, count = counts[x]; j < count; j++, p += Channels)
                    {
                        r += float.CreateTruncating(p[0]) * w[j];
                        g += float.CreateTruncating(p[1]) * w[j];
                        b += float.CreateTruncating(p[2]) * w[j];
                    }
                    o[0] = r;
                    o[1] = g;
                    o[2] = b;
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void VerticalFloat(Stage<float> stage, ResampleKernel kernel, PixelRegion region, float[] destination, int first, int last)
    {
        int taps = kernel.Taps, outStride = region.Width * Channels;
        fixed (float* src = stage.Data, dst = destination, weights = kernel.FloatWeights)
        {
            for (int rr = first; rr < last; rr++)
            {
                int y = region.Top + rr;
                float* o = dst + (long)rr * outStride;
                new Span<float>(o, outStride).Clear();
                for (int j = 0; j < kernel.Count[y]; j++)
                {
                    float* row = src + stage.Offset(kernel.Start[y] + j);
                    float w = weights[y * taps + j];
                    for (int e = 0; e < outStride; e++)
                        o[e] += row[e] * w;
                }
            }
        }
    }

    private static byte ClampToByte(int value) => (byte)Math.Clamp(value, 0, 255);

    // Runs body over [0, rows) in contiguous chunks, in parallel when the pass is large enough to pay for it.
    private static void RunRows(int rows, long workPerRow, Action<int, int> body)
    {
        if (rows * workPerRow < ParallelThreshold || Environment.ProcessorCount == 1)
        {
            body(0, rows);
            return;
        }
        int chunk = Math.Max(1, rows / (Environment.ProcessorCount * 4));
        Parallel.ForEach(Partitioner.Create(0, rows, chunk), range => body(range.Item1, range.Item2));
    }

    /// <summary>
    /// The image between the two passes: row <c>r</c> (in source-row coordinates) starts at
    /// <c>(r − Row0)·Stride</c>, and region column 0 is pixel <c>Column0</c> of that row.
    /// </summary>
    private readonly record struct Stage<T>(T[] Data, int Row0, int Stride, int Column0)
    {
        public int Offset(int row) => (row - Row0) * Stride + Column0 * Channels;
    }
}
