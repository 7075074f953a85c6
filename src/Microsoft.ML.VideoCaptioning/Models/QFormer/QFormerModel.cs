using Microsoft.ML.VideoCaptioning.Engine;

namespace Microsoft.ML.VideoCaptioning.Models.QFormer;

// The trainable bridge (seed project stevebottos/vjepa2-video-captioning, models/qformer.py), read top-down:
// multi-head attention (torch.nn.MultiheadAttention layout) → block (post-norm attention, pre-norm MLP)
// → Q-Former. Learned queries attend to the projected V-JEPA features; the outputs are the LLM's visual prefix.
// Keys are the seed's state_dict names (without the "qformer." prefix). Spec: docs/ARCHITECTURE.md §4.

/// <summary>
/// torch.nn.MultiheadAttention (batch_first): packed <c>in_proj_weight</c> [3·dim, dim] (rows q, k, v) and
/// <c>in_proj_bias</c>, per-head softmax(q·kᵀ/√d)·v with dropout on the weights when training, then <c>out_proj</c>.
/// </summary>
public sealed class MultiheadAttention : Module
{
    public readonly Tensor in_proj_weight, in_proj_bias;
    public readonly Linear out_proj;
    private readonly int _heads;
    private readonly double _dropout;

    public MultiheadAttention(int dim, int heads, double dropout, TensorOptions o)
    {
        _heads = heads;
        _dropout = dropout;
        in_proj_weight = Parameter("in_proj_weight", Tensor.Empty([3 * dim, dim], o.DType, o.Device));
        in_proj_bias = Parameter("in_proj_bias", Tensor.Empty([3 * dim], o.DType, o.Device));
        out_proj = Child("out_proj", new Linear(dim, dim, true, o));
    }

    /// <summary>PyTorch's init: xavier_uniform in_proj, zero biases, default-Linear out_proj weight.</summary>
    public void ResetParameters()
    {
        long dim = in_proj_weight.Size(1);
        double bound = Math.Sqrt(6.0 / (dim + 3 * dim));
        in_proj_weight.UniformInPlace(-bound, bound);
        in_proj_bias.FillInPlace(0);
        out_proj.ResetParameters();
        out_proj.bias!.FillInPlace(0);
    }

    /// <summary>query (B, Lq, dim), key/value (B, Lk, dim); <paramref name="keyPaddingMask"/> (B, Lk) true = ignore.</summary>
    public Tensor Forward(Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask)
    {
        using var scope = TensorScope.Open();
        long b = query.Size(0), lq = query.Size(1), lk = key.Size(1), dim = query.Size(2), hd = dim / _heads;
        Tensor Project(Tensor x, int part, long len) =>
            F.Linear(x, in_proj_weight.Narrow(0, part * dim, dim), in_proj_bias.Narrow(0, part * dim, dim))
                .Reshape(b, len, _heads, hd).Transpose(1, 2);
        var q = Project(query, 0, lq);
        var k = Project(key, 1, lk);
        var v = Project(value, 2, lk);
        Tensor? mask = null;
        if (keyPaddingMask != null)
            mask = Tensor.Zeros([1], q.DType, q.Device).MaskedFill(keyPaddingMask.Unsqueeze(1).Unsqueeze(1), double.NegativeInfinity);
        var o = F.EagerAttention(q, k, v, mask, 1.0 / Math.Sqrt(hd), _dropout, Training);
        return out_proj.Forward(o.Transpose(1, 2).Reshape(b, lq, dim)).MoveToOuterScope();
    }
}

/// <summary><c>blocks.{i}</c>: q = LN1(q + SelfAttn(q)); q = LN2(q + CrossAttn(q, visual)); q = q + MLP(LN3(q)).</summary>
public sealed class QFormerBlock : Module
{
    public readonly MultiheadAttention self_attn, cross_attn;
    public readonly LayerNorm norm1, norm2, norm3;
    public readonly Linear mlp_0, mlp_3;
    private readonly QFormerConfig _c;

    public QFormerBlock(QFormerConfig c, TensorOptions o)
    {
        _c = c;
        self_attn = Child("self_attn", new MultiheadAttention(c.Dim, c.NumHeads, c.Dropout, o));
        cross_attn = Child("cross_attn", new MultiheadAttention(c.Dim, c.NumHeads, c.Dropout, o));
        norm1 = Child("norm1", new LayerNorm(c.Dim, c.LayerNormEps, o));
        norm2 = Child("norm2", new LayerNorm(c.Dim, c.LayerNormEps, o));
        norm3 = Child("norm3", new LayerNorm(c.Dim, c.LayerNormEps, o));
        mlp_0 = Child("mlp.0", new Linear(c.Dim, c.MlpDim, true, o));   // nn.Sequential(Linear, GELU, Dropout, Linear, Dropout)
        mlp_3 = Child("mlp.3", new Linear(c.MlpDim, c.Dim, true, o));
    }

    public void ResetParameters()
    {
        self_attn.ResetParameters();
        cross_attn.ResetParameters();
        mlp_0.ResetParameters();
        mlp_3.ResetParameters();
    }

    public Tensor Forward(Tensor q, Tensor visual, Tensor? visualMask)
    {
        using var scope = TensorScope.Open();
        q = norm1.Forward(q + F.Dropout(self_attn.Forward(q, q, q, null), _c.Dropout, Training));
        q = norm2.Forward(q + F.Dropout(cross_attn.Forward(q, visual, visual, visualMask), _c.Dropout, Training));
        var h = F.Dropout(mlp_0.Forward(norm3.Forward(q)).Gelu(), _c.MlpDropout, Training);
        q = q + F.Dropout(mlp_3.Forward(h), _c.MlpDropout, Training);
        return q.MoveToOuterScope();
    }
}

/// <summary>
/// The Q-Former: <c>query_tokens</c> (1, Q, dim) attend to <c>visual_proj</c>(features) through <c>blocks</c>, then
/// a final <c>norm</c>. Input (B, N, visual_dim) features, output (B, Q, dim) = the LLM's visual prefix.
/// </summary>
public sealed class QFormerModel : Module
{
    public readonly Tensor query_tokens;
    public readonly Tensor? visual_pos_embed_time, visual_pos_embed_row, visual_pos_embed_col;
    public readonly Linear visual_proj;
    public readonly QFormerBlock[] blocks;
    public readonly LayerNorm norm;

    public QFormerConfig Config { get; }

    public QFormerModel(QFormerConfig c, TensorOptions o)
    {
        c.Validate();
        Config = c;
        query_tokens = Parameter("query_tokens", Tensor.Empty([1, c.NumQueries, c.Dim], o.DType, o.Device));
        visual_proj = Child("visual_proj", new Linear(c.VisualDim, c.Dim, true, o));
        if (c.HasVisualGrid)
        {
            visual_pos_embed_time = Parameter("visual_pos_embed_time", Tensor.Empty([c.VisualGridTime, c.Dim], o.DType, o.Device));
            visual_pos_embed_row = Parameter("visual_pos_embed_row", Tensor.Empty([c.VisualGridHeight, c.Dim], o.DType, o.Device));
            visual_pos_embed_col = Parameter("visual_pos_embed_col", Tensor.Empty([c.VisualGridWidth, c.Dim], o.DType, o.Device));
        }
        blocks = Enumerable.Range(0, c.Depth).Select(i => Child($"blocks.{i}", new QFormerBlock(c, o))).ToArray();
        norm = Child("norm", new LayerNorm(c.Dim, c.LayerNormEps, o));
    }

    /// <summary>The seed's initialisation from libtorch's generator (seed it with <see cref="Torch.ManualSeed"/>).</summary>
    public void ResetParameters()
    {
        using var noGrad = Torch.NoGrad();
        query_tokens.NormalInPlace(0, 0.02);   // trunc_normal_(std=0.02) with the default ±2 absolute cut (100 σ)
        using (var s = TensorScope.Open()) query_tokens.CopyFrom(query_tokens.Clamp(-2, 2));
        visual_proj.ResetParameters();
        visual_pos_embed_time?.NormalInPlace(0, 0.02);
        visual_pos_embed_row?.NormalInPlace(0, 0.02);
        visual_pos_embed_col?.NormalInPlace(0, 0.02);
        foreach (var b in blocks) b.ResetParameters();
        norm.weight.FillInPlace(1);
        norm.bias.FillInPlace(0);
    }

    /// <summary>Loads <c>qformer_config.json</c> + <c>model.safetensors</c> from a directory.</summary>
    public static QFormerModel FromPretrained(string dir, TensorOptions? options = null) =>
        LoadFrom(new QFormerModel(QFormerConfig.Load(dir), options ?? TensorOptions.CpuFloat32), dir);

    /// <summary>Writes <c>qformer_config.json</c> and <c>model.safetensors</c> (float32) into <paramref name="dir"/>.</summary>
    public void SavePretrained(string dir)
    {
        Directory.CreateDirectory(dir);
        Config.Save(Path.Combine(dir, "qformer_config.json"));
        Save(Path.Combine(dir, "model.safetensors"));
    }

    /// <summary>time[t] + row[h] + col[w] for every token, in the encoder's order: (1, T·H·W, dim).</summary>
    public Tensor VisualPositionEmbedding()
    {
        using var scope = TensorScope.Open();
        long t = Config.VisualGridTime, h = Config.VisualGridHeight, w = Config.VisualGridWidth, d = Config.Dim;
        var grid = visual_pos_embed_time!.Reshape(t, 1, 1, d) + visual_pos_embed_row!.Reshape(1, h, 1, d) + visual_pos_embed_col!.Reshape(1, 1, w, d);
        return grid.Reshape(1, t * h * w, d).MoveToOuterScope();
    }

    /// <summary>features (B, N, visual_dim); <paramref name="visualMask"/> (B, N) true = ignore that token.</summary>
    public Tensor Forward(Tensor features, Tensor? visualMask = null)
    {
        using var scope = TensorScope.Open();
        var visual = visual_proj.Forward(features.To(query_tokens.DType));
        if (Config.HasVisualGrid)
        {
            if (visual.Size(1) != Config.VisualGridTokens)
                throw new ArgumentException($"The Q-Former has position embeddings for a {Config.VisualGridTime}×{Config.VisualGridHeight}×{Config.VisualGridWidth} grid of visual tokens ({Config.VisualGridTokens}) but got {visual.Size(1)} tokens; use the same frame count and crop size as in training.");
            visual = visual + VisualPositionEmbedding();
        }
        var q = query_tokens.Expand(features.Size(0), Config.NumQueries, Config.Dim);
        foreach (var b in blocks) q = b.Forward(q, visual, visualMask);
        return norm.Forward(q).MoveToOuterScope();
    }
}
