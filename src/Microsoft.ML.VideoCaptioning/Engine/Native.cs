using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Microsoft.ML.VideoCaptioning.Engine;

/// <summary>
/// P/Invoke declarations of the native shim, one per exported function of src/native/vidcap_torch.h (the test
/// NativeAbiTests keeps the two lists equal and checks that every entry point resolves).
/// Tensors cross the boundary as raw at::Tensor* handles; <see cref="Tensor"/> owns them.
/// </summary>
internal static unsafe partial class Native
{
    internal const string Lib = "vidcap_torch";
    private const string LibFile = "libvidcap_torch.so";

    /// <summary>Environment variable naming the shim file (or its folder) explicitly.</summary>
    internal const string PathVariable = "VIDCAP_NATIVE_PATH";

    [ModuleInitializer]
    internal static void RegisterResolver() =>
        NativeLibrary.SetDllImportResolver(typeof(Native).Assembly, Resolve);

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Lib) return IntPtr.Zero;
        // libgomp reads OMP_WAIT_POLICY when it loads (as a dependency of libtorch), so set it first, through
        // libc: Environment.SetEnvironmentVariable does not reach native code. Spinning OpenMP workers steal
        // the cores from OpenBLAS's threads (docs/ENGINE.md: a Qwen2 layer ran 35 % faster with PASSIVE).
        if (Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") == null) setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
        foreach (var candidate in Candidates())
            if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out var h)) return h;
        if (NativeLibrary.TryLoad(LibFile, assembly, path, out var handle)) return handle;
        throw new DllNotFoundException(
            $"The native tensor engine {LibFile} was not found (looked in {string.Join(", ", Candidates())} and the default " +
            $"search path). Build it with ./build.sh, or set {PathVariable} to its path. It also needs libtorch: on Debian " +
            "'apt-get install libtorch-dev libopenblas0-pthread'.");
    }

    private static IEnumerable<string> Candidates()
    {
        var explicitPath = Environment.GetEnvironmentVariable(PathVariable);
        if (!string.IsNullOrEmpty(explicitPath))
            yield return Directory.Exists(explicitPath) ? Path.Combine(explicitPath, LibFile) : explicitPath;
        var baseDir = AppContext.BaseDirectory;
        yield return Path.Combine(baseDir, "runtimes", "linux-x64", "native", LibFile);
        yield return Path.Combine(baseDir, LibFile);
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);

    internal static string LastError => Marshal.PtrToStringUTF8(vt_last_error()) ?? "unknown error";

    // library state
    [LibraryImport(Lib)] internal static partial IntPtr vt_last_error();
    [LibraryImport(Lib)] internal static partial IntPtr vt_version();
    [LibraryImport(Lib)] internal static partial int vt_init(int numThreads, long cpuCacheLimitMb);
    [LibraryImport(Lib)] internal static partial int vt_get_num_threads();
    [LibraryImport(Lib)] internal static partial int vt_set_num_threads(int n);
    [LibraryImport(Lib)] internal static partial IntPtr vt_parallel_info();
    [LibraryImport(Lib)] internal static partial void vt_cpu_cache_stats(out long cached, out long hits, out long misses);
    [LibraryImport(Lib)] internal static partial void vt_cpu_cache_clear();
    [LibraryImport(Lib)] internal static partial int vt_cuda_is_available();
    [LibraryImport(Lib)] internal static partial int vt_cuda_device_count();
    [LibraryImport(Lib)] internal static partial int vt_cuda_built();
    [LibraryImport(Lib)] internal static partial int vt_cuda_synchronize(int index);
    [LibraryImport(Lib)] internal static partial int vt_cuda_empty_cache();
    [LibraryImport(Lib)] internal static partial int vt_cuda_memory(int index, out long allocated, out long reserved, out long peak);
    [LibraryImport(Lib)] internal static partial int vt_has_fused_sdpa();

    // lifetime and metadata
    [LibraryImport(Lib)] internal static partial void vt_free(IntPtr t);
    [LibraryImport(Lib)] internal static partial int vt_dim(IntPtr t);
    [LibraryImport(Lib)] internal static partial int vt_shape(IntPtr t, long* output);
    [LibraryImport(Lib)] internal static partial long vt_numel(IntPtr t);
    [LibraryImport(Lib)] internal static partial int vt_dtype(IntPtr t);
    [LibraryImport(Lib)] internal static partial int vt_device_type(IntPtr t);
    [LibraryImport(Lib)] internal static partial int vt_device_index(IntPtr t);
    [LibraryImport(Lib)] internal static partial int vt_requires_grad(IntPtr t);
    [LibraryImport(Lib)] internal static partial int vt_is_contiguous(IntPtr t);
    [LibraryImport(Lib)] internal static partial IntPtr vt_data_ptr(IntPtr t);

    // creation and copies
    [LibraryImport(Lib)] internal static partial IntPtr vt_from_data(void* data, long* shape, int ndim, int dtype, int devType, int devIndex);
    [LibraryImport(Lib)] internal static partial int vt_copy_to_host(IntPtr t, void* dst, long nbytes);
    [LibraryImport(Lib)] internal static partial IntPtr vt_empty(long* shape, int ndim, int dtype, int devType, int devIndex);
    [LibraryImport(Lib)] internal static partial IntPtr vt_zeros(long* shape, int ndim, int dtype, int devType, int devIndex);
    [LibraryImport(Lib)] internal static partial IntPtr vt_full(long* shape, int ndim, double value, int dtype, int devType, int devIndex);
    [LibraryImport(Lib)] internal static partial IntPtr vt_arange(double start, double end, double step, int dtype, int devType, int devIndex);
    [LibraryImport(Lib)] internal static partial IntPtr vt_randn(long* shape, int ndim, int dtype, int devType, int devIndex);
    [LibraryImport(Lib)] internal static partial IntPtr vt_rand(long* shape, int ndim, int dtype, int devType, int devIndex);
    [LibraryImport(Lib)] internal static partial IntPtr vt_to(IntPtr t, int dtype, int devType, int devIndex, int copy);
    [LibraryImport(Lib)] internal static partial IntPtr vt_clone(IntPtr t);
    [LibraryImport(Lib)] internal static partial IntPtr vt_detach(IntPtr t);
    [LibraryImport(Lib)] internal static partial IntPtr vt_alias(IntPtr t);
    [LibraryImport(Lib)] internal static partial IntPtr vt_contiguous(IntPtr t);
    [LibraryImport(Lib)] internal static partial int vt_copy_(IntPtr dst, IntPtr src);
    [LibraryImport(Lib)] internal static partial double vt_item(IntPtr t);

    // RNG
    [LibraryImport(Lib)] internal static partial void vt_manual_seed(ulong seed);
    [LibraryImport(Lib)] internal static partial IntPtr vt_rng_get_state(int devType, int devIndex);
    [LibraryImport(Lib)] internal static partial int vt_rng_set_state(int devType, int devIndex, IntPtr state);
    [LibraryImport(Lib)] internal static partial int vt_normal_(IntPtr t, double mean, double std);
    [LibraryImport(Lib)] internal static partial int vt_uniform_(IntPtr t, double from, double to);
    [LibraryImport(Lib)] internal static partial IntPtr vt_multinomial(IntPtr probs, long n, int replacement);

    // autograd
    [LibraryImport(Lib)] internal static partial int vt_set_requires_grad(IntPtr t, int on);
    [LibraryImport(Lib)] internal static partial int vt_backward(IntPtr t, IntPtr grad);
    [LibraryImport(Lib)] internal static partial int vt_grad(IntPtr t, out IntPtr grad);
    [LibraryImport(Lib)] internal static partial int vt_zero_grad(IntPtr t);
    [LibraryImport(Lib)] internal static partial int vt_grad_enabled();
    [LibraryImport(Lib)] internal static partial void vt_set_grad_enabled(int on);

    // elementwise
    [LibraryImport(Lib)] internal static partial IntPtr vt_add(IntPtr a, IntPtr b, double alpha);
    [LibraryImport(Lib)] internal static partial IntPtr vt_sub(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr vt_mul(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr vt_div(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr vt_add_scalar(IntPtr a, double s);
    [LibraryImport(Lib)] internal static partial IntPtr vt_mul_scalar(IntPtr a, double s);
    [LibraryImport(Lib)] internal static partial IntPtr vt_rsub_scalar(IntPtr a, double s);
    [LibraryImport(Lib)] internal static partial IntPtr vt_pow_scalar(IntPtr a, double s);
    [LibraryImport(Lib)] internal static partial IntPtr vt_maximum(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr vt_minimum(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr vt_clamp(IntPtr a, double lo, double hi);
    [LibraryImport(Lib)] internal static partial IntPtr vt_neg(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr vt_exp(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr vt_log(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr vt_sqrt(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr vt_rsqrt(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr vt_tanh(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr vt_sin(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr vt_cos(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr vt_abs(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr vt_sigmoid(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr vt_relu(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr vt_silu(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr vt_gelu(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr vt_gelu_tanh(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr vt_erf(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr vt_logical_not(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr vt_isfinite(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr vt_floor(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr vt_round(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr vt_eq(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr vt_eq_scalar(IntPtr a, double s);
    [LibraryImport(Lib)] internal static partial IntPtr vt_ne(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr vt_ne_scalar(IntPtr a, double s);
    [LibraryImport(Lib)] internal static partial IntPtr vt_lt(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr vt_lt_scalar(IntPtr a, double s);
    [LibraryImport(Lib)] internal static partial IntPtr vt_le(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr vt_le_scalar(IntPtr a, double s);
    [LibraryImport(Lib)] internal static partial IntPtr vt_gt(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr vt_gt_scalar(IntPtr a, double s);
    [LibraryImport(Lib)] internal static partial IntPtr vt_ge(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr vt_ge_scalar(IntPtr a, double s);
    [LibraryImport(Lib)] internal static partial IntPtr vt_logical_and(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr vt_logical_or(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr vt_where(IntPtr cond, IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr vt_masked_fill(IntPtr a, IntPtr mask, double value);
    [LibraryImport(Lib)] internal static partial int vt_mul_scalar_(IntPtr a, double s);
    [LibraryImport(Lib)] internal static partial int vt_add_(IntPtr a, IntPtr b, double alpha);
    [LibraryImport(Lib)] internal static partial int vt_addcmul_(IntPtr a, IntPtr b, IntPtr c, double value);
    [LibraryImport(Lib)] internal static partial int vt_addcdiv_(IntPtr a, IntPtr b, IntPtr c, double value);
    [LibraryImport(Lib)] internal static partial int vt_lerp_(IntPtr a, IntPtr end, double weight);
    [LibraryImport(Lib)] internal static partial int vt_fill_(IntPtr a, double value);

    // reductions
    [LibraryImport(Lib)] internal static partial IntPtr vt_sum(IntPtr a, long* dims, int nd, int keepdim, int dtype);
    [LibraryImport(Lib)] internal static partial IntPtr vt_mean(IntPtr a, long* dims, int nd, int keepdim);
    [LibraryImport(Lib)] internal static partial IntPtr vt_amax(IntPtr a, long dim, int keepdim);
    [LibraryImport(Lib)] internal static partial IntPtr vt_argmax(IntPtr a, long dim, int keepdim);
    [LibraryImport(Lib)] internal static partial IntPtr vt_logsumexp(IntPtr a, long dim, int keepdim);
    [LibraryImport(Lib)] internal static partial IntPtr vt_cumsum(IntPtr a, long dim);
    [LibraryImport(Lib)] internal static partial IntPtr vt_norm(IntPtr a, double p);
    [LibraryImport(Lib)] internal static partial int vt_topk(IntPtr a, long k, long dim, int largest, out IntPtr values, out IntPtr indices);
    [LibraryImport(Lib)] internal static partial int vt_sort(IntPtr a, long dim, int descending, out IntPtr values, out IntPtr indices);

    // linear algebra and nn
    [LibraryImport(Lib)] internal static partial IntPtr vt_matmul(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr vt_bmm(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr vt_linear(IntPtr x, IntPtr w, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr vt_conv3d(IntPtr x, IntPtr w, IntPtr b, long* stride, long* padding);
    [LibraryImport(Lib)] internal static partial IntPtr vt_softmax(IntPtr a, long dim, int dtype);
    [LibraryImport(Lib)] internal static partial IntPtr vt_log_softmax(IntPtr a, long dim, int dtype);
    [LibraryImport(Lib)] internal static partial IntPtr vt_layer_norm(IntPtr x, long* shape, int nd, IntPtr w, IntPtr b, double eps);
    [LibraryImport(Lib)] internal static partial IntPtr vt_rms_norm(IntPtr x, IntPtr w, double eps);
    [LibraryImport(Lib)] internal static partial IntPtr vt_dropout(IntPtr x, double p, int train);
    [LibraryImport(Lib)] internal static partial IntPtr vt_embedding(IntPtr weight, IntPtr ids);
    [LibraryImport(Lib)] internal static partial IntPtr vt_cross_entropy(IntPtr logits, IntPtr target, long ignoreIndex, int reduction);
    [LibraryImport(Lib)] internal static partial IntPtr vt_sdpa(IntPtr q, IntPtr k, IntPtr v, IntPtr mask, double dropoutP, int isCausal, double scale);

    // shape and indexing
    [LibraryImport(Lib)] internal static partial IntPtr vt_reshape(IntPtr a, long* shape, int nd);
    [LibraryImport(Lib)] internal static partial IntPtr vt_permute(IntPtr a, long* order, int nd);
    [LibraryImport(Lib)] internal static partial IntPtr vt_transpose(IntPtr a, long d0, long d1);
    [LibraryImport(Lib)] internal static partial IntPtr vt_expand(IntPtr a, long* shape, int nd);
    [LibraryImport(Lib)] internal static partial IntPtr vt_unsqueeze(IntPtr a, long dim);
    [LibraryImport(Lib)] internal static partial IntPtr vt_squeeze(IntPtr a, long dim);
    [LibraryImport(Lib)] internal static partial IntPtr vt_narrow(IntPtr a, long dim, long start, long length);
    [LibraryImport(Lib)] internal static partial IntPtr vt_select(IntPtr a, long dim, long index);
    [LibraryImport(Lib)] internal static partial IntPtr vt_repeat(IntPtr a, long* reps, int nd);
    [LibraryImport(Lib)] internal static partial IntPtr vt_repeat_interleave(IntPtr a, long repeats, long dim);
    [LibraryImport(Lib)] internal static partial IntPtr vt_index_select(IntPtr a, long dim, IntPtr index);
    [LibraryImport(Lib)] internal static partial IntPtr vt_gather(IntPtr a, long dim, IntPtr index);
    [LibraryImport(Lib)] internal static partial IntPtr vt_triu(IntPtr a, long diagonal);
    [LibraryImport(Lib)] internal static partial IntPtr vt_cat(IntPtr* list, int n, long dim);
    [LibraryImport(Lib)] internal static partial IntPtr vt_stack(IntPtr* list, int n, long dim);
}
