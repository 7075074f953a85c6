using System.Text.Json;
using System.Text.Json.Serialization;

namespace Microsoft.ML.VideoCaptioning.Models.VJepa2;

/// <summary>
/// A V-JEPA 2 <c>config.json</c> (Hugging Face <c>configuration_vjepa2.py</c>): the fields the encoder uses, plus the
/// identity fields a saved directory needs. <see cref="Validate"/> refuses the V-JEPA 2.1 switches that would change
/// the features, and other model types or activations.
/// </summary>
public sealed record VJepa2Config
{
    private readonly int? _cropSize;
    private readonly int? _imageSize;

    [JsonPropertyName("architectures")] public string[]? Architectures { get; init; } = ["VJEPA2Model"];
    [JsonPropertyName("model_type")] public string? ModelType { get; init; } = "vjepa2";
    [JsonPropertyName("hidden_act")] public string? HiddenAct { get; init; } = "gelu";
    [JsonPropertyName("hidden_size")] public required int HiddenSize { get; init; }
    [JsonPropertyName("num_hidden_layers")] public required int NumHiddenLayers { get; init; }
    [JsonPropertyName("num_attention_heads")] public required int NumAttentionHeads { get; init; }
    [JsonPropertyName("mlp_ratio")] public double MlpRatio { get; init; } = 4.0;
    [JsonPropertyName("patch_size")] public int PatchSize { get; init; } = 16;
    [JsonPropertyName("tubelet_size")] public int TubeletSize { get; init; } = 2;

    /// <summary>Side of the square input; absent, <c>image_size</c> stands in (then 256).</summary>
    [JsonPropertyName("crop_size")]
    public int CropSize { get => _cropSize ?? _imageSize ?? 256; init => _cropSize = value; }

    /// <summary>The older name of <see cref="CropSize"/>; written equal to it.</summary>
    [JsonPropertyName("image_size")]
    public int ImageSize { get => _imageSize ?? CropSize; init => _imageSize = value; }

    [JsonPropertyName("in_chans")] public int InChans { get; init; } = 3;
    [JsonPropertyName("layer_norm_eps")] public double LayerNormEps { get; init; } = 1e-6;
    [JsonPropertyName("qkv_bias")] public bool QkvBias { get; init; } = true;
    [JsonPropertyName("frames_per_clip")] public int FramesPerClip { get; init; } = 64;

    /// <summary>Storage type of the weights ("float32", "bfloat16", …).</summary>
    [JsonPropertyName("torch_dtype"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TorchDtype { get; init; }

    // V-JEPA 2.1 switches: read so that they can be refused, written only when set.
    [JsonPropertyName("use_rope_interleave"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool UseRopeInterleave { get; init; }
    [JsonPropertyName("use_modality_embeddings"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool UseModalityEmbeddings { get; init; }
    [JsonPropertyName("interpolate_rope"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool InterpolateRope { get; init; }
    [JsonPropertyName("use_context_projection"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool UseContextProjection { get; init; }
    [JsonPropertyName("use_image_patch_embedder"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool UseImagePatchEmbedder { get; init; }
    [JsonPropertyName("hierarchical_layers"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? HierarchicalLayers { get; init; }

    [JsonIgnore] public int HeadDim => HiddenSize / NumAttentionHeads;

    /// <summary>fc1 width: int(hidden · mlp_ratio).</summary>
    [JsonIgnore] public int MlpDim => (int)(HiddenSize * MlpRatio);

    /// <summary>RoPE grid side: crop_size / patch_size (positions come from this grid, not from the input).</summary>
    [JsonIgnore] public int GridSize => CropSize / PatchSize;

    /// <summary>Refuses values this port cannot run; <paramref name="source"/> (the file) starts every message.</summary>
    public void Validate(string source = "V-JEPA 2 config")
    {
        if (ModelType != null && ModelType != "vjepa2")
            throw new ModelConfigException($"{source}: model_type is \"{ModelType}\"; this loader reads V-JEPA 2 models (model_type \"vjepa2\").");
        if (HiddenAct != null && HiddenAct != "gelu") throw new ModelConfigException($"{source}: hidden_act \"{HiddenAct}\" is not supported (V-JEPA 2 uses exact gelu).");
        foreach (var (flag, on) in new[] { ("use_rope_interleave", UseRopeInterleave), ("use_modality_embeddings", UseModalityEmbeddings),
                     ("interpolate_rope", InterpolateRope), ("use_context_projection", UseContextProjection), ("use_image_patch_embedder", UseImagePatchEmbedder) })
            if (on) throw new ModelConfigException($"{source}: {flag}=true (a V-JEPA 2.1 option) is not supported: the features would differ from V-JEPA 2.");
        if (HierarchicalLayers is { ValueKind: not JsonValueKind.Null } h && !(h.ValueKind == JsonValueKind.Array && h.GetArrayLength() == 0))
            throw new ModelConfigException($"{source}: hierarchical_layers is set (V-JEPA 2.1): get_vision_features would return a different tensor; not supported.");
        if (HiddenSize < 1 || NumHiddenLayers < 1 || NumAttentionHeads < 1 || MlpRatio <= 0 || PatchSize < 1 || TubeletSize < 1 || CropSize < 1 || InChans < 1)
            throw new ModelConfigException($"{source}: hidden_size, num_hidden_layers, num_attention_heads, mlp_ratio, patch_size, tubelet_size, crop_size and in_chans must be positive.");
        if (HiddenSize % NumAttentionHeads != 0) throw new ModelConfigException($"{source}: hidden_size must be divisible by num_attention_heads.");
        if (CropSize % PatchSize != 0) throw new ModelConfigException($"{source}: crop_size must be a multiple of patch_size.");
    }

    /// <summary>Reads and validates <c>config.json</c> of a model directory (or the file).</summary>
    public static VJepa2Config Load(string dirOrFile) => ModelConfigFile.Load<VJepa2Config>(dirOrFile, "config.json",
        "a Hugging Face model directory needs its config.json next to the weights.", (c, path) => c.Validate(path));

    /// <summary>Writes the config as <c>config.json</c> content.</summary>
    public void Save(string path) => ModelConfigFile.Save(this, path);
}
