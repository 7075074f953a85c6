namespace Microsoft.ML.VideoCaptioning.Engine;

/// <summary>
/// Process-wide settings of the tensor engine: threads, RNG, CUDA queries, and the caching CPU allocator.
/// The engine initialises itself on first use: intra-op threads = cores (override with VIDCAP_NUM_THREADS),
/// OMP_WAIT_POLICY=PASSIVE unless set, the caching CPU allocator (VIDCAP_CPU_CACHE_MB, default 4096).
/// </summary>
public static class Torch
{
    private static readonly Lazy<bool> Initialized = new(Initialize);

    private static bool Initialize()
    {
        var threads = int.TryParse(Environment.GetEnvironmentVariable("VIDCAP_NUM_THREADS"), out var t) && t > 0
            ? t
            : Environment.GetEnvironmentVariable("OMP_NUM_THREADS") != null ? 0 : Environment.ProcessorCount;
        var cacheMb = long.TryParse(Environment.GetEnvironmentVariable("VIDCAP_CPU_CACHE_MB"), out var c) ? c : 4096;
        if (Native.vt_init(threads, cacheMb) != 0) throw new TorchException("engine initialisation failed: " + Native.LastError);
        return true;
    }

    /// <summary>Makes sure the native engine is loaded and initialised.</summary>
    public static void EnsureInitialized() => _ = Initialized.Value;

    /// <summary>libtorch version the shim was built against, e.g. "1.13.0".</summary>
    public static string Version { get { EnsureInitialized(); return System.Runtime.InteropServices.Marshal.PtrToStringUTF8(Native.vt_version())!; } }

    /// <summary>True when attention uses libtorch's fused scaled_dot_product_attention (libtorch ≥ 2.1).</summary>
    public static bool HasFusedAttention { get { EnsureInitialized(); return Native.vt_has_fused_sdpa() != 0; } }

    /// <summary>
    /// True when the CPU has bfloat16 dot-product instructions (AVX-512-BF16 or AMX-BF16, from /proc/cpuinfo; false
    /// elsewhere): there oneDNN's bfloat16 matrix products run 2–3× faster than float32's (docs/benchmarks.md).
    /// </summary>
    public static bool CpuHasBFloat16Products => CpuBFloat16.Value;

    private static readonly Lazy<bool> CpuBFloat16 = new(() =>
    {
        try
        {
            return File.Exists("/proc/cpuinfo") && File.ReadLines("/proc/cpuinfo").Any(l =>
                l.StartsWith("flags", StringComparison.Ordinal) && l.Split(' ', ':', '\t').Any(f => f is "avx512_bf16" or "amx_bf16"));
        }
        catch (IOException) { return false; }
    });

    /// <summary>Intra-op threads.</summary>
    public static int NumThreads
    {
        get { EnsureInitialized(); return Native.vt_get_num_threads(); }
        set { EnsureInitialized(); Check(Native.vt_set_num_threads(value), "set_num_threads"); }
    }

    /// <summary>libtorch's description of its parallel backend (OpenMP, MKL, threads).</summary>
    public static string ParallelInfo { get { EnsureInitialized(); return System.Runtime.InteropServices.Marshal.PtrToStringUTF8(Native.vt_parallel_info()) ?? ""; } }

    /// <summary>True when the shim was linked against a CUDA libtorch.</summary>
    public static bool CudaBuilt { get { EnsureInitialized(); return Native.vt_cuda_built() != 0; } }

    /// <summary>True when a CUDA device can be used.</summary>
    public static bool CudaIsAvailable { get { EnsureInitialized(); return Native.vt_cuda_is_available() != 0 && Native.vt_cuda_device_count() > 0; } }

    /// <summary>Number of CUDA devices.</summary>
    public static int CudaDeviceCount { get { EnsureInitialized(); return Native.vt_cuda_device_count(); } }

    /// <summary>Waits for all work on a CUDA device (for timing).</summary>
    public static void CudaSynchronize(int index = 0) { EnsureInitialized(); Check(Native.vt_cuda_synchronize(index), "cuda_synchronize"); }

    /// <summary>Returns cached CUDA memory to the driver.</summary>
    public static void CudaEmptyCache() { EnsureInitialized(); Check(Native.vt_cuda_empty_cache(), "cuda_empty_cache"); }

    /// <summary>CUDA memory of one device: allocated, reserved by the caching allocator, and peak allocated bytes.</summary>
    public static (long Allocated, long Reserved, long Peak) CudaMemory(int index = 0)
    {
        EnsureInitialized();
        Check(Native.vt_cuda_memory(index, out var a, out var r, out var p), "cuda_memory");
        return (a, r, p);
    }

    /// <summary>Bytes held by the caching CPU allocator, and its hit/miss counts.</summary>
    public static (long CachedBytes, long Hits, long Misses) CpuCacheStats
    {
        get { EnsureInitialized(); Native.vt_cpu_cache_stats(out var c, out var h, out var m); return (c, h, m); }
    }

    /// <summary>Frees the blocks held by the caching CPU allocator.</summary>
    public static void ClearCpuCache() { EnsureInitialized(); Native.vt_cpu_cache_clear(); }

    /// <summary>Seeds libtorch's generators on every device.</summary>
    public static void ManualSeed(ulong seed) { EnsureInitialized(); Native.vt_manual_seed(seed); }

    /// <summary>The state of the default generator of a device (a uint8 tensor), for checkpoints.</summary>
    public static byte[] GetRngState(Device device)
    {
        EnsureInitialized();
        using var t = Tensor.Wrap(Native.vt_rng_get_state((int)device.Type, device.Index), "rng_get_state");
        return t.ToArray<byte>();
    }

    /// <summary>Restores a state from <see cref="GetRngState"/>.</summary>
    public static void SetRngState(Device device, byte[] state)
    {
        using var t = Tensor.From(state, state.Length);
        Check(Native.vt_rng_set_state((int)device.Type, device.Index, t.Handle), "rng_set_state");
    }

    /// <summary>True when autograd records operations on this thread.</summary>
    public static bool IsGradEnabled { get { EnsureInitialized(); return Native.vt_grad_enabled() != 0; } }

    /// <summary>Disables autograd on this thread until disposed (thread-local: do not hold it across an await).</summary>
    public static GradModeScope NoGrad() => new(false);

    /// <summary>Enables autograd on this thread until disposed.</summary>
    public static GradModeScope EnableGrad() => new(true);

    internal static void Check(int rc, string op)
    {
        if (rc != 0) throw new TorchException($"{op} failed: {Native.LastError}");
    }
}

/// <summary>Sets the thread's autograd mode and restores the previous one when disposed.</summary>
public readonly struct GradModeScope : IDisposable
{
    private readonly bool _previous;

    internal GradModeScope(bool enabled)
    {
        Torch.EnsureInitialized();
        _previous = Native.vt_grad_enabled() != 0;
        Native.vt_set_grad_enabled(enabled ? 1 : 0);
    }

    /// <inheritdoc/>
    public void Dispose() => Native.vt_set_grad_enabled(_previous ? 1 : 0);
}
