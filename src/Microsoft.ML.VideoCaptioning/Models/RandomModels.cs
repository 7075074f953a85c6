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
    /// <summary>Writes a Qwen2ForCausalLM directory.</summary>
    public static void WriteQwen2(string dir, Qwen2Config c, ulong seed, DType storage = DType.Float32, double? embeddingStd = null)
    {
        Directory.CreateDirectory(dir);
        (c with { TorchDtype = storage.Name() }).Save(Path.Combine(dir, "config.json"));
        using var m = new Qwen2ForCausalLM(c, TensorOptions.CpuFloat32);
        Fill(m, seed, embeddingStd ?? 2 / Math.Sqrt(c.HiddenSize), storage, Path.Combine(dir, "model.safetensors"));
    }

    /// <summary>Writes a VJEPA2Model directory (encoder only; no predictor weights).</summary>
    public static void WriteVJepa2(string dir, VJepa2Config c, ulong seed, DType storage = DType.Float32)
    {
        Directory.CreateDirectory(dir);
        (c with { TorchDtype = storage.Name() }).Save(Path.Combine(dir, "config.json"));
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
