using Microsoft.ML.VideoCaptioning.Engine;

namespace Microsoft.ML.VideoCaptioning.Models.VJepa2;

// V-JEPA 2 video encoder (Hugging Face VJEPA2Model.get_vision_features, eager attention), read top-down (config in
// VJepa2Config.cs): tubelet embedding → 3-D RoPE → attention → MLP → pre-norm layer → encoder → model.
// Module and field names are the checkpoint keys (encoder.*); the predictor in the file is not used. Spec: docs/ARCHITECTURE.md §1.
//
// Compute types: in float32 (or float64) everything runs in that type, as Hugging Face does. In bfloat16 or float16 the
// linear layers, RoPE and attention run in that type while the tubelet conv, the layer norms and the residual stream
// stay float32 (as torch.autocast keeps them): a half-precision conv3d on the CPU accumulates in that type (measured:
// 10 % error in bf16 with libtorch 1.13) and bf16 layer norm is 7× slower there than float32; a float32 residual stream
// keeps 24 layers of additions from compounding bf16 rounding. See VJepa2Model.StreamType.

/// <summary>
/// Conv3d with kernel = stride = (tubelet, patch, patch): each 2×16×16 RGB cube becomes one token. Its weights are in
/// the stream type (<see cref="VJepa2Model.StreamType"/>), float32 for a half-precision model.
/// </summary>
public sealed class Conv3dPatch : Module
{
    public readonly Tensor weight, bias;
    private readonly int _t, _p;

    public Conv3dPatch(VJepa2Config c, TensorOptions o)
    {
        _t = c.TubeletSize;
        _p = c.PatchSize;
        var dtype = VJepa2Model.StreamType(o.DType);
        weight = Parameter("weight", Tensor.Empty([c.HiddenSize, c.InChans, _t, _p, _p], dtype, o.Device));
        bias = Parameter("bias", Tensor.Empty([c.HiddenSize], dtype, o.Device));
    }

    public Tensor Forward(Tensor x) => F.Conv3d(x, weight, bias, (_t, _p, _p));
}

/// <summary><c>encoder.embeddings.patch_embeddings</c>: (B, C, T, H, W) → tokens (B, N, hidden), N = T/2 · H/16 · W/16.</summary>
public sealed class VJepa2PatchEmbeddings : Module
{
    public readonly Conv3dPatch proj;

    public VJepa2PatchEmbeddings(VJepa2Config c, TensorOptions o) => proj = Child("proj", new Conv3dPatch(c, o));

    public Tensor Forward(Tensor x)
    {
        using var scope = TensorScope.Open();
        var y = proj.Forward(x);                                           // (B, D, T', H', W')
        return y.Reshape(y.Size(0), y.Size(1), -1).Transpose(1, 2).MoveToOuterScope();   // token n = t·H'W' + h·W' + w
    }
}

/// <summary><c>encoder.embeddings</c> (no position embedding: V-JEPA 2 uses RoPE only).</summary>
public sealed class VJepa2Embeddings : Module
{
    public readonly VJepa2PatchEmbeddings patch_embeddings;
    private readonly int _tubelet;

    public VJepa2Embeddings(VJepa2Config c, TensorOptions o)
    {
        _tubelet = c.TubeletSize;
        patch_embeddings = Child("patch_embeddings", new VJepa2PatchEmbeddings(c, o));
    }

    /// <summary>
    /// pixel_values_videos (B, T, C, H, W) → tokens in the stream type. T &lt; tubelet repeats the frames; an odd T drops
    /// the last one.
    /// </summary>
    public Tensor Forward(Tensor pixelValuesVideos)
    {
        using var scope = TensorScope.Open();
        var x = pixelValuesVideos.Permute(0, 2, 1, 3, 4).To(patch_embeddings.proj.weight.DType);
        if (x.Size(2) < _tubelet) x = x.Repeat(1, 1, _tubelet, 1, 1);
        return patch_embeddings.Forward(x).MoveToOuterScope();
    }
}

/// <summary>
/// V-JEPA 2's 3-D rotary embedding, reproduced literally. Head dims are split in segments of s = 2⌊⌊d/3⌋/2⌋ rotated
/// with the token's frame, row and column; the d − 3s leftover dims are not rotated. Within a segment the angle table is
/// TILED ([a_0..a_(m−1), a_0..a_(m−1)], a_k = p/10000^(k/m), m = s/2) while partners are INTERLEAVED
/// (x̃_2i = −x_2i+1, x̃_2i+1 = x_2i): out = x·cos θ + x̃·sin θ.
/// </summary>
public sealed class VJepa2Rope3D : IDisposable
{
    private readonly int _headDim, _grid;
    private readonly Dictionary<(long N, Device Dev, DType T), (Tensor Cos, Tensor Sin)> _tables = new();
    private readonly object _lock = new();

    public VJepa2Rope3D(int headDim, int gridSize)
    {
        _headDim = headDim;
        _grid = gridSize;
    }

    /// <summary>cos/sin tables (N, head_dim) for N tokens, built once per length, device and type.</summary>
    public (Tensor Cos, Tensor Sin) Tables(long n, Device dev, DType dtype)
    {
        lock (_lock)
        {
            if (_tables.TryGetValue((n, dev, dtype), out var t)) return t;
            int d = _headDim, s = 2 * (d / 3 / 2), m = s / 2, g2 = _grid * _grid;
            var cos = new float[n * d];
            var sin = new float[n * d];
            var omega = Enumerable.Range(0, m).Select(k => (float)(1.0 / Math.Pow(10000, (float)k / m))).ToArray();
            for (long i = 0; i < n; i++)
            {
                long tt = i / g2, hh = (i - tt * g2) / _grid, ww = i - tt * g2 - hh * _grid;
                long[] pos = [tt, hh, ww];
                for (int j = 0; j < d; j++)
                {
                    int seg = j / s;
                    if (seg >= 3) { cos[i * d + j] = 1; continue; }
                    float angle = pos[seg] * omega[(j - seg * s) % m];
                    cos[i * d + j] = (float)Math.Cos(angle);
                    sin[i * d + j] = (float)Math.Sin(angle);
                }
            }
            using var scope = TensorScope.Open();
            var c = Tensor.From<float>(cos, [n, d], dev).To(dtype).DetachFromScope();
            var sn = Tensor.From<float>(sin, [n, d], dev).To(dtype).DetachFromScope();
            _tables[(n, dev, dtype)] = (c, sn);
            return (c, sn);
        }
    }

    public void Dispose()
    {
        foreach (var (c, s) in _tables.Values)
        {
            c.Dispose();
            s.Dispose();
        }
        _tables.Clear();
    }

    /// <summary>Rotates x (B, H, N, head_dim).</summary>
    public Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = TensorScope.Open();
        var pairs = x.Reshape(x.Size(0), x.Size(1), x.Size(2), _headDim / 2, 2);
        var partner = Tensor.Stack([-pairs.Select(-1, 1), pairs.Select(-1, 0)], -1).Reshape(x.Shape);
        return (x * cos + partner * sin).MoveToOuterScope();
    }
}

/// <summary>
/// <c>attention</c>: query/key/value/proj with biases; RoPE on q and k; unmasked softmax attention. It holds the
/// encoder's shared <see cref="VJepa2Rope3D"/> and its attention implementation.
/// </summary>
public sealed class VJepa2Attention : Module
{
    public readonly Linear query, key, value, proj;
    private readonly int _heads, _headDim;
    private readonly VJepa2Rope3D _rope;

    /// <summary>
    /// Hugging Face's eager path (float32 softmax; see <see cref="HalfPrecisionEager"/> for half types); false uses
    /// libtorch's fused kernel where present.
    /// </summary>
    public bool EagerAttention { get; set; } = !Torch.HasFusedAttention;

    public VJepa2Attention(VJepa2Config c, VJepa2Rope3D rope, TensorOptions o)
    {
        _rope = rope;
        _heads = c.NumAttentionHeads;
        _headDim = c.HeadDim;
        query = Child("query", new Linear(c.HiddenSize, c.HiddenSize, c.QkvBias, o));
        key = Child("key", new Linear(c.HiddenSize, c.HiddenSize, c.QkvBias, o));
        value = Child("value", new Linear(c.HiddenSize, c.HiddenSize, c.QkvBias, o));
        proj = Child("proj", new Linear(c.HiddenSize, c.HiddenSize, true, o));
    }

    /// <summary>x (B, N, hidden) with the RoPE tables <paramref name="cos"/>, <paramref name="sin"/> (N, head_dim).</summary>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = TensorScope.Open();
        long b = x.Size(0), n = x.Size(1);
        Tensor Heads(Linear l) => l.Forward(x).Reshape(b, n, _heads, _headDim).Transpose(1, 2);
        var q = _rope.Apply(Heads(query), cos, sin);
        var k = _rope.Apply(Heads(key), cos, sin);
        var v = Heads(value);
        double scale = 1.0 / Math.Sqrt(_headDim);
        var o = !EagerAttention ? F.ScaledDotProductAttention(q, k, v, null, scale: scale)
            : q.DType is DType.BFloat16 or DType.Float16 ? HalfPrecisionEager(q, k, v, scale)
            : F.EagerAttention(q, k, v, null, scale);
        return proj.Forward(o.Transpose(1, 2).Reshape(b, n, -1)).MoveToOuterScope();
    }

    /// <summary>
    /// The eager path in a half type, in fewer passes over the (B, H, N, N) scores: the scale multiplies q instead of the
    /// scores (exact when it is a power of two, as 1/8 for head_dim 64), and softmax runs on the half-type scores directly:
    /// libtorch's CPU and CUDA softmax kernels compute in float32 and round once, the same as Hugging Face's
    /// softmax(float32) followed by a cast. ViT-L, 4096 tokens, bf16 on 2 cores: 230 ms instead of 410 ms.
    /// </summary>
    private static Tensor HalfPrecisionEager(Tensor q, Tensor k, Tensor v, double scale)
    {
        using var scope = TensorScope.Open();
        return (q * scale).MatMul(k.Transpose(-2, -1)).Softmax(-1).MatMul(v).MoveToOuterScope();
    }
}

/// <summary><c>mlp</c>: fc2(GELU(fc1(x))) with exact GELU.</summary>
public sealed class VJepa2MLP : Module
{
    public readonly Linear fc1, fc2;

    public VJepa2MLP(VJepa2Config c, TensorOptions o)
    {
        fc1 = Child("fc1", new Linear(c.HiddenSize, c.MlpDim, true, o));
        fc2 = Child("fc2", new Linear(c.MlpDim, c.HiddenSize, true, o));
    }

    public Tensor Forward(Tensor x)
    {
        using var scope = TensorScope.Open();
        return fc2.Forward(fc1.Forward(x).Gelu()).MoveToOuterScope();
    }
}

/// <summary>
/// <c>encoder.layer.{i}</c>: pre-norm block x + attn(norm1(x)), x + mlp(norm2(x)). x and the norms are in the stream
/// type; the normed input is cast to the compute type and the sublayer outputs are added back in the stream type.
/// </summary>
public sealed class VJepa2Layer : Module
{
    public readonly LayerNorm norm1, norm2;
    public readonly VJepa2Attention attention;
    public readonly VJepa2MLP mlp;
    private readonly DType _compute;

    public VJepa2Layer(VJepa2Config c, VJepa2Rope3D rope, TensorOptions o)
    {
        _compute = o.DType;
        var stream = o with { DType = VJepa2Model.StreamType(o.DType) };
        norm1 = Child("norm1", new LayerNorm(c.HiddenSize, c.LayerNormEps, stream));
        attention = Child("attention", new VJepa2Attention(c, rope, o));
        norm2 = Child("norm2", new LayerNorm(c.HiddenSize, c.LayerNormEps, stream));
        mlp = Child("mlp", new VJepa2MLP(c, o));
    }

    /// <summary>x (B, N, hidden) in the stream type; <paramref name="cos"/>, <paramref name="sin"/> in the compute type.</summary>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = TensorScope.Open();
        x = x + attention.Forward(norm1.Forward(x).To(_compute), cos, sin);
        x = x + mlp.Forward(norm2.Forward(x).To(_compute));
        return x.MoveToOuterScope();
    }
}

/// <summary>
/// <c>encoder</c>: embeddings, layers, final layernorm. It owns the 3-D RoPE tables its layers share and runs the
/// layer loop.
/// </summary>
public sealed class VJepa2Encoder : Module
{
    public readonly VJepa2Embeddings embeddings;
    public readonly VJepa2Layer[] layer;
    public readonly LayerNorm layernorm;
    private readonly VJepa2Rope3D _rope;
    private readonly DType _compute;

    public VJepa2Encoder(VJepa2Config c, TensorOptions o)
    {
        _rope = new VJepa2Rope3D(c.HeadDim, c.GridSize);
        _compute = o.DType;
        embeddings = Child("embeddings", new VJepa2Embeddings(c, o));
        layer = Enumerable.Range(0, c.NumHiddenLayers).Select(i => Child($"layer.{i}", new VJepa2Layer(c, _rope, o))).ToArray();
        layernorm = Child("layernorm", new LayerNorm(c.HiddenSize, c.LayerNormEps, o with { DType = VJepa2Model.StreamType(o.DType) }));
    }

    /// <summary>
    /// pixel_values_videos (B, T, C, H, W) → last hidden state after the final layernorm; <paramref name="layerOutputs"/>
    /// receives the embeddings and each layer's output. All of them are in the stream type.
    /// </summary>
    public Tensor Forward(Tensor pixelValuesVideos, List<Tensor>? layerOutputs = null)
    {
        using var scope = TensorScope.Open();
        var x = embeddings.Forward(pixelValuesVideos);
        layerOutputs?.Add(x.Alias().MoveToOuterScope());
        var (cos, sin) = _rope.Tables(x.Size(1), x.Device, _compute);
        foreach (var l in layer)
        {
            x = l.Forward(x, cos, sin);
            layerOutputs?.Add(x.Alias().MoveToOuterScope());
        }
        return layernorm.Forward(x).MoveToOuterScope();
    }

    public override void Dispose()
    {
        _rope.Dispose();
        base.Dispose();
    }
}

/// <summary>
/// The frozen V-JEPA 2 video encoder: <see cref="GetVisionFeatures"/> maps pixel_values_videos (B, T, 3, crop, crop),
/// normalised as in <c>VideoPreprocessor</c>, to (B, T/2 · (crop/16)², hidden) features, e.g. (B, 4096, 1024) for 32 frames
/// with ViT-L.
/// </summary>
public sealed class VJepa2Model : Module
{
    /// <summary>
    /// Type of the residual stream, tubelet conv and layer norms for compute type <paramref name="compute"/>: float32 for
    /// bfloat16 and float16, else the compute type itself.
    /// </summary>
    public static DType StreamType(DType compute) => compute is DType.BFloat16 or DType.Float16 ? DType.Float32 : compute;

    public readonly VJepa2Encoder encoder;

    public VJepa2Config Config { get; }

    /// <summary>Device and compute type (of the linear layers; see <see cref="StreamType"/>).</summary>
    public TensorOptions Options { get; }

    /// <summary>
    /// Attention as Hugging Face's eager path (float32 softmax) in every layer; false uses libtorch's fused kernel where
    /// present. Setting it sets each layer's <see cref="VJepa2Attention.EagerAttention"/>.
    /// </summary>
    public bool EagerAttention
    {
        get => encoder.layer[0].attention.EagerAttention;
        set { foreach (var l in encoder.layer) l.attention.EagerAttention = value; }
    }

    public VJepa2Model(VJepa2Config c, TensorOptions o)
    {
        Config = c;
        Options = o;
        encoder = Child("encoder", new VJepa2Encoder(c, o));
    }

    /// <summary>Loads a Hugging Face directory (config.json + safetensors; F32/BF16/F16 storage) in the given compute type.</summary>
    public static VJepa2Model FromPretrained(string dir, TensorOptions? options = null)
    {
        var o = options ?? TensorOptions.CpuFloat32;
        var m = LoadFrom(new VJepa2Model(VJepa2Config.Load(dir), o), dir);
        m.Freeze();
        return m;
    }

    /// <summary>
    /// Encoder output after the final layernorm, in <see cref="StreamType"/> of the compute type; <paramref name="layerOutputs"/>
    /// receives the embeddings and each layer's output.
    /// </summary>
    public Tensor GetVisionFeatures(Tensor pixelValuesVideos, List<Tensor>? layerOutputs = null)
    {
        using var scope = TensorScope.Open();
        var layers = layerOutputs != null ? new List<Tensor>() : null;
        var features = encoder.Forward(pixelValuesVideos.To(Options.Device), layers);
        layers?.ForEach(t => layerOutputs!.Add(t.MoveToOuterScope()));
        return features.MoveToOuterScope();
    }
}
