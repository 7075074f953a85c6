using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Models;
using Microsoft.ML.VideoCaptioning.Models.VJepa2;

namespace Microsoft.ML.VideoCaptioning.Tests.Models;

/// <summary>Every case of every vjepa2_tiny* fixture against the PyTorch reference (fp32 compute; relative tolerance 1e-4).</summary>
public class VJepa2ConformanceTests
{
    public static TheoryData<string, string> Cases() => Fixture.AllCases("vjepa2_tiny");

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesReference(string fixture, string testCase)
    {
        using var f = Fixture.Open(fixture);
        Check(f, testCase);
    }

    /// <summary>Checks case <paramref name="testCase"/> of a vjepa2_tiny* fixture: features, and embeddings and layers when stored.</summary>
    public static void Check(Fixture f, string testCase)
    {
        using var model = VJepa2Model.FromPretrained(f.ModelDir);
        model.EagerAttention = true;
        using var scope = TensorScope.Open();
        using var noGrad = Torch.NoGrad();
        var layers = new List<Tensor>();
        var features = model.GetVisionFeatures(f.T($"{testCase}.pixel_values_videos"), layers);
        Fixture.AssertClose(f.T($"{testCase}.last_hidden_state"), features, what: "last_hidden_state");
        if (f.Has($"{testCase}.embeddings")) Fixture.AssertClose(f.T($"{testCase}.embeddings"), layers[0], what: "embeddings");
        for (int i = 0; f.Has($"{testCase}.layer_{i}"); i++) Fixture.AssertClose(f.T($"{testCase}.layer_{i}"), layers[i + 1], what: $"layer {i}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FusedAttentionPathMatchesReference(string fixture, string testCase)
    {
        using var f = Fixture.Open(fixture);
        using var model = VJepa2Model.FromPretrained(f.ModelDir);
        using var scope = TensorScope.Open();
        using var noGrad = Torch.NoGrad();
        model.EagerAttention = false;
        Fixture.AssertClose(f.T($"{testCase}.last_hidden_state"), model.GetVisionFeatures(f.T($"{testCase}.pixel_values_videos")), what: "sdpa path");
    }

    [Fact]
    public void Bfloat16ComputeStaysWithinTwoPercentOfFloat32()
    {
        // bf16 has an 8-bit mantissa (relative step 2^-8 ≈ 0.4 %); through 2 layers and a layernorm the observed error is
        // about 1 %. This bounds the bf16 path used on GPUs.
        using var f = Fixture.Open("vjepa2_tiny_f32");
        using var fp32 = VJepa2Model.FromPretrained(f.ModelDir);
        using var bf16 = VJepa2Model.FromPretrained(f.ModelDir, new TensorOptions(Device.Cpu, DType.BFloat16));
        using var scope = TensorScope.Open();
        using var noGrad = Torch.NoGrad();
        var x = f.T(f.Cases.First() + ".pixel_values_videos");
        Fixture.AssertClose(fp32.GetVisionFeatures(x), bf16.GetVisionFeatures(x).To(DType.Float32), tol: 2e-2, what: "bf16 vs fp32");
    }

    [Fact]
    public void RefusesVJepa21ConfigsAndReportsMissingWeights()
    {
        var root = Directory.CreateTempSubdirectory("vidcap-vj-").FullName;
        try
        {
            var encoder = TinyEncoder.Write(Path.Combine(root, "encoder"));
            var narrower = TinyEncoder.Write(Path.Combine(root, "narrower"), config: TinyEncoder.Config with { HiddenSize = 96 });
            var dir = Directory.CreateDirectory(Path.Combine(root, "model")).FullName;
            var cfg = File.ReadAllText(Path.Combine(encoder, "config.json"));
            File.WriteAllText(Path.Combine(dir, "config.json"), cfg.Replace("\"qkv_bias\": true", "\"qkv_bias\": true, \"use_rope_interleave\": true"));
            Assert.Contains("use_rope_interleave", Assert.Throws<ModelConfigException>(() => VJepa2Config.Load(dir)).Message);
            File.WriteAllText(Path.Combine(dir, "config.json"), cfg);
            Assert.Contains("model.safetensors", Assert.Throws<FileNotFoundException>(() => VJepa2Model.FromPretrained(dir)).Message);
            File.Copy(Path.Combine(narrower, "model.safetensors"), Path.Combine(dir, "model.safetensors"));
            var e = Assert.Throws<SafeTensorsFormatException>(() => VJepa2Model.FromPretrained(dir));
            Assert.Contains("shape", e.Message);
        }
        finally { Directory.Delete(root, true); }
    }
}
