using System.Text.Json;
using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Models.Qwen2;
using Microsoft.ML.VideoCaptioning.Models.VJepa2;

namespace Microsoft.ML.VideoCaptioning.Models;

/// <summary>
/// Writes random-weight models in the exact Hugging Face layout (config.json + model.safetensors), for the demo, tests
/// and benchmarks of real-size shapes. Linear weights ~ N(0, 1/fan_in) so signals keep their scale through the layers,
/// biases 0, norms 1, embeddings ~ N(0, σ²) with σ = 2/√hidden by default, so tied logits start with a standard deviation
/// near 2 (neither flat nor saturated).
/// </summary>
public static class RandomModels
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Writes a Qwen2ForCausalLM directory.</summary>
    public static void WriteQwen2(string dir, Qwen2Config c, ulong seed, DType storage = DType.Float32, double? embeddingStd = null)
    {
        Directory.CreateDirectory(dir);
        var config = new Dictionary<string, object?>
        {
            ["architectures"] = new[] { "Qwen2ForCausalLM" }, ["model_type"] = "qwen2", ["hidden_act"] = "silu",
            ["hidden_size"] = c.HiddenSize, ["intermediate_size"] = c.IntermediateSize, ["num_hidden_layers"] = c.NumHiddenLayers,
            ["num_attention_heads"] = c.NumAttentionHeads, ["num_key_value_heads"] = c.NumKeyValueHeads, ["vocab_size"] = c.VocabSize,
            ["rope_theta"] = c.RopeTheta, ["rms_norm_eps"] = c.RmsNormEps, ["tie_word_embeddings"] = c.TieWordEmbeddings,
            ["bos_token_id"] = c.BosTokenId, ["eos_token_id"] = c.EosTokenIds.Length == 1 ? c.EosTokenIds[0] : c.EosTokenIds,
            ["max_position_embeddings"] = 32768, ["use_sliding_window"] = false, ["torch_dtype"] = storage.Name(),
        };
        File.WriteAllText(Path.Combine(dir, "config.json"), JsonSerializer.Serialize(config, Indented));
        using var m = new Qwen2ForCausalLM(c, TensorOptions.CpuFloat32);
        Fill(m, seed, embeddingStd ?? 2 / Math.Sqrt(c.HiddenSize), storage, Path.Combine(dir, "model.safetensors"));
    }

    /// <summary>Writes a VJEPA2Model directory (encoder only; no predictor weights).</summary>
    public static void WriteVJepa2(string dir, VJepa2Config c, ulong seed, DType storage = DType.Float32)
    {
        Directory.CreateDirectory(dir);
        var config = new Dictionary<string, object>
        {
            ["architectures"] = new[] { "VJEPA2Model" }, ["model_type"] = "vjepa2", ["hidden_act"] = "gelu",
            ["hidden_size"] = c.HiddenSize, ["num_hidden_layers"] = c.NumHiddenLayers, ["num_attention_heads"] = c.NumAttentionHeads,
            ["mlp_ratio"] = c.MlpRatio, ["patch_size"] = c.PatchSize, ["tubelet_size"] = c.TubeletSize, ["crop_size"] = c.CropSize,
            ["image_size"] = c.CropSize, ["in_chans"] = c.InChans, ["layer_norm_eps"] = c.LayerNormEps, ["qkv_bias"] = c.QkvBias,
            ["frames_per_clip"] = 64, ["torch_dtype"] = storage.Name(),
        };
        File.WriteAllText(Path.Combine(dir, "config.json"), JsonSerializer.Serialize(config, Indented));
        using var m = new VJepa2Model(c, TensorOptions.CpuFloat32);
        Fill(m, seed, 1.0, storage, Path.Combine(dir, "model.safetensors"));
    }

    private static void Fill(Engine.Module m, ulong seed, double embeddingStd, DType storage, string path)
    {
        Torch.ManualSeed(seed);
        using (Torch.NoGrad())
            foreach (var (name, p) in m.NamedParameters())
            {
                var shape = p.Shape;
                if (name.Contains("embed_tokens")) p.NormalInPlace(0, embeddingStd);
                else if (name.EndsWith(".bias")) p.FillInPlace(0);
                else if (shape.Length == 1) p.FillInPlace(1);   // norm weights
                else p.NormalInPlace(0, 1.0 / Math.Sqrt(shape.Skip(1).Aggregate(1L, (a, b) => a * b)));
            }
        using var scope = TensorScope.Open();
        SafeTensorsFile.Save(path, m.NamedParameters().Select(p => KeyValuePair.Create(p.Name, p.Value.To(storage))));
    }
}
