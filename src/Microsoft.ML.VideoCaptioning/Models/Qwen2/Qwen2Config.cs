using System.Text.Json;
using System.Text.Json.Serialization;

namespace Microsoft.ML.VideoCaptioning.Models.Qwen2;

/// <summary>
/// A Qwen2 <c>config.json</c> (Hugging Face <c>configuration_qwen2.py</c>): the fields that affect the numbers, plus the
/// identity fields a saved directory needs. <see cref="Validate"/> refuses the switches this port does not implement
/// (other model types or activations, sliding-window attention, RoPE scaling, a free head_dim).
/// </summary>
public sealed record Qwen2Config
{
    private readonly int? _numKeyValueHeads;
    private readonly int? _headDim;

    [JsonPropertyName("architectures")] public string[]? Architectures { get; init; } = ["Qwen2ForCausalLM"];
    [JsonPropertyName("model_type")] public string? ModelType { get; init; } = "qwen2";
    [JsonPropertyName("hidden_act")] public string? HiddenAct { get; init; } = "silu";
    [JsonPropertyName("hidden_size")] public required int HiddenSize { get; init; }
    [JsonPropertyName("intermediate_size")] public required int IntermediateSize { get; init; }
    [JsonPropertyName("num_hidden_layers")] public required int NumHiddenLayers { get; init; }
    [JsonPropertyName("num_attention_heads")] public required int NumAttentionHeads { get; init; }

    /// <summary>Key/value heads (grouped-query attention); absent means one per attention head.</summary>
    [JsonPropertyName("num_key_value_heads")]
    public int NumKeyValueHeads { get => _numKeyValueHeads ?? NumAttentionHeads; init => _numKeyValueHeads = value; }

    /// <summary>Per-head width; only hidden_size / num_attention_heads is supported.</summary>
    [JsonPropertyName("head_dim")]
    public int HeadDim { get => _headDim ?? HiddenSize / NumAttentionHeads; init => _headDim = value; }

    [JsonPropertyName("vocab_size")] public required int VocabSize { get; init; }
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; init; } = 32768;
    [JsonPropertyName("rope_theta")] public double RopeTheta { get; init; } = 10000.0;
    [JsonPropertyName("rms_norm_eps")] public double RmsNormEps { get; init; } = 1e-6;
    [JsonPropertyName("tie_word_embeddings")] public bool TieWordEmbeddings { get; init; }
    [JsonPropertyName("use_sliding_window")] public bool UseSlidingWindow { get; init; }

    /// <summary>Must be absent or null: only the default RoPE is implemented.</summary>
    [JsonPropertyName("rope_scaling"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? RopeScaling { get; init; }

    [JsonPropertyName("bos_token_id")] public int? BosTokenId { get; init; }

    /// <summary>End-of-sequence ids (an integer or a list in the file).</summary>
    [JsonPropertyName("eos_token_id"), JsonConverter(typeof(IntOrIntListConverter))]
    public int[] EosTokenIds { get; init; } = [];

    /// <summary>Storage type of the weights ("float32", "bfloat16", …).</summary>
    [JsonPropertyName("torch_dtype"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TorchDtype { get; init; }

    /// <summary>Refuses values this port cannot run; <paramref name="source"/> (the file) starts every message.</summary>
    public void Validate(string source = "Qwen2 config")
    {
        if (ModelType != null && ModelType != "qwen2")
            throw new ModelConfigException($"{source}: model_type is \"{ModelType}\"; this loader reads Qwen2 models (model_type \"qwen2\").");
        if (HiddenAct != null && HiddenAct != "silu") throw new ModelConfigException($"{source}: hidden_act \"{HiddenAct}\" is not supported (Qwen2 uses silu).");
        if (UseSlidingWindow) throw new ModelConfigException($"{source}: use_sliding_window=true is not supported.");
        if (RopeScaling is { ValueKind: not JsonValueKind.Null } rs)
            throw new ModelConfigException($"{source}: rope_scaling {rs.GetRawText()} is not supported (default RoPE only).");
        if (HiddenSize < 1 || IntermediateSize < 1 || NumHiddenLayers < 1 || NumAttentionHeads < 1 || NumKeyValueHeads < 1 || VocabSize < 1)
            throw new ModelConfigException($"{source}: hidden_size, intermediate_size, num_hidden_layers, num_attention_heads, num_key_value_heads and vocab_size must be positive.");
        if (HiddenSize % NumAttentionHeads != 0) throw new ModelConfigException($"{source}: hidden_size must be divisible by num_attention_heads.");
        if (NumAttentionHeads % NumKeyValueHeads != 0) throw new ModelConfigException($"{source}: num_attention_heads must be divisible by num_key_value_heads.");
        if (HeadDim != HiddenSize / NumAttentionHeads)
            throw new ModelConfigException($"{source}: head_dim different from hidden_size/num_attention_heads is not supported.");
    }

    /// <summary>Reads and validates <c>config.json</c> of a model directory (or the file).</summary>
    public static Qwen2Config Load(string dirOrFile) => ModelConfigFile.Load<Qwen2Config>(dirOrFile, "config.json",
        "a Hugging Face model directory needs its config.json next to the weights.", (c, path) => c.Validate(path));

    /// <summary>Writes the config as <c>config.json</c> content.</summary>
    public void Save(string path) => ModelConfigFile.Save(this, path);
}
