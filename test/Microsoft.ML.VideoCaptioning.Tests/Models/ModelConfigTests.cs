using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.VideoCaptioning.Models;
using Microsoft.ML.VideoCaptioning.Models.Qwen2;
using Microsoft.ML.VideoCaptioning.Models.VJepa2;

namespace Microsoft.ML.VideoCaptioning.Tests.Models;

/// <summary>
/// The Qwen2 and V-JEPA 2 config records against the fixtures' Hugging Face <c>config.json</c> files: the values read,
/// a Save/Load round trip, and every refusal of a switch the port does not implement (one edited key each).
/// </summary>
public class ModelConfigTests
{
    private static string FixtureConfig(string fixture) => Path.Combine(TestPaths.Fixtures, fixture, "config.json");

    [Fact]
    public void ReadsHuggingFaceQwen2Config()
    {
        var c = Qwen2Config.Load(Path.GetDirectoryName(FixtureConfig("qwen2_tiny_tied_bf16"))!);
        Assert.Equal((48, 3, 6, 2, 96, 1000), (c.HiddenSize, c.NumHiddenLayers, c.NumAttentionHeads, c.NumKeyValueHeads, c.IntermediateSize, c.VocabSize));
        Assert.Equal((8, 1e6, 1e-6, true, 3), (c.HeadDim, c.RopeTheta, c.RmsNormEps, c.TieWordEmbeddings, c.BosTokenId));
        Assert.Equal([3], c.EosTokenIds);
    }

    [Fact]
    public void ReadsHuggingFaceVJepa2Config()
    {
        var c = VJepa2Config.Load(FixtureConfig("vjepa2_tiny_f32"));
        Assert.Equal((128, 2, 2, 4.0, 16, 2, 64, 3, 1e-6, true),
            (c.HiddenSize, c.NumHiddenLayers, c.NumAttentionHeads, c.MlpRatio, c.PatchSize, c.TubeletSize, c.CropSize, c.InChans, c.LayerNormEps, c.QkvBias));
        Assert.Equal((64, 4), (c.HeadDim, c.GridSize));
    }

    [Fact]
    public void SaveThenLoadGivesTheSameValues()
    {
        var dir = Directory.CreateTempSubdirectory("vidcap-cfg-").FullName;
        try
        {
            var q = new Qwen2Config { HiddenSize = 32, NumHiddenLayers = 1, NumAttentionHeads = 4, NumKeyValueHeads = 2, IntermediateSize = 64, VocabSize = 100, EosTokenIds = [5, 7], BosTokenId = 1 };
            q.Save(Path.Combine(dir, "q.json"));
            var q2 = Qwen2Config.Load(Path.Combine(dir, "q.json"));
            Assert.Equal(JsonSerializer.Serialize(q), JsonSerializer.Serialize(q2));
            Assert.Equal([5, 7], q2.EosTokenIds);
            Assert.Equal((2, 8), (q2.NumKeyValueHeads, q2.HeadDim));
            var v = new VJepa2Config { HiddenSize = 64, NumHiddenLayers = 1, NumAttentionHeads = 2, PatchSize = 8, CropSize = 32 };
            v.Save(Path.Combine(dir, "v.json"));
            var v2 = VJepa2Config.Load(Path.Combine(dir, "v.json"));
            Assert.Equal(JsonSerializer.Serialize(v), JsonSerializer.Serialize(v2));
            Assert.Equal((8, 32, 32, 4), (v2.PatchSize, v2.CropSize, v2.ImageSize, v2.GridSize));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Theory]
    [InlineData("model_type", "\"llama\"", "model_type")]
    [InlineData("hidden_act", "\"gelu\"", "hidden_act")]
    [InlineData("use_sliding_window", "true", "use_sliding_window")]
    [InlineData("rope_scaling", "{\"type\": \"linear\", \"factor\": 2.0}", "rope_scaling")]
    [InlineData("head_dim", "16", "head_dim")]
    [InlineData("num_key_value_heads", "4", "num_key_value_heads")]
    [InlineData("hidden_size", "0", "positive")]
    [InlineData("hidden_size", null, "hidden_size")]
    [InlineData("eos_token_id", "\"x\"", "eos_token_id")]
    public void RefusesUnsupportedQwen2Configs(string key, string? json, string expected) =>
        AssertRefused(FixtureConfig("qwen2_tiny_tied_bf16"), key, json, expected, path => Qwen2Config.Load(path));

    [Theory]
    [InlineData("model_type", "\"vit\"", "model_type")]
    [InlineData("hidden_act", "\"silu\"", "hidden_act")]
    [InlineData("use_rope_interleave", "true", "use_rope_interleave")]
    [InlineData("use_modality_embeddings", "true", "use_modality_embeddings")]
    [InlineData("interpolate_rope", "true", "interpolate_rope")]
    [InlineData("use_context_projection", "true", "use_context_projection")]
    [InlineData("use_image_patch_embedder", "true", "use_image_patch_embedder")]
    [InlineData("hierarchical_layers", "[5, 11]", "hierarchical_layers")]
    [InlineData("crop_size", "72", "patch_size")]
    [InlineData("num_attention_heads", null, "num_attention_heads")]
    public void RefusesUnsupportedVJepa2Configs(string key, string? json, string expected) =>
        AssertRefused(FixtureConfig("vjepa2_tiny_f32"), key, json, expected, path => VJepa2Config.Load(path));

    /// <summary>Sets <paramref name="key"/> to <paramref name="json"/> (null removes it) and expects a refusal naming the file.</summary>
    private static void AssertRefused(string fixtureConfig, string key, string? json, string expected, Action<string> load)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("vidcap-cfg-").FullName, "config.json");
        try
        {
            var root = JsonNode.Parse(File.ReadAllText(fixtureConfig))!.AsObject();
            load(fixtureConfig);   // the unedited file loads
            if (json == null) root.Remove(key);
            else root[key] = JsonNode.Parse(json);
            File.WriteAllText(path, root.ToJsonString());
            var e = Assert.Throws<ModelConfigException>(() => load(path));
            Assert.Contains(expected, e.Message);
            Assert.Contains(path, e.Message);
        }
        finally { Directory.Delete(Path.GetDirectoryName(path)!, true); }
    }
}
