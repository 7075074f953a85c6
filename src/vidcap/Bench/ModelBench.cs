using System.Diagnostics;
using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Features;
using Microsoft.ML.VideoCaptioning.Models;
using Microsoft.ML.VideoCaptioning.Models.QFormer;
using Microsoft.ML.VideoCaptioning.Models.Qwen2;
using Microsoft.ML.VideoCaptioning.Models.VJepa2;
using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning.Cli.Bench;

/// <summary>A benchmark line: workload, figure, unit, an optional reference figure it is compared with, and the target.</summary>
public sealed record BenchRow(string Workload, double Value, string Unit, double? Reference = null, string? ReferenceName = null, string? Target = null)
{
    public double? Ratio => Reference is { } r && r != 0 ? Value / r : null;
}

/// <summary>Speed of the model-level workloads on this machine (random weights in the real shapes).</summary>
public static class ModelBench
{
    private static double Seconds(Action a)
    {
        var sw = Stopwatch.StartNew();
        a();
        return sw.Elapsed.TotalSeconds;
    }

    private static void RandomFill(Engine.Module m, double std = 0.02)
    {
        using var noGrad = Torch.NoGrad();
        foreach (var (name, p) in m.NamedParameters())
            if (p.Shape.Length == 1) p.FillInPlace(name.EndsWith("bias") ? 0 : 1);
            else p.NormalInPlace(0, std);
    }

    /// <summary>
    /// Featurizer clips/s on a tiny model (crop 64, 16 frames) in the default compute type, and one ViT-L layer at 32 frames
    /// × 256² (4096 tokens) in float32 and in bfloat16 in the same run (median of 3 after a warm-up). The encoder figures
    /// are 24 × the layer (the tubelet conv and the final layer norm are not included). Target (issue 19): a 32-frame
    /// clip in ≤ 20 s.
    /// </summary>
    public static List<BenchRow> Featurize(int clips = 8)
    {
        var rows = new List<BenchRow>();
        var dir = Directory.CreateTempSubdirectory("vidcap-bench-").FullName;
        try
        {
            RandomModels.WriteVJepa2(dir, new VJepa2Config { HiddenSize = 128, NumHiddenLayers = 2, NumAttentionHeads = 4, CropSize = 64 }, seed: 1);
            using var f = new VJepaFeaturizer(dir, new VJepaEncoderOptions { BatchSize = 4 });
            var clip = new SampledClip
            {
                Path = "random", Info = null!, Pixels = Enumerable.Range(0, 16 * 3 * 64 * 64).Select(i => (float)Math.Sin(i)).ToArray(),
                FrameCount = 16, Height = 64, Width = 64, ValidMask = Enumerable.Repeat(true, 16).ToArray(), SourceFrameIndices = Enumerable.Range(0, 16).ToArray(),
            };
            var batch = Enumerable.Repeat(clip, clips).ToList();
            foreach (var (_, t) in f.FeaturizeAll(batch.Take(4))) t.Dispose();
            double s = Seconds(() => { foreach (var (_, t) in f.FeaturizeAll(batch)) t.Dispose(); });
            rows.Add(new BenchRow($"featurizer, tiny V-JEPA 2 (2 layers, hidden 128), 16×64² clips, {f.ComputeType.Name()} (default here)", clips / s, "clips/s"));
        }
        finally { Directory.Delete(dir, true); }
        const int layers = 24;
        const double target = 20;
        var auto = VJepaFeaturizer.DefaultComputeType(Device.Cpu);
        double? fp32 = null;
        foreach (var dtype in new[] { DType.Float32, DType.BFloat16 })
        {
            double layerS = VitLLayerSeconds(dtype);
            string name = dtype.Name() + (dtype == auto ? " (default here)" : "");
            rows.Add(new BenchRow($"ViT-L layer forward, 4096 tokens, {name}", layerS, "s", fp32 / layers, fp32 != null ? "float32, same run" : null, $"≤ {target / layers:F2} s"));
            rows.Add(new BenchRow($"ViT-L encoder forward, 32×256² clip ({layers} × layer), {name}", layerS * layers, "s", fp32, fp32 != null ? "float32, same run" : null, $"≤ {target} s"));
            fp32 ??= layerS * layers;
        }
        return rows;
    }

    /// <summary>Median of 3 timed forwards (after one warm-up) of a random ViT-L layer over 4096 tokens in <paramref name="dtype"/>.</summary>
    private static double VitLLayerSeconds(DType dtype)
    {
        // The shim's CPU cache holds at most 4 GB: blocks kept from the other type's run would leave this one's
        // 0.5–1 GiB attention buffers uncached, page-faulted afresh on every call (a featurizer runs one type only).
        Torch.ClearCpuCache();
        var cfg = new VJepa2Config { HiddenSize = 1024, NumHiddenLayers = 1, NumAttentionHeads = 16, CropSize = 256 };
        using var rope = new VJepa2Rope3D(cfg.HeadDim, cfg.GridSize);
        using var layer = new VJepa2Layer(cfg, rope, new TensorOptions(Device.Cpu, dtype));
        RandomFill(layer);
        using var noGrad = Torch.NoGrad();
        using var x = Tensor.Randn([1, 4096, 1024], VJepa2Model.StreamType(dtype));
        var (cos, sin) = rope.Tables(4096, Device.Cpu, dtype);
        void Forward() { using var s = TensorScope.Open(); layer.Forward(x, cos, sin); }
        Forward();
        var times = Enumerable.Range(0, 3).Select(_ => Seconds(Forward)).Order().ToList();
        return times[1];
    }

    /// <summary>
    /// Greedy generation tokens/s (new tokens over the whole call, prefill included) at batch 1 and 32: the tiny fixture-size
    /// model, and a random Qwen2-0.5B-shaped model in float32 (the CPU default), with bfloat16 products in the decoder
    /// layers over a float32 stream (<c>layerProducts</c>; greedy ids from a bfloat16 head's top candidates rescored in float32), and in bfloat16 (opt-in: <c>LanguageModelDType</c>). At batch 32 the prefill (the 68-token prefix) and the decode steps are also timed apart
    /// (a 1-token call against the full call), the float32 and bfloat16 ones each with their GEMMs alone timed in the same run (the model's own weights and
    /// shapes: the bound the matrix products allow); the other rows compare with the float32 rows of the same run.
    /// </summary>
    public static List<BenchRow> Generate(int newTokens = 16, bool large = true)
    {
        const int prefix = 68;
        const string target = "≥ 80 tokens/s (issue 19)";
        var rows = new List<BenchRow>();
        var tiny = new Qwen2Config { HiddenSize = 64, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2, IntermediateSize = 128, VocabSize = 151936, RopeTheta = 1e6, TieWordEmbeddings = true, EosTokenIds = [151643] };
        var half = new Qwen2Config { HiddenSize = 896, NumHiddenLayers = 24, NumAttentionHeads = 14, NumKeyValueHeads = 2, IntermediateSize = 4864, VocabSize = 151936, RopeTheta = 1e6, TieWordEmbeddings = true, EosTokenIds = [151643] };
        var runs = new List<(string Name, Qwen2Config Cfg, DType Type, DType? Products)> { ("tiny (hidden 64, 2 layers)", tiny, DType.Float32, null) };
        if (large)
        {
            runs.Add(("Qwen2-0.5B shape, float32", half, DType.Float32, null));
            runs.Add(("Qwen2-0.5B shape, bfloat16 layer products, float32 stream", half, DType.Float32, DType.BFloat16));
            runs.Add(("Qwen2-0.5B shape, bfloat16", half, DType.BFloat16, null));
        }
        var float32 = new Dictionary<string, double>();
        var o = new GenerationOptions { MaxNewTokens = newTokens, EosTokenIds = [-1], PadTokenId = 0 };   // never stops early
        foreach (var (name, cfg, type, products) in runs)
        {
            bool plain32 = type == DType.Float32 && products == null, plain = products == null;
            using var lm = new Qwen2ForCausalLM(cfg, new TensorOptions(Device.Cpu, type), products);
            RandomFill(lm);
            foreach (int b in new[] { 1, 32 })
            {
                using var scope = TensorScope.Open();
                var embeds = Tensor.Randn([b, prefix, cfg.HiddenSize]).To(type);
                Qwen2Generator.Generate(lm, embeds, null, o with { MaxNewTokens = 2 });
                double s = Seconds(() => Qwen2Generator.Generate(lm, embeds, null, o));
                bool real = cfg == half && b == 32;
                double gemms = cfg == half && plain ? GemmSeconds(lm, b, prefix, newTokens) : double.NaN;
                var parts = new List<(string Part, double Value, double Bound)> { ("", b * newTokens / s, b * newTokens / gemms) };
                if (real)
                {
                    double prefill = Seconds(() => Qwen2Generator.Generate(lm, embeds, null, o with { MaxNewTokens = 1 }));
                    double prefillGemms = plain ? GemmSeconds(lm, b, prefix, 1) : double.NaN;
                    parts.Add((", prefill (prefix tokens/s)", b * prefix / prefill, b * prefix / prefillGemms));
                    parts.Add((", decode steps after the prefill", b * (newTokens - 1) / (s - prefill), b * (newTokens - 1) / (gemms - prefillGemms)));
                }
                foreach (var (part, value, bound) in parts)
                {
                    string workload = $"greedy generation, {name}, batch {b}, {prefix}-token prefix, {newTokens} new tokens{part}";
                    string key = $"{b}{part}";
                    if (plain32 && cfg == half) float32[key] = value;
                    var target1 = real && part == "" ? target : null;
                    rows.Add(!plain32
                        ? new BenchRow(workload, value, "tokens/s", float32[key], "float32, same run", target1)
                        : new BenchRow(workload, value, "tokens/s", cfg == half ? bound : null, cfg == half ? "its GEMMs alone, same run" : null, target1));
                    // the bfloat16 matrix products alone: what any generation whose products run in bfloat16 could reach here
                    if (type == DType.BFloat16 && plain && cfg == half)
                        rows.Add(new BenchRow($"{workload}: its GEMMs alone (the bound for the bfloat16 and mixed rows)", bound, "tokens/s", float32[key], "float32, same run", target1));
                }
            }
        }
        return rows;
    }

    /// <summary>
    /// Seconds of the matrix products alone of a greedy generation (prefill over <paramref name="prefix"/> positions, then
    /// <paramref name="newTokens"/> − 1 one-token steps; the vocabulary head on one position per row each time), on the
    /// model's own weights: what the generation would take if nothing but its GEMMs cost time.
    /// </summary>
    private static double GemmSeconds(Qwen2ForCausalLM lm, int batch, int prefix, int newTokens)
    {
        using var noGrad = Torch.NoGrad();
        using var scope = TensorScope.Open();
        var c = lm.Config;
        var type = lm.model.norm.weight.DType;
        void Pass(long rows)
        {
            using var s = TensorScope.Open();
            var h = Tensor.Randn([rows, c.HiddenSize]).To(type);
            var i = Tensor.Randn([rows, c.IntermediateSize]).To(type);
            foreach (var layer in lm.model.layers)
            {
                using var l = TensorScope.Open();
                var a = layer.self_attn;
                a.q_proj.Forward(h); a.k_proj.Forward(h); a.v_proj.Forward(h); a.o_proj.Forward(h);
                layer.mlp.gate_proj.Forward(h); layer.mlp.up_proj.Forward(h); layer.mlp.down_proj.Forward(i);
            }
            lm.Logits(h.Narrow(0, 0, batch));
        }
        Pass(batch);   // warm
        return Seconds(() =>
        {
            Pass((long)batch * prefix);
            for (int t = 1; t < newTokens; t++) Pass(batch);
        });
    }

    /// <summary>
    /// Seconds per training sample (forward + backward + AdamW, batch 8): a tiny setup, and the seed-size Q-Former over a
    /// frozen random Qwen2-0.5B-shaped model with 4096×1024 features. docs/ENGINE.md measured 6.8–7.5 s per sample over
    /// Qwen2-1.5B (limit 3.9–5.4 s); 0.5B has about a third of its FLOPs.
    /// </summary>
    public static List<BenchRow> Train(bool large = true, int batch = 8)
    {
        var rows = new List<BenchRow>();
        var setups = new List<(string Name, Qwen2Config Lm, QFormerConfig Q, int Tokens, int VisualDim)>
        {
            ("tiny: Q-Former 16 queries over a 64-wide Qwen2", new Qwen2Config { HiddenSize = 64, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2, IntermediateSize = 128, VocabSize = 151936, RopeTheta = 1e6, TieWordEmbeddings = true, EosTokenIds = [151643] },
                new QFormerConfig { NumQueries = 16, Dim = 64, VisualDim = 128, NumHeads = 4, Depth = 2 }, 128, 128),
        };
        if (large)
            setups.Add(("seed Q-Former (64 queries) over Qwen2-0.5B shape, 4096×1024 features",
                new Qwen2Config { HiddenSize = 896, NumHiddenLayers = 24, NumAttentionHeads = 14, NumKeyValueHeads = 2, IntermediateSize = 4864, VocabSize = 151936, RopeTheta = 1e6, TieWordEmbeddings = true, EosTokenIds = [151643] },
                new QFormerConfig { Dim = 896, VisualDim = 1024 }, 4096, 1024));
        foreach (var (name, lmCfg, qCfg, tokens, vdim) in setups)
        {
            using var lm = new Qwen2ForCausalLM(lmCfg, TensorOptions.CpuFloat32);
            RandomFill(lm);
            lm.Freeze();
            using var q = new QFormerModel(qCfg, TensorOptions.CpuFloat32);
            q.ResetParameters();
            q.RequiresGrad(true);
            q.Train();
            var model = new VideoCaptionModel(q, lm, [64, 2766, 9027, 25]);
            using var opt = new AdamW(q.Parameters(), 5e-5, 0.03);
            using var feats = Tensor.Randn([batch, tokens, vdim]);
            using var ids = Tensor.From(Enumerable.Range(0, batch * 12).Select(i => (long)(1000 + i)).ToArray(), batch, 12);
            using var mask = Tensor.Ones([batch, 12], DType.Int64);
            void Step()
            {
                using var s = TensorScope.Open();
                opt.ZeroGrad();
                model.Loss(feats, ids, mask, true).Backward();
                opt.Step();
            }
            Step();
            double sec = Seconds(Step);
            rows.Add(new BenchRow($"training step, {name}", sec / batch, "s/sample"));
        }
        return rows;
    }

    /// <summary>Clips/s of frame sampling for the given real clips and a generated 1080p clip.</summary>
    public static List<BenchRow> Video(IReadOnlyList<string> clips) =>
        VideoBenchmark.Run(clips, repetitions: 2).Select(r => new BenchRow($"video sampling: {r.Name} ({r.Clips} clips, {r.MaxParallelism} workers)", r.ClipsPerSecond, "clips/s")).ToList();
}
