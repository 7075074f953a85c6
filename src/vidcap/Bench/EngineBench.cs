using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Models.Qwen2;
using Microsoft.ML.VideoCaptioning.Models.VJepa2;

namespace Microsoft.ML.VideoCaptioning.Cli.Bench;

/// <summary>
/// Engine benchmark: per-op interop overhead, a ViT-L block forward (V-JEPA 2 layer, seq 4096, hidden 1024) and a
/// Qwen2-1.5B decoder layer forward+backward (seq 80), each against the same workload in PyTorch on the same libtorch
/// when a Python with torch is found (Debian's python3-torch), measured in the same run.
/// </summary>
public static class EngineBench
{
    public sealed record Row(string Workload, double OursMs, double? PyTorchMs)
    {
        public double? Ratio => PyTorchMs is { } p ? OursMs / p : null;
    }

    public sealed record Result(string Libtorch, int Threads, string Blas, string OpenblasCoretype, string OmpWaitPolicy, string? Python, List<Row> Rows);

    private static double MedianMs(int repeats, Action run)
    {
        run();   // warm-up (allocator cache, oneDNN primitives)
        var times = new List<double>();
        for (int i = 0; i < repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            run();
            times.Add(sw.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }

    public static Result Run(int seqVit = 4096, int seqQwen = 80, int repeats = 3, string? python = null, Action<string>? log = null)
    {
        Torch.ManualSeed(0);
        var rows = new List<Row>();
        log?.Invoke("per-op overhead");
        double opUs;
        using (var a = Tensor.Ones([1]))
        {
            const int n = 100_000;
            opUs = MedianMs(3, () =>
            {
                for (int i = 0; i < n; i++) (a + a).Dispose();
            }) * 1000 / n;
        }
        log?.Invoke("ViT-L block");
        double vit;
        var vitCfg = new VJepa2Config { HiddenSize = 1024, NumHiddenLayers = 1, NumAttentionHeads = 16, CropSize = 256 };
        using (var rope = new VJepa2Rope3D(vitCfg.HeadDim, vitCfg.GridSize))
        using (var layer = new VJepa2Layer(vitCfg, rope, TensorOptions.CpuFloat32))
        using (var noGrad = Torch.NoGrad())
        {
            RandomInit(layer);
            using var x = Tensor.Randn([1, seqVit, 1024]);
            var (cos, sin) = rope.Tables(seqVit, Device.Cpu, DType.Float32);
            vit = MedianMs(repeats, () => { using var s = TensorScope.Open(); layer.Forward(x, cos, sin); });
        }
        log?.Invoke("Qwen2-1.5B layer forward+backward");
        double qwen;
        var qCfg = new Qwen2Config { HiddenSize = 1536, NumHiddenLayers = 1, NumAttentionHeads = 12, NumKeyValueHeads = 2, IntermediateSize = 8960, VocabSize = 151936, RopeTheta = 1e6, TieWordEmbeddings = true, EosTokenIds = [151643] };
        using (var layer = new Qwen2DecoderLayer(qCfg, 0, TensorOptions.CpuFloat32))
        {
            RandomInit(layer);
            layer.Freeze();
            var rotary = new Qwen2RotaryEmbedding(qCfg.HeadDim, qCfg.RopeTheta);
            qwen = MedianMs(repeats, () =>
            {
                using var s = TensorScope.Open();
                var x = Tensor.Randn([1, seqQwen, 1536]);
                x.RequiresGrad = true;
                var (cos, sin) = rotary.Forward(Tensor.Arange(0, seqQwen).Unsqueeze(0), DType.Float32);
                var mask = Qwen2Model.CausalMask(1, seqQwen, 0, null, DType.Float32, Device.Cpu);
                layer.Forward(x, cos, sin, mask, null).Sum().Backward();
            });
        }
        python ??= FindPythonWithTorch();
        Dictionary<string, double>? py = null;
        if (python != null)
        {
            log?.Invoke($"PyTorch reference ({python})");
            py = RunPython(python, seqVit, seqQwen, repeats);
        }
        rows.Add(new Row("interop: one add of 1-element tensors (µs)", opUs, py?["op_us"]));
        rows.Add(new Row($"ViT-L block forward, seq {seqVit} (ms)", vit, py?["vit_ms"]));
        rows.Add(new Row($"Qwen2-1.5B layer fwd+bwd, seq {seqQwen} (ms)", qwen, py?["qwen_ms"]));
        return new Result(Torch.Version, Torch.NumThreads, BlasInUse(), Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") ?? "(unset)",
            Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "PASSIVE (set by vidcap)", python, rows);
    }

    /// <summary>Random N(0, 0.02) weights, unit norms — values do not change the cost.</summary>
    private static void RandomInit(Engine.Module m)
    {
        using var noGrad = Torch.NoGrad();
        foreach (var (name, p) in m.NamedParameters())
            if (name.EndsWith("norm1.weight") || name.EndsWith("norm2.weight") || name.EndsWith("layernorm.weight")) p.FillInPlace(1);
            else p.NormalInPlace(0, 0.02);
    }

    /// <summary>The BLAS library libtorch resolves (Debian alternatives) and OpenBLAS's own configuration string.</summary>
    public static string BlasInUse()
    {
        string alt = "";
        try { alt = new FileInfo("/etc/alternatives/libblas.so.3-x86_64-linux-gnu").LinkTarget ?? ""; } catch (IOException) { }
        if (NativeLibrary.TryLoad("libopenblas.so.0", out var h) && NativeLibrary.TryGetExport(h, "openblas_get_config", out var fn))
        {
            unsafe
            {
                var cfg = Marshal.PtrToStringUTF8(((delegate* unmanaged<IntPtr>)fn)()) ?? "";
                var core = NativeLibrary.TryGetExport(h, "openblas_get_corename", out var cn) ? Marshal.PtrToStringUTF8(((delegate* unmanaged<IntPtr>)cn)()) : "";
                return $"{alt} [{cfg}; kernels {core}]";
            }
        }
        return alt.Length > 0 ? alt : "unknown";
    }

    public static string? FindPythonWithTorch()
    {
        foreach (var p in new[] { Environment.GetEnvironmentVariable("VIDCAP_BENCH_PYTHON"), "/usr/bin/python3", "python3" })
        {
            if (string.IsNullOrEmpty(p)) continue;
            try
            {
                using var proc = Process.Start(new ProcessStartInfo(p, ["-c", "import torch"]) { RedirectStandardError = true, RedirectStandardOutput = true });
                if (proc == null) continue;
                proc.WaitForExit(60_000);
                if (proc.ExitCode == 0) return p;
            }
            catch (System.ComponentModel.Win32Exception) { }
        }
        return null;
    }

    private static Dictionary<string, double> RunPython(string python, int seqVit, int seqQwen, int repeats)
    {
        var script = Path.Combine(Path.GetTempPath(), $"vidcap-bench-{Environment.ProcessId}.py");
        File.WriteAllText(script, PythonScript);
        try
        {
            var psi = new ProcessStartInfo(python, [script, seqVit.ToString(), seqQwen.ToString(), repeats.ToString(), Torch.NumThreads.ToString()])
            { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.Environment["OMP_WAIT_POLICY"] = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "PASSIVE";
            using var proc = Process.Start(psi)!;
            var stdout = proc.StandardOutput.ReadToEnd();
            var stderr = proc.StandardError.ReadToEnd();
            proc.WaitForExit();
            if (proc.ExitCode != 0) throw new InvalidOperationException($"PyTorch reference failed: {stderr}");
            return JsonSerializer.Deserialize<Dictionary<string, double>>(stdout.Trim().Split('\n').Last())!;
        }
        finally { File.Delete(script); }
    }

    // The same workloads written in PyTorch (eager; F.scaled_dot_product_attention when the torch has it, as ours does).
    private const string PythonScript = """
import json, sys, time, math
import torch
import torch.nn.functional as F
seq_vit, seq_qwen, repeats, threads = map(int, sys.argv[1:5])
torch.set_num_threads(threads)
torch.manual_seed(0)
def median_ms(fn):
    fn()
    ts = []
    for _ in range(repeats):
        t = time.perf_counter(); fn(); ts.append((time.perf_counter() - t) * 1000)
    ts.sort(); return ts[len(ts) // 2]
sdpa = hasattr(F, "scaled_dot_product_attention")
def attention(q, k, v, mask=None):
    if sdpa: return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    a = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None: a = a + mask
    return torch.softmax(a, -1) @ v
a = torch.ones(1)
n = 100000
def ops():
    for _ in range(n): a + a
op_us = median_ms(ops) * 1000 / n
W = lambda o, i: torch.randn(o, i) * 0.02
B = lambda o: torch.randn(o) * 0.02
D, H, hd = 1024, 16, 64
vw = {k: (W(D, D), B(D)) for k in ["q", "k", "v", "p"]}
fc1, fc2 = (W(4096, D), B(4096)), (W(D, 4096), B(D))
cos, sin = torch.randn(seq_vit, hd), torch.randn(seq_vit, hd)
def rope(x):
    p = x.reshape(*x.shape[:-1], hd // 2, 2)
    return x * cos + torch.stack((-p[..., 1], p[..., 0]), -1).reshape(x.shape) * sin
x = torch.randn(1, seq_vit, D)
def vit():
    with torch.no_grad():
        y = F.layer_norm(x, (D,), torch.ones(D), torch.zeros(D), 1e-6)
        heads = lambda t: t.reshape(1, seq_vit, H, hd).transpose(1, 2)
        q = rope(heads(F.linear(y, *vw["q"]))); k = rope(heads(F.linear(y, *vw["k"]))); v = heads(F.linear(y, *vw["v"]))
        o = attention(q, k, v).transpose(1, 2).reshape(1, seq_vit, D)
        h = x + F.linear(o, *vw["p"])
        return h + F.linear(F.gelu(F.linear(F.layer_norm(h, (D,), torch.ones(D), torch.zeros(D), 1e-6), *fc1)), *fc2)
vit_ms = median_ms(vit)
Dq, Hq, KV, hq, I = 1536, 12, 2, 128, 8960
qw = {"q": (W(Dq, Dq), B(Dq)), "k": (W(256, Dq), B(256)), "v": (W(256, Dq), B(256))}
o_w, g_w, u_w, d_w = W(Dq, Dq), W(I, Dq), W(I, Dq), W(Dq, I)
n1, n2 = torch.ones(Dq), torch.ones(Dq)
def rms(x, w):
    h = x.float(); return w * (h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + 1e-6)).to(x.dtype)
inv = 1.0 / (1e6 ** (torch.arange(0, hq, 2).float() / hq))
def qwen():
    x = torch.randn(1, seq_qwen, Dq, requires_grad=True)
    pos = torch.arange(seq_qwen).float()
    f = torch.outer(pos, inv); emb = torch.cat([f, f], -1); c, s = emb.cos()[None, None], emb.sin()[None, None]
    rot = lambda t: torch.cat([-t[..., hq // 2:], t[..., :hq // 2]], -1)
    mask = torch.full((seq_qwen, seq_qwen), torch.finfo(torch.float32).min).triu(1)[None, None]
    y = rms(x, n1)
    q = F.linear(y, *qw["q"]).reshape(1, seq_qwen, Hq, hq).transpose(1, 2)
    k = F.linear(y, *qw["k"]).reshape(1, seq_qwen, KV, hq).transpose(1, 2)
    v = F.linear(y, *qw["v"]).reshape(1, seq_qwen, KV, hq).transpose(1, 2)
    q, k = q * c + rot(q) * s, k * c + rot(k) * s
    k, v = k.repeat_interleave(Hq // KV, 1), v.repeat_interleave(Hq // KV, 1)
    o = attention(q, k, v, mask).transpose(1, 2).reshape(1, seq_qwen, Dq)
    h = x + F.linear(o, o_w)
    z = rms(h, n2)
    out = h + F.linear(F.silu(F.linear(z, g_w)) * F.linear(z, u_w), d_w)
    out.sum().backward()
qwen_ms = median_ms(qwen)
print(json.dumps({"op_us": op_us, "vit_ms": vit_ms, "qwen_ms": qwen_ms}))
""";
}
