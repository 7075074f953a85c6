using Microsoft.ML.VideoCaptioning.Engine;

namespace Microsoft.ML.VideoCaptioning.Models.Qwen2;

// Qwen2 causal language model (Hugging Face Qwen2ForCausalLM, eager attention), read top-down (config in Qwen2Config.cs):
// RMSNorm → rotary embedding → attention (GQA, q/k/v bias, no o_proj bias) → MLP (SwiGLU) → decoder layer
// → model → causal LM head and loss. Module and field names are the checkpoint keys. Spec: docs/ARCHITECTURE.md §2.

/// <summary>Qwen2RMSNorm: normalised in float32, cast back, then scaled by <c>weight</c>.</summary>
public sealed class Qwen2RMSNorm : Module
{
    public readonly Tensor weight;
    private readonly double _eps;

    public Qwen2RMSNorm(int dim, double eps, TensorOptions o)
    {
        _eps = eps;
        weight = Parameter("weight", Tensor.Empty([dim], o.DType, o.Device));
    }

    public Tensor Forward(Tensor x) => F.RmsNorm(x, weight, _eps);
}

/// <summary>
/// Default RoPE ("rotate_half" layout): inv_freq_i = 1/θ^(2i/d) (float32), angle(p, j) = p·inv_freq_(j mod d/2);
/// cos/sin in float32, cast to the compute type. Pairs (i, i + d/2) rotate together.
/// </summary>
public sealed class Qwen2RotaryEmbedding
{
    private readonly float[] _invFreq;

    public Qwen2RotaryEmbedding(int headDim, double theta) =>
        _invFreq = Enumerable.Range(0, headDim / 2).Select(i => (float)(1.0 / Math.Pow(theta, 2.0 * i / headDim))).ToArray();

    /// <summary>cos and sin of shape (B, 1, L, d) for position ids (B, L).</summary>
    public (Tensor Cos, Tensor Sin) Forward(Tensor positionIds, DType dtype)
    {
        using var scope = TensorScope.Open();
        var dev = positionIds.Device;
        var inv = Tensor.From<float>(_invFreq, [1, _invFreq.Length, 1], dev);
        var freqs = inv.MatMul(positionIds.To(DType.Float32).Unsqueeze(1)).Transpose(1, 2);   // (B, L, d/2)
        var emb = Tensor.Cat([freqs, freqs], -1).Unsqueeze(1);                                 // (B, 1, L, d)
        return (emb.Cos().To(dtype).MoveToOuterScope(), emb.Sin().To(dtype).MoveToOuterScope());
    }

    public static Tensor RotateHalf(Tensor x)
    {
        long half = x.Size(-1) / 2;
        return Tensor.Cat([-x.Narrow(-1, half, half), x.Narrow(-1, 0, half)], -1);
    }

    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin) => x * cos + RotateHalf(x) * sin;
}

/// <summary>
/// Keys (after RoPE) and values of every layer, one key/value head per slot (not repeated for the query groups). Each
/// layer's buffer (B, kv heads, capacity, d) is allocated at its first update and written in place: a step copies only
/// its own positions and attention reads a view of the filled part.
/// </summary>
public sealed class Qwen2KVCache : IDisposable
{
    private readonly Tensor?[] _keys;
    private readonly Tensor?[] _values;
    private readonly long[] _lengths;

    /// <param name="layers">Decoder layers.</param>
    /// <param name="capacity">Most positions ever cached (prefix + new tokens).</param>
    public Qwen2KVCache(int layers, long capacity)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), "must be at least 1");
        _keys = new Tensor?[layers];
        _values = new Tensor?[layers];
        _lengths = new long[layers];
        Capacity = capacity;
    }

    public long Capacity { get; }

    /// <summary>Number of cached positions (of the first layer: the model reads it before any layer updates).</summary>
    public long Length => _lengths[0];

    /// <summary>Writes this step's keys and values (B, kv heads, L, d) of one layer after the cached ones and returns views of the whole history.</summary>
    public (Tensor K, Tensor V) Update(int layer, Tensor k, Tensor v)
    {
        long past = _lengths[layer], l = k.Size(2), total = past + l;
        if (total > Capacity) throw new InvalidOperationException($"The KV cache holds {Capacity} positions; {total} were asked for.");
        if (_keys[layer] == null)
        {
            long[] shape = [k.Size(0), k.Size(1), Capacity, k.Size(3)];
            _keys[layer] = Tensor.Empty(shape, k.DType, k.Device).DetachFromScope();
            _values[layer] = Tensor.Empty(shape, v.DType, v.Device).DetachFromScope();
        }
        var keys = _keys[layer]!;
        var values = _values[layer]!;
        using (var scope = TensorScope.Open())
        {
            keys.Narrow(2, past, l).CopyFrom(k);
            values.Narrow(2, past, l).CopyFrom(v);
        }
        _lengths[layer] = total;
        return (keys.Narrow(2, 0, total), values.Narrow(2, 0, total));
    }

    /// <summary>Keeps the batch rows <paramref name="rows"/> (beam search reorders beams this way).</summary>
    public void SelectRows(Tensor rows)
    {
        for (int i = 0; i < _keys.Length; i++)
        {
            if (_keys[i] == null) continue;
            var k = _keys[i]!.IndexSelect(0, rows).DetachFromScope();
            var v = _values[i]!.IndexSelect(0, rows).DetachFromScope();
            _keys[i]!.Dispose();
            _values[i]!.Dispose();
            _keys[i] = k;
            _values[i] = v;
        }
    }

    public void Dispose()
    {
        foreach (var t in _keys) t?.Dispose();
        foreach (var t in _values) t?.Dispose();
    }
}

/// <summary>
/// Multi-head attention with grouped key/value heads; query head h reads key/value head ⌊h / groups⌋. Like Hugging
/// Face's <c>Qwen2Attention(config, layer_idx)</c> it knows its layer (its slot in the KV cache) and its attention
/// implementation.
/// </summary>
public sealed class Qwen2Attention : Module
{
    public readonly Linear q_proj, k_proj, v_proj, o_proj;
    private readonly int _heads, _kvHeads, _headDim;

    /// <summary>Index of the decoder layer this attention belongs to.</summary>
    public int LayerIdx { get; }

    /// <summary>Hugging Face's eager path (float32 softmax); false uses libtorch's fused kernel where present.</summary>
    public bool EagerAttention { get; set; } = !Torch.HasFusedAttention;

    public Qwen2Attention(Qwen2Config c, int layerIdx, TensorOptions o)
    {
        LayerIdx = layerIdx;
        _heads = c.NumAttentionHeads;
        _kvHeads = c.NumKeyValueHeads;
        _headDim = c.HeadDim;
        q_proj = Child("q_proj", new Linear(c.HiddenSize, _heads * _headDim, true, o));
        k_proj = Child("k_proj", new Linear(c.HiddenSize, _kvHeads * _headDim, true, o));
        v_proj = Child("v_proj", new Linear(c.HiddenSize, _kvHeads * _headDim, true, o));
        o_proj = Child("o_proj", new Linear(_heads * _headDim, c.HiddenSize, false, o));
    }

    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor mask, Qwen2KVCache? cache)
    {
        using var scope = TensorScope.Open();
        long b = x.Size(0), l = x.Size(1);
        var xw = Qwen2DecoderLayer.ToWeightType(q_proj, x);   // cast once for the three products
        var q = Qwen2DecoderLayer.Product(q_proj, xw, x.DType).Reshape(b, l, _heads, _headDim).Transpose(1, 2);
        var k = Qwen2DecoderLayer.Product(k_proj, xw, x.DType).Reshape(b, l, _kvHeads, _headDim).Transpose(1, 2);
        var v = Qwen2DecoderLayer.Product(v_proj, xw, x.DType).Reshape(b, l, _kvHeads, _headDim).Transpose(1, 2);
        q = Qwen2RotaryEmbedding.Apply(q, cos, sin);
        k = Qwen2RotaryEmbedding.Apply(k, cos, sin);
        if (cache != null) (k, v) = cache.Update(LayerIdx, k, v);
        // Grouped-query attention without repeating keys and values: the query heads of one key/value head are stacked
        // along the query axis (head h = g·groups + j reads kv head g), and the mask is repeated to match.
        int groups = _heads / _kvHeads;
        q = q.Reshape(b, _kvHeads, groups * l, _headDim);
        if (groups > 1) mask = mask.Repeat(1, 1, groups, 1);
        double scale = 1.0 / Math.Sqrt(_headDim);
        var o = EagerAttention ? F.EagerAttention(q, k, v, mask, scale) : F.ScaledDotProductAttention(q, k, v, mask, scale: scale);
        o = o.Reshape(b, _heads, l, _headDim).Transpose(1, 2).Reshape(b, l, _heads * _headDim);
        return Qwen2DecoderLayer.Product(o_proj, Qwen2DecoderLayer.ToWeightType(o_proj, o), o.DType).MoveToOuterScope();
    }
}

/// <summary>down(SiLU(gate(x)) ⊙ up(x)), no biases.</summary>
public sealed class Qwen2MLP : Module
{
    public readonly Linear gate_proj, up_proj, down_proj;

    public Qwen2MLP(Qwen2Config c, TensorOptions o)
    {
        gate_proj = Child("gate_proj", new Linear(c.HiddenSize, c.IntermediateSize, false, o));
        up_proj = Child("up_proj", new Linear(c.HiddenSize, c.IntermediateSize, false, o));
        down_proj = Child("down_proj", new Linear(c.IntermediateSize, c.HiddenSize, false, o));
    }

    public Tensor Forward(Tensor x)
    {
        using var scope = TensorScope.Open();
        var xw = Qwen2DecoderLayer.ToWeightType(gate_proj, x);   // cast once for gate and up
        var gate = Qwen2DecoderLayer.Product(gate_proj, xw, x.DType);
        var h = gate.Silu() * Qwen2DecoderLayer.Product(up_proj, xw, x.DType);
        return Qwen2DecoderLayer.Product(down_proj, Qwen2DecoderLayer.ToWeightType(down_proj, h), x.DType).MoveToOuterScope();
    }
}

/// <summary>
/// Pre-norm decoder layer: x + attn(norm(x)), then x + mlp(norm(x)). Its linear layers may hold a narrower type than
/// the residual stream (<see cref="Qwen2ForCausalLM"/>'s <c>layerProducts</c>): their products then run in that type.
/// </summary>
public sealed class Qwen2DecoderLayer : Module
{
    public readonly Qwen2Attention self_attn;
    public readonly Qwen2MLP mlp;
    public readonly Qwen2RMSNorm input_layernorm, post_attention_layernorm;

    /// <param name="linear">Options of the attention and MLP linear layers (default <paramref name="o"/>); the norms take <paramref name="o"/>.</param>
    public Qwen2DecoderLayer(Qwen2Config c, int layerIdx, TensorOptions o, TensorOptions? linear = null)
    {
        self_attn = Child("self_attn", new Qwen2Attention(c, layerIdx, linear ?? o));
        mlp = Child("mlp", new Qwen2MLP(c, linear ?? o));
        input_layernorm = Child("input_layernorm", new Qwen2RMSNorm(c.HiddenSize, c.RmsNormEps, o));
        post_attention_layernorm = Child("post_attention_layernorm", new Qwen2RMSNorm(c.HiddenSize, c.RmsNormEps, o));
    }

    /// <summary>x in <paramref name="layer"/>'s weight type (x itself when it has that type).</summary>
    internal static Tensor ToWeightType(Linear layer, Tensor x) => x.DType == layer.weight.DType ? x : x.To(layer.weight.DType);

    /// <summary><paramref name="layer"/>(xw) for xw in the layer's weight type (<see cref="ToWeightType"/>), returned in <paramref name="streamType"/>.</summary>
    internal static Tensor Product(Linear layer, Tensor xw, DType streamType)
    {
        var y = layer.Forward(xw);
        return y.DType == streamType ? y : y.To(streamType);
    }

    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor mask, Qwen2KVCache? cache)
    {
        using var scope = TensorScope.Open();
        x = x + self_attn.Forward(input_layernorm.Forward(x), cos, sin, mask, cache);
        x = x + mlp.Forward(post_attention_layernorm.Forward(x));
        return x.MoveToOuterScope();
    }
}

/// <summary>Embeddings, decoder layers and the final norm (<c>model.*</c> in the checkpoint).</summary>
public sealed class Qwen2Model : Module
{
    public readonly Embedding embed_tokens;
    public readonly Qwen2DecoderLayer[] layers;
    public readonly Qwen2RMSNorm norm;
    private readonly Qwen2RotaryEmbedding _rotary;

    /// <param name="layerProducts">Type of the decoder layers' linear weights and products (default: <paramref name="o"/>'s).</param>
    public Qwen2Model(Qwen2Config c, TensorOptions o, DType? layerProducts = null)
    {
        embed_tokens = Child("embed_tokens", new Embedding(c.VocabSize, c.HiddenSize, o));
        var linear = o with { DType = layerProducts ?? o.DType };
        layers = Enumerable.Range(0, c.NumHiddenLayers).Select(i => Child($"layers.{i}", new Qwen2DecoderLayer(c, i, o, linear))).ToArray();
        norm = Child("norm", new Qwen2RMSNorm(c.HiddenSize, c.RmsNormEps, o));
        _rotary = new Qwen2RotaryEmbedding(c.HeadDim, c.RopeTheta);
    }

    /// <summary>
    /// Runs the decoder over <paramref name="inputsEmbeds"/> (B, L, H). <paramref name="attentionMask"/> (B, past+L) marks
    /// real tokens with 1 (null = all real); <paramref name="positionIds"/> (B, L) defaults to past..past+L−1.
    /// Returns the final-normed hidden states; <paramref name="layerOutputs"/> receives each layer's residual stream.
    /// </summary>
    public Tensor Forward(Tensor inputsEmbeds, Tensor? attentionMask, Tensor? positionIds, Qwen2KVCache? cache,
        List<Tensor>? layerOutputs = null)
    {
        using var scope = TensorScope.Open();
        long b = inputsEmbeds.Size(0), l = inputsEmbeds.Size(1), past = cache?.Length ?? 0;
        var dev = inputsEmbeds.Device;
        var dtype = inputsEmbeds.DType;
        positionIds ??= Tensor.Arange(past, past + l, device: dev).Unsqueeze(0).Expand(b, l);
        var (cos, sin) = _rotary.Forward(positionIds, dtype);
        var mask = CausalMask(b, l, past, attentionMask, dtype, dev);
        var x = inputsEmbeds;
        foreach (var layer in layers)
        {
            x = layer.Forward(x, cos, sin, mask, cache);
            layerOutputs?.Add(x.Alias().MoveToOuterScope());
        }
        return norm.Forward(x).MoveToOuterScope();
    }

    /// <summary>
    /// Additive mask (B, 1, L, past+L): 0 where key ≤ query position and the key is a real token, else the dtype's
    /// most negative finite value (Hugging Face's eager mask; a fully masked row gets uniform weights).
    /// </summary>
    public static Tensor CausalMask(long b, long l, long past, Tensor? attentionMask, DType dtype, Device dev)
    {
        using var scope = TensorScope.Open();
        long total = past + l;
        var q = Tensor.Arange(past, total, device: dev).Unsqueeze(1);         // (L, 1)
        var k = Tensor.Arange(0, total, device: dev).Unsqueeze(0);            // (1, past+L)
        var blocked = k.Gt(q).Unsqueeze(0).Unsqueeze(0);                      // (1, 1, L, past+L)
        if (attentionMask != null)
            blocked = blocked.LogicalOr(attentionMask.Eq(0).Unsqueeze(1).Unsqueeze(1));
        double min = dtype switch { DType.BFloat16 => -3.3895313892515355e38, DType.Float16 => -65504.0, DType.Float64 => double.MinValue, _ => float.MinValue };
        return Tensor.Zeros([1], dtype, dev).MaskedFill(blocked, min).Expand(b, 1, l, total).MoveToOuterScope();
    }
}

/// <summary>What <see cref="Qwen2ForCausalLM.Forward"/> returns; dispose it (or its scope) when done.</summary>
public sealed record Qwen2Output(Tensor Hidden, Tensor? Logits, Tensor? Loss, IReadOnlyList<Tensor> LayerOutputs);

/// <summary>
/// Qwen2 with its language-modelling head. <c>lm_head</c> is <c>model.embed_tokens</c> when
/// <c>tie_word_embeddings</c> is true (a stored <c>lm_head.weight</c> is then ignored, as Hugging Face does).
/// </summary>
public sealed class Qwen2ForCausalLM : Module
{
    public readonly Qwen2Model model;
    public readonly Linear? lm_head;

    /// <summary>Candidates per row that a narrower head keeps for <see cref="GreedyCandidates"/> to rescore in the model's type.</summary>
    public const int HeadCandidates = 8;

    private readonly DType? _layerProducts;
    private readonly object _narrowHeadLock = new();
    private Tensor? _narrowHead;

    public Qwen2Config Config { get; }

    /// <summary>
    /// Attention as Hugging Face's eager path (float32 softmax) in every layer; false uses libtorch's fused kernel where
    /// present. Setting it sets each layer's <see cref="Qwen2Attention.EagerAttention"/>.
    /// </summary>
    public bool EagerAttention
    {
        get => model.layers[0].self_attn.EagerAttention;
        set { foreach (var layer in model.layers) layer.self_attn.EagerAttention = value; }
    }

    /// <param name="layerProducts">
    /// Type of the decoder layers' linear weights and products; everything else (embeddings and head, norms, RoPE,
    /// attention, the residual stream) keeps <paramref name="o"/>'s type. bfloat16 over a float32 model is the CPU's
    /// inference mixed precision (docs/benchmarks.md); for a frozen model only.
    /// </param>
    public Qwen2ForCausalLM(Qwen2Config c, TensorOptions o, DType? layerProducts = null)
    {
        Config = c;
        _layerProducts = layerProducts != o.DType ? layerProducts : null;
        model = Child("model", new Qwen2Model(c, o, layerProducts));
        if (!c.TieWordEmbeddings) lm_head = Child("lm_head", new Linear(c.HiddenSize, c.VocabSize, false, o));
    }

    /// <summary>
    /// Loads a Hugging Face directory (config.json + safetensors, single or sharded, F32/BF16/F16) onto a device;
    /// <paramref name="layerProducts"/> as in the constructor.
    /// </summary>
    public static Qwen2ForCausalLM FromPretrained(string dir, TensorOptions? options = null, DType? layerProducts = null)
    {
        var o = options ?? TensorOptions.CpuFloat32;
        var m = LoadFrom(new Qwen2ForCausalLM(Qwen2Config.Load(dir), o, layerProducts), dir);
        m.Freeze();
        return m;
    }

    /// <summary>Token embeddings of ids (B, L) → (B, L, H).</summary>
    public Tensor Embed(Tensor ids) => model.embed_tokens.Forward(ids);

    /// <summary>Logits of hidden states (…, H) → (…, vocab).</summary>
    public Tensor Logits(Tensor hidden) => lm_head != null ? lm_head.Forward(hidden) : F.Linear(hidden, HeadWeight);

    private Tensor HeadWeight => lm_head?.weight ?? model.embed_tokens.weight;

    /// <summary>Greedy next token ids (B) of hidden states (B, H): the argmax of <see cref="Logits"/>, by <see cref="GreedyCandidates"/> where the decoder layers multiply in a narrower type.</summary>
    public Tensor GreedyIds(Tensor hidden)
    {
        if (_layerProducts == null) return Logits(hidden).ArgMax(-1);
        using var scope = TensorScope.Open();
        var (ids, logits) = GreedyCandidates(hidden);
        return ids.Gather(-1, logits.ArgMax(-1, keepDim: true)).Squeeze(-1).MoveToOuterScope();
    }

    /// <summary>
    /// With <c>layerProducts</c>: the head's <see cref="HeadCandidates"/> best ids per row of hidden states (B, H) by a
    /// copy of the head in the layers' type (made at the first call, from the weights then loaded), and their logits
    /// recomputed in the model's type from the head's own rows: (ids (B, k), logits (B, k)). Their argmax is the full
    /// head's argmax whenever that token is among the k, which a bfloat16 head misses only if it moves a logit by more
    /// than the gap to the k-th best; the whole head costs half the memory traffic.
    /// </summary>
    public (Tensor Ids, Tensor Logits) GreedyCandidates(Tensor hidden)
    {
        var narrow = _layerProducts ?? throw new InvalidOperationException("The head rescores candidates only with layerProducts narrower than the model's type.");
        using var scope = TensorScope.Open();
        lock (_narrowHeadLock) _narrowHead ??= HeadWeight.Detach().To(narrow).DetachFromScope();
        var ids = F.Linear(hidden.To(narrow), _narrowHead).TopK(HeadCandidates).Indices;                         // (B, k)
        long b = hidden.Size(0), h = hidden.Size(-1);
        var rows = HeadWeight.IndexSelect(0, ids.Reshape(-1)).Reshape(b, HeadCandidates, h);                       // (B, k, H)
        var logits = rows.MatMul(hidden.Unsqueeze(-1)).Squeeze(-1);                                                 // (B, k)
        return (ids.MoveToOuterScope(), logits.MoveToOuterScope());
    }

    public override void Dispose()
    {
        _narrowHead?.Dispose();
        base.Dispose();
    }

    /// <summary>
    /// Forward from ids or embeddings. With <paramref name="labels"/> (B, L; −100 = ignore) the loss is the shifted
    /// cross-entropy averaged over all counted tokens of the batch (computed in float32). Logits are returned when
    /// <paramref name="returnLogits"/>; for training, pass false: only the counted positions are projected.
    /// </summary>
    public Qwen2Output Forward(Tensor? inputIds = null, Tensor? inputsEmbeds = null, Tensor? attentionMask = null,
        Tensor? positionIds = null, Tensor? labels = null, Qwen2KVCache? cache = null, bool returnLogits = true, bool returnLayers = false)
    {
        using var scope = TensorScope.Open();
        if ((inputIds == null) == (inputsEmbeds == null)) throw new ArgumentException("Pass exactly one of inputIds and inputsEmbeds.");
        var x = inputsEmbeds ?? Embed(inputIds!);
        var layersOut = returnLayers ? new List<Tensor>() : null;
        var hidden = model.Forward(x, attentionMask, positionIds, cache, layersOut);
        var logits = returnLogits ? Logits(hidden) : null;
        Tensor? loss = labels != null ? ShiftedLoss(hidden, logits, labels) : null;
        layersOut?.ForEach(t => t.MoveToOuterScope());
        return new Qwen2Output(hidden.MoveToOuterScope(), logits?.MoveToOuterScope(), loss?.MoveToOuterScope(), layersOut ?? []);
    }

    private Tensor ShiftedLoss(Tensor hidden, Tensor? logits, Tensor labels)
    {
        long l = hidden.Size(1);
        var target = labels.Narrow(1, 1, l - 1).Reshape(-1);
        if (logits != null)
        {
            var flat = logits.Narrow(1, 0, l - 1).Reshape(-1, logits.Size(-1)).To(DType.Float32);
            return F.CrossEntropy(flat, target);
        }
        // Only positions whose next token counts are projected onto the vocabulary: same loss, far less memory.
        var h = hidden.Narrow(1, 0, l - 1).Reshape(-1, hidden.Size(-1));
        var counted = target.ToLongArray().Select((t, i) => (t, i)).Where(p => p.t != -100).Select(p => (long)p.i).ToArray();
        var keep = Tensor.From<long>(counted, [counted.Length], hidden.Device);
        return F.CrossEntropy(Logits(h.IndexSelect(0, keep)).To(DType.Float32), target.IndexSelect(0, keep));
    }
}
