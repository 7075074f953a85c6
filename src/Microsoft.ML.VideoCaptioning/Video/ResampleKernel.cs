namespace Microsoft.ML.VideoCaptioning.Video;

/// <summary>
/// Per-output-pixel taps of PyTorch's antialiased bilinear resampling along one axis
/// (<c>_upsample_bilinear2d_aa</c>, <c>align_corners=False</c>, no explicit scale factor).
/// </summary>
/// <remarks>
/// Mirrors <c>HelperInterpBase::_compute_indices_min_size_weights_aa</c> in PyTorch's
/// <c>aten/src/ATen/native/cpu/UpSampleKernel.cpp</c>: a triangle filter whose support is scaled by the
/// downscale factor (<c>support = scale</c> when downscaling, 1 when upscaling, which is plain bilinear),
/// <c>center = scale·(i + 0.5)</c>, taps <c>[xmin, xmin + xsize)</c> with
/// <c>xmin = max(trunc(center − support + 0.5), 0)</c>, <c>xsize = min(trunc(center + support + 0.5), in) − xmin</c>,
/// weights <c>tri((j + xmin − center + 0.5)·invscale)</c> normalised to sum 1.
/// Float tensors compute this in float32 (<see cref="CreateFloat"/>); uint8 tensors compute it in float64 and
/// quantise the weights to int16 fixed point (<see cref="CreateInt16"/>, PyTorch's
/// <c>_compute_index_ranges_int16_weights</c>).
/// </remarks>
internal sealed class ResampleKernel
{
    private ResampleKernel(int inSize, int outSize, int taps)
    {
        InSize = inSize;
        OutSize = outSize;
        Taps = taps;
        Start = new int[outSize];
        Count = new int[outSize];
    }

    /// <summary>Input length along the axis.</summary>
    public int InSize { get; }

    /// <summary>Output length along the axis.</summary>
    public int OutSize { get; }

    /// <summary>Stride of the weight table (PyTorch's <c>max_interp_size</c>).</summary>
    public int Taps { get; }

    /// <summary>First input index of each output pixel.</summary>
    public int[] Start { get; }

    /// <summary>Number of input pixels of each output pixel.</summary>
    public int[] Count { get; }

    /// <summary>float32 weights, <c>OutSize × Taps</c> (float kernels only).</summary>
    public float[] FloatWeights { get; private init; } = [];

    /// <summary>int16 fixed-point weights, <c>OutSize × Taps</c> (uint8 kernels only).</summary>
    public short[] Int16Weights { get; private init; } = [];

    /// <summary>Number of fractional bits of <see cref="Int16Weights"/>.</summary>
    public int Precision { get; private init; }

    /// <summary>Weights as PyTorch computes them for float32 tensors (all arithmetic in float32 where PyTorch uses it).</summary>
    public static ResampleKernel CreateFloat(int inSize, int outSize)
    {
        float scale = (float)inSize / outSize;
        float support = scale >= 1.0f ? scale : 1.0f;
        int taps = (int)MathF.Ceiling(support) * 2 + 1;
        float invScale = scale >= 1.0f ? (float)(1.0 / scale) : 1.0f;
        var weights = new float[outSize * taps];
        var kernel = new ResampleKernel(inSize, outSize, taps) { FloatWeights = weights };
        for (int i = 0; i < outSize; i++)
        {
            float center = (float)(scale * (i + 0.5));
            int start = (int)Math.Max((long)((double)(center - support) + 0.5), 0L);
            int count = (int)Math.Clamp(Math.Min((long)((double)(center + support) + 0.5), inSize) - start, 0L, taps);
            int row = i * taps;
            float total = 0f;
            for (int j = 0; j < count; j++)
            {
                float w = Triangle((float)(((double)((j + start) - center) + 0.5) * invScale));
                weights[row + j] = w;
                total += w;
            }
            if (total != 0f)
                for (int j = 0; j < count; j++)
                    weights[row + j] /= total;
            kernel.Start[i] = start;
            kernel.Count[i] = count;
        }
        return kernel;
    }

    /// <summary>Weights as PyTorch computes them for uint8 tensors: float64 taps quantised to int16.</summary>
    public static ResampleKernel CreateInt16(int inSize, int outSize)
    {
        double scale = (double)inSize / outSize;
        double support = scale >= 1.0 ? scale : 1.0;
        int taps = (int)Math.Ceiling(support) * 2 + 1;
        double invScale = scale >= 1.0 ? 1.0 / scale : 1.0;
        var weights = new double[outSize * taps];
        var starts = new int[outSize];
        var counts = new int[outSize];
        double maxWeight = 0.0;
        for (int i = 0; i < outSize; i++)
        {
            double center = scale * (i + 0.5);
            int start = (int)Math.Max((long)(center - support + 0.5), 0L);
            int count = (int)Math.Clamp(Math.Min((long)(center + support + 0.5), inSize) - start, 0L, taps);
            int row = i * taps;
            double total = 0.0;
            for (int j = 0; j < count; j++)
            {
                double x = Math.Abs((j + start - center + 0.5) * invScale);
                double w = x < 1.0 ? 1.0 - x : 0.0;
                weights[row + j] = w;
                total += w;
            }
            if (total != 0.0)
            {
                for (int j = 0; j < count; j++)
                {
                    weights[row + j] /= total;
                    maxWeight = Math.Max(maxWeight, weights[row + j]);
                }
            }
            starts[i] = start;
            counts[i] = count;
        }

        // The largest precision whose rounded maximal weight still fits in int16 (PyTorch loops up to 22 bits).
        int precision;
        for (precision = 0; precision < 22; precision++)
        {
            if ((int)(0.5 + maxWeight * (1 << (precision + 1))) >= 1 << 15)
                break;
        }
        var quantised = new short[weights.Length];
        for (int k = 0; k < weights.Length; k++)
        {
            double v = weights[k] * (1 << precision);
            quantised[k] = (short)(v < 0 ? (int)(-0.5 + v) : (int)(0.5 + v));
        }
        var kernel = new ResampleKernel(inSize, outSize, taps) { Int16Weights = quantised, Precision = precision };
        starts.CopyTo(kernel.Start, 0);
        counts.CopyTo(kernel.Count, 0);
        return kernel;
    }

    /// <summary>Inclusive-exclusive range of input indices read by the outputs <c>[first, first + count)</c>.</summary>
    public (int Start, int End) InputRange(int first, int count)
    {
        int start = int.MaxValue, end = 0;
        for (int i = first; i < first + count; i++)
        {
            start = Math.Min(start, Start[i]);
            end = Math.Max(end, Start[i] + Count[i]);
        }
        return (start, end);
    }

    // PyTorch's HelperInterpLinear::aa_filter<float>: 1 − |x| computed in double, returned as float.
    private static float Triangle(float x)
    {
        x = Math.Abs(x);
        return x < 1.0f ? (float)(1.0 - x) : 0f;
    }
}
