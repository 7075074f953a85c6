using System.Text.Json.Serialization;

namespace Microsoft.ML.VideoCaptioning.Models.QFormer;

/// <summary>Q-Former hyper-parameters (<c>qformer_config.json</c>); defaults are the seed's (39,453,696 parameters).</summary>
public sealed record QFormerConfig
{
    [JsonPropertyName("num_queries")] public int NumQueries { get; init; } = 64;
    /// <summary>Query width; must equal the LLM's hidden size (the outputs are its input embeddings).</summary>
    [JsonPropertyName("dim")] public int Dim { get; init; } = 1536;
    [JsonPropertyName("num_heads")] public int NumHeads { get; init; } = 4;
    [JsonPropertyName("depth")] public int Depth { get; init; } = 1;
    /// <summary>Width of the visual features (V-JEPA 2 ViT-L: 1024).</summary>
    [JsonPropertyName("visual_dim")] public int VisualDim { get; init; } = 1024;
    [JsonPropertyName("mlp_ratio")] public double MlpRatio { get; init; } = 4.0;
    [JsonPropertyName("layer_norm_eps")] public double LayerNormEps { get; init; } = 1e-5;
    /// <summary>Dropout on attention weights and attention outputs (training only).</summary>
    [JsonPropertyName("dropout")] public double Dropout { get; init; } = 0.1;
    /// <summary>Dropout inside the MLP (training only).</summary>
    [JsonPropertyName("mlp_dropout")] public double MlpDropout { get; init; } = 0.3;
    /// <summary>
    /// Visual token grid (time × height × width, the encoder's token order). When set, learned factorised position
    /// embeddings <c>visual_pos_embed_time</c> (T, dim), <c>visual_pos_embed_row</c> (H, dim) and
    /// <c>visual_pos_embed_col</c> (W, dim) are added to the projected visual tokens: token t·H·W + h·W + w gets
    /// time[t] + row[h] + col[w]. Off (0) in the seed: a strong encoder's features carry their position already; a weak
    /// one (the demo's tiny random encoder) needs it for motion. Factorised, each embedding learns from every clip, which
    /// generalises to unseen attribute combinations better than one embedding per token.
    /// </summary>
    [JsonPropertyName("visual_grid_time")] public int VisualGridTime { get; init; }
    [JsonPropertyName("visual_grid_height")] public int VisualGridHeight { get; init; }
    [JsonPropertyName("visual_grid_width")] public int VisualGridWidth { get; init; }

    /// <summary>Whether the visual position embeddings are on.</summary>
    [JsonIgnore] public bool HasVisualGrid => VisualGridTime > 0;

    /// <summary>Visual tokens per clip the position embeddings expect (0 when off).</summary>
    [JsonIgnore] public int VisualGridTokens => VisualGridTime * VisualGridHeight * VisualGridWidth;

    /// <summary>MLP width: int(dim · mlp_ratio).</summary>
    [JsonIgnore] public int MlpDim => (int)(Dim * MlpRatio);

    /// <summary>Refuses inconsistent values; <paramref name="source"/> (the file) starts every message.</summary>
    public void Validate(string source = "Q-Former config")
    {
        if (NumQueries < 1 || Dim < 1 || NumHeads < 1 || Depth < 1 || VisualDim < 1 || MlpRatio <= 0)
            throw new ModelConfigException($"{source}: num_queries, dim, num_heads, depth, visual_dim and mlp_ratio must be positive.");
        if (Dim % NumHeads != 0) throw new ModelConfigException($"{source}: dim {Dim} is not divisible by num_heads {NumHeads}.");
        if (Dropout is < 0 or >= 1 || MlpDropout is < 0 or >= 1) throw new ModelConfigException($"{source}: dropouts must be in [0, 1).");
        int[] grid = [VisualGridTime, VisualGridHeight, VisualGridWidth];
        if (!(grid.All(g => g == 0) || grid.All(g => g > 0)))
            throw new ModelConfigException($"{source}: visual_grid_time, visual_grid_height and visual_grid_width must all be positive (on) or all 0 (off).");
    }

    /// <summary>Reads <c>qformer_config.json</c> from a directory (or the file).</summary>
    public static QFormerConfig Load(string dirOrFile) => ModelConfigFile.Load<QFormerConfig>(dirOrFile, "qformer_config.json",
        "a Q-Former directory holds qformer_config.json and model.safetensors.", (c, path) => c.Validate(path));

    /// <summary>Writes the config as <c>qformer_config.json</c> content.</summary>
    public void Save(string path) => ModelConfigFile.Save(this, path);
}
