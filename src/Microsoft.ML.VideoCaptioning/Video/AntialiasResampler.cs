using System.Buffers;
using System.Collections.Concurrent;
using System.Numerics;

namespace Microsoft.ML.VideoCaptioning.Video;

/// <summary>
/// Separable antialiased bilinear resize of interleaved RGB images, numerically following PyTorch's CPU
/// <c>_upsample_bilinear2d_aa</c> (what torchvision's <c>resize(..., antialias=True)</c> calls): the horizontal pass
/// runs first into an intermediate image, then the vertical pass; an axis whose size does not change is not
/// resampled at all. Only a rectangular region of the resized image is computed (the center crop), which gives
/// exactly the same values as resizing everything and cropping afterwards, since every output pixel only
/// depends on its own taps.
/// </summary>
internal static class AntialiasResampler
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
    /// <param name="region">Region of the resized image to produce: first row, first column, rows, columns.</param>
    /// <param name="destination">Receives the region, interleaved RGB (rows × columns × 3).</param>
    public static void ResizeRegion(byte[] source, (int Height, int Width) size, (int Height, int Width) resized, PixelRegion region, byte[] destination)
    {
        var horizontal = resized.Width != size.Width ? Int16Kernels.GetOrAdd((size.Width, resized.Width), k => ResampleKernel.CreateInt16(k.In, k.Out)) : null;
        var vertical = resized.Height != size.Height ? Int16Kernels.GetOrAdd((size.Height, resized.Height), k => ResampleKernel.CreateInt16(k.In, k.Out)) : null;
        var rows = vertical?.InputRange(region.Top, region.Height) ?? (region.Top, region.Top + region.Height);
        if (horizontal is null)
        {
            var stage = new Stage<byte>(source, 0, size.Width * Channels, region.Left);
            VerticalInt16(stage, vertical, region, destination);
            return;
        }
        int stride = region.Width * Channels;
        byte[] buffer = ArrayPool<byte>.Shared.Rent((rows.Item2 - rows.Item1) * stride);
        try
        {
            HorizontalInt16(source, size.Width, horizontal, rows, region, buffer);
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
                HorizontalFloat(source, size.Width, horizontal, rows, region, buffer);
            }
            VerticalFloat(new Stage<float>(buffer, rows.Item1, stride, horizontal is null ? region.Left : 0), vertical, region, destination);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    private static void HorizontalInt16(byte[] source, int width, ResampleKernel kernel, (int Start, int End) rows, PixelRegion region, byte[] buffer)
    {
        int stride = region.Width * Channels;
        RunRows(rows.End - rows.Start, (long)region.Width * kernel.Taps * Channels, (first, last) =>
        {
            short[] weights = kernel.Int16Weights;
            int shift = kernel.Precision, half = 1 << (shift - 1);
            for (int rr = first; rr < last; rr++)
            {
                int srcRow = (rows.Start + rr) * width * Channels;
                for (int c = 0, dst = rr * stride; c < region.Width; c++, dst += Channels)
                {
                    int x = region.Left + c, count = kernel.Count[x], wRow = x * kernel.Taps;
                    int p = srcRow + kernel.Start[x] * Channels;
                    int r = half, g = half, b = half;
                    for (int j = 0; j < count; j++, p += Channels)
                    {
                        int w = weights[wRow + j];
                        r += source[p] * w;
                        g += source[p + 1] * w;
                        b += source[p + 2] * w;
                    }
                    buffer[dst] = ClampToByte(r >> shift);
                    buffer[dst + 1] = ClampToByte(g >> shift);
                    buffer[dst + 2] = ClampToByte(b >> shift);
                }
            }
        });
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
        RunRows(region.Height, (long)region.Width * kernel.Taps * Channels, (first, last) =>
        {
            short[] weights = kernel.Int16Weights;
            int shift = kernel.Precision, half = 1 << (shift - 1);
            byte[] data = stage.Data;
            for (int rr = first; rr < last; rr++)
            {
                int y = region.Top + rr, count = kernel.Count[y], wRow = y * kernel.Taps;
                int firstRow = stage.Offset(kernel.Start[y]);
                for (int e = 0, dst = rr * outStride; e < outStride; e++)
                {
                    int acc = half;
                    for (int j = 0, p = firstRow + e; j < count; j++, p += stage.Stride)
                        acc += data[p] * weights[wRow + j];
                    destination[dst + e] = ClampToByte(acc >> shift);
                }
            }
        });
    }

    private static void HorizontalFloat<T>(T[] source, int width, ResampleKernel kernel, (int Start, int End) rows, PixelRegion region, float[] buffer)
        where T : unmanaged, INumberBase<T>
    {
        int stride = region.Width * Channels;
        RunRows(rows.End - rows.Start, (long)region.Width * kernel.Taps * Channels, (first, last) =>
        {
            float[] weights = kernel.FloatWeights;
            for (int rr = first; rr < last; rr++)
            {
                int srcRow = (rows.Start + rr) * width * Channels;
                for (int c = 0, dst = rr * stride; c < region.Width; c++, dst += Channels)
                {
                    int x = region.Left + c, count = kernel.Count[x], wRow = x * kernel.Taps;
                    int p = srcRow + kernel.Start[x] * Channels;
                    float r = 0f, g = 0f, b = 0f;
                    for (int j = 0; j < count; j++, p += Channels)
                    {
                        float w = weights[wRow + j];
                        r += float.CreateTruncating(source[p]) * w;
                        g += float.CreateTruncating(source[p + 1]) * w;
                        b += float.CreateTruncating(source[p + 2]) * w;
                    }
                    buffer[dst] = r;
                    buffer[dst + 1] = g;
                    buffer[dst + 2] = b;
                }
            }
        });
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
        RunRows(region.Height, (long)region.Width * kernel.Taps * Channels, (first, last) =>
        {
            float[] weights = kernel.FloatWeights;
            float[] data = stage.Data;
            for (int rr = first; rr < last; rr++)
            {
                int y = region.Top + rr, count = kernel.Count[y], wRow = y * kernel.Taps;
                int firstRow = stage.Offset(kernel.Start[y]);
                for (int e = 0, dst = rr * outStride; e < outStride; e++)
                {
                    float acc = 0f;
                    for (int j = 0, p = firstRow + e; j < count; j++, p += stage.Stride)
                        acc += data[p] * weights[wRow + j];
                    destination[dst + e] = acc;
                }
            }
        });
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
