namespace Microsoft.ML.VideoCaptioning.Engine;

/// <summary>Neural-network functions (torch.nn.functional).</summary>
public static unsafe class F
{
    private static IntPtr H(Tensor? t) => t?.Handle ?? IntPtr.Zero;

    /// <summary>x·Wᵀ + b, weights stored [out, in] as in nn.Linear.</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null) =>
        Tensor.Wrap(Native.vt_linear(x.Handle, weight.Handle, H(bias)), "linear", x, weight, bias);

    /// <summary>3-D convolution (no dilation, one group).</summary>
    public static Tensor Conv3d(Tensor x, Tensor weight, Tensor? bias, (long T, long H, long W) stride, (long T, long H, long W) padding = default)
    {
        var s = stackalloc long[] { stride.T, stride.H, stride.W };
        var p = stackalloc long[] { padding.T, padding.H, padding.W };
        return Tensor.Wrap(Native.vt_conv3d(x.Handle, weight.Handle, H(bias), s, p), "conv3d", x, weight, bias);
    }

    /// <summary>LayerNorm over the last dimension (biased variance).</summary>
    public static Tensor LayerNorm(Tensor x, Tensor? weight, Tensor? bias, double eps)
    {
        long last = x.Size(-1);
        return Tensor.Wrap(Native.vt_layer_norm(x.Handle, &last, 1, H(weight), H(bias), eps), "layer_norm", x, weight, bias);
    }

    /// <summary>
    /// RMS norm over the last dimension as Hugging Face's Qwen2RMSNorm computes it: normalised in float32, cast
    /// back to the input type, then multiplied by the weight.
    /// </summary>
    public static Tensor RmsNorm(Tensor x, Tensor? weight, double eps) =>
        Tensor.Wrap(Native.vt_rms_norm(x.Handle, H(weight), eps), "rms_norm", x, weight);

    /// <summary>Dropout (identity unless <paramref name="training"/> and p &gt; 0).</summary>
    public static Tensor Dropout(Tensor x, double p, bool training) =>
        Tensor.Wrap(Native.vt_dropout(x.Handle, p, training && p > 0 ? 1 : 0), "dropout", x);

    /// <summary>Rows of <paramref name="weight"/> selected by integer ids.</summary>
    public static Tensor Embedding(Tensor weight, Tensor ids) => Tensor.Wrap(Native.vt_embedding(weight.Handle, ids.Handle), "embedding", weight, ids);

    /// <summary>How <see cref="CrossEntropy"/> reduces.</summary>
    public enum Reduction { None = 0, Mean = 1, Sum = 2 }

    /// <summary>Cross-entropy of logits (N, C) against class ids (N); targets equal to <paramref name="ignoreIndex"/> are skipped.</summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor target, long ignoreIndex = -100, Reduction reduction = Reduction.Mean) =>
        Tensor.Wrap(Native.vt_cross_entropy(logits.Handle, target.Handle, ignoreIndex, (int)reduction), "cross_entropy", logits, target);

    /// <summary>
    /// softmax(q·kᵀ·scale + mask)·v with libtorch's fused kernel where the libtorch has one (≥ 2.1), else composed.
    /// <paramref name="mask"/> is additive (float) or boolean (true = attend), broadcastable to (B, H, Lq, Lk).
    /// </summary>
    public static Tensor ScaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor? mask = null, double dropout = 0,
        bool isCausal = false, double? scale = null) =>
        Tensor.Wrap(Native.vt_sdpa(q.Handle, k.Handle, v.Handle, H(mask), dropout, isCausal ? 1 : 0, scale ?? 0), "scaled_dot_product_attention", q, k, v, mask);

    /// <summary>
    /// Eager attention exactly as Hugging Face computes it: weights = softmax(q·kᵀ·scale + mask) in float32 (for
    /// half types; float32/float64 stay as they are), cast back to q's type, optional dropout on the weights, then ·v. Used where results must match the reference to fp32 noise.
    /// </summary>
    public static Tensor EagerAttention(Tensor q, Tensor k, Tensor v, Tensor? additiveMask, double scale, double dropout = 0, bool training = false)
    {
        using var scope = TensorScope.Open();
        var scores = q.MatMul(k.Transpose(-2, -1)) * scale;
        if (additiveMask != null) scores += additiveMask;
        bool reduced = q.DType is DType.Float16 or DType.BFloat16;
        var weights = scores.Softmax(-1, reduced ? DType.Float32 : q.DType);
        if (reduced) weights = weights.To(q.DType);
        weights = Dropout(weights, dropout, training);
        return weights.MatMul(v).MoveToOuterScope();
    }
}
