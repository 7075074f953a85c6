/* vidcap_torch.h: the C ABI of the libtorch shim (vidcap_torch.cpp) that Microsoft.ML.VideoCaptioning calls
 * through Engine/Native.cs. Every export is declared here; vidcap_torch.cpp includes this file, so a definition
 * that drifts from its declaration does not compile, and the test NativeAbiTests checks that Native.cs imports
 * exactly these names and that each resolves in the built library.
 *
 * Conventions: one function per ATen op (no op codes). Tensors cross as opaque handles (vt_t, an at::Tensor* owned
 * by the caller and freed with vt_free). A function returning vt_t returns NULL on error; an action returning int
 * returns 0 on success and -1 on error, while queries (vt_dim, vt_dtype, vt_cuda_is_available, ...) return their
 * answer. The error text of the calling thread's last failure is vt_last_error(). dtype codes: 0 float32, 1 float16, 2 bfloat16, 3 int64,
 * 4 bool, 5 uint8, 6 int32, 7 float64 (-1 = unchanged where allowed), as Engine/DType.cs; device type codes as
 * Engine/Device.cs (0 CPU, 1 CUDA). Shapes and dimension lists are int64 arrays with an explicit length.
 */
#ifndef VIDCAP_TORCH_H
#define VIDCAP_TORCH_H

#include <stdint.h>

#if defined(__GNUC__)
#define VT_EXPORT __attribute__((visibility("default")))
#else
#define VT_EXPORT
#endif

#ifdef __cplusplus
namespace at { class Tensor; }
typedef at::Tensor* vt_t;
extern "C" {
#else
typedef struct vt_tensor* vt_t; /* opaque: an at::Tensor* */
#endif

/* Library state */
VT_EXPORT const char* vt_last_error(void);
VT_EXPORT const char* vt_version(void);
VT_EXPORT int vt_init(int num_threads, long long cpu_cache_limit_mb);
VT_EXPORT int vt_get_num_threads(void);
VT_EXPORT int vt_set_num_threads(int n);
VT_EXPORT const char* vt_parallel_info(void);
VT_EXPORT void vt_cpu_cache_stats(long long* cached_bytes, long long* hits, long long* misses);
VT_EXPORT void vt_cpu_cache_clear(void);
VT_EXPORT int vt_cuda_is_available(void);
VT_EXPORT int vt_cuda_device_count(void);
VT_EXPORT int vt_cuda_built(void);
VT_EXPORT int vt_cuda_synchronize(int index);
VT_EXPORT int vt_cuda_empty_cache(void);
VT_EXPORT int vt_cuda_memory(int index, long long* allocated, long long* reserved, long long* peak);

/* Tensor lifetime and metadata */
VT_EXPORT void vt_free(vt_t t);
VT_EXPORT int vt_dim(vt_t t);
VT_EXPORT int vt_shape(vt_t t, int64_t* out);
VT_EXPORT int64_t vt_numel(vt_t t);
VT_EXPORT int vt_dtype(vt_t t);
VT_EXPORT int vt_device_type(vt_t t);
VT_EXPORT int vt_device_index(vt_t t);
VT_EXPORT int vt_requires_grad(vt_t t);
VT_EXPORT int vt_is_contiguous(vt_t t);
VT_EXPORT void* vt_data_ptr(vt_t t);

/* Creation and copies */
VT_EXPORT vt_t vt_from_data(const void* data, const int64_t* shape, int ndim, int dtype, int dev_type, int dev_index);
VT_EXPORT int vt_copy_to_host(vt_t t, void* dst, int64_t nbytes);
VT_EXPORT vt_t vt_empty(const int64_t* shape, int ndim, int dtype, int dt, int di);
VT_EXPORT vt_t vt_zeros(const int64_t* shape, int ndim, int dtype, int dt, int di);
VT_EXPORT vt_t vt_full(const int64_t* shape, int ndim, double value, int dtype, int dt, int di);
VT_EXPORT vt_t vt_arange(double start, double end, double step, int dtype, int dt, int di);
VT_EXPORT vt_t vt_randn(const int64_t* shape, int ndim, int dtype, int dt, int di);
VT_EXPORT vt_t vt_rand(const int64_t* shape, int ndim, int dtype, int dt, int di);
VT_EXPORT vt_t vt_to(vt_t t, int dtype, int dev_type, int dev_index, int copy);
VT_EXPORT vt_t vt_clone(vt_t t);
VT_EXPORT vt_t vt_detach(vt_t t);
VT_EXPORT vt_t vt_alias(vt_t t);
VT_EXPORT vt_t vt_contiguous(vt_t t);
VT_EXPORT int vt_copy_(vt_t dst, vt_t src);
VT_EXPORT double vt_item(vt_t t);

/* RNG */
VT_EXPORT void vt_manual_seed(uint64_t seed);
VT_EXPORT vt_t vt_rng_get_state(int dev_type, int dev_index);
VT_EXPORT int vt_rng_set_state(int dev_type, int dev_index, vt_t state);
VT_EXPORT int vt_normal_(vt_t t, double mean, double std);
VT_EXPORT int vt_uniform_(vt_t t, double from, double to);
VT_EXPORT vt_t vt_multinomial(vt_t probs, int64_t n, int replacement);

/* Autograd */
VT_EXPORT int vt_set_requires_grad(vt_t t, int on);
VT_EXPORT int vt_backward(vt_t t, vt_t grad);
VT_EXPORT int vt_grad(vt_t t, vt_t* out);
VT_EXPORT int vt_zero_grad(vt_t t);
VT_EXPORT int vt_grad_enabled(void);
VT_EXPORT void vt_set_grad_enabled(int on);

/* Elementwise arithmetic */
VT_EXPORT vt_t vt_add(vt_t a, vt_t b, double alpha);
VT_EXPORT vt_t vt_sub(vt_t a, vt_t b);
VT_EXPORT vt_t vt_mul(vt_t a, vt_t b);
VT_EXPORT vt_t vt_div(vt_t a, vt_t b);
VT_EXPORT vt_t vt_add_scalar(vt_t a, double s);
VT_EXPORT vt_t vt_mul_scalar(vt_t a, double s);
VT_EXPORT vt_t vt_rsub_scalar(vt_t a, double s);
VT_EXPORT vt_t vt_pow_scalar(vt_t a, double s);
VT_EXPORT vt_t vt_maximum(vt_t a, vt_t b);
VT_EXPORT vt_t vt_minimum(vt_t a, vt_t b);
VT_EXPORT vt_t vt_clamp(vt_t a, double lo, double hi);
VT_EXPORT vt_t vt_neg(vt_t a);
VT_EXPORT vt_t vt_exp(vt_t a);
VT_EXPORT vt_t vt_log(vt_t a);
VT_EXPORT vt_t vt_sqrt(vt_t a);
VT_EXPORT vt_t vt_rsqrt(vt_t a);
VT_EXPORT vt_t vt_tanh(vt_t a);
VT_EXPORT vt_t vt_sin(vt_t a);
VT_EXPORT vt_t vt_cos(vt_t a);
VT_EXPORT vt_t vt_abs(vt_t a);
VT_EXPORT vt_t vt_sigmoid(vt_t a);
VT_EXPORT vt_t vt_relu(vt_t a);
VT_EXPORT vt_t vt_silu(vt_t a);
VT_EXPORT vt_t vt_gelu(vt_t a);
VT_EXPORT vt_t vt_gelu_tanh(vt_t a);
VT_EXPORT vt_t vt_erf(vt_t a);
VT_EXPORT vt_t vt_logical_not(vt_t a);
VT_EXPORT vt_t vt_isfinite(vt_t a);
VT_EXPORT vt_t vt_floor(vt_t a);
VT_EXPORT vt_t vt_round(vt_t a);
VT_EXPORT vt_t vt_eq(vt_t a, vt_t b);
VT_EXPORT vt_t vt_eq_scalar(vt_t a, double s);
VT_EXPORT vt_t vt_ne(vt_t a, vt_t b);
VT_EXPORT vt_t vt_ne_scalar(vt_t a, double s);
VT_EXPORT vt_t vt_lt(vt_t a, vt_t b);
VT_EXPORT vt_t vt_lt_scalar(vt_t a, double s);
VT_EXPORT vt_t vt_le(vt_t a, vt_t b);
VT_EXPORT vt_t vt_le_scalar(vt_t a, double s);
VT_EXPORT vt_t vt_gt(vt_t a, vt_t b);
VT_EXPORT vt_t vt_gt_scalar(vt_t a, double s);
VT_EXPORT vt_t vt_ge(vt_t a, vt_t b);
VT_EXPORT vt_t vt_ge_scalar(vt_t a, double s);
VT_EXPORT vt_t vt_logical_and(vt_t a, vt_t b);
VT_EXPORT vt_t vt_logical_or(vt_t a, vt_t b);
VT_EXPORT vt_t vt_where(vt_t cond, vt_t a, vt_t b);
VT_EXPORT vt_t vt_masked_fill(vt_t a, vt_t mask, double value);
VT_EXPORT int vt_mul_scalar_(vt_t a, double s);
VT_EXPORT int vt_add_(vt_t a, vt_t b, double alpha);
VT_EXPORT int vt_addcmul_(vt_t a, vt_t b, vt_t c, double value);
VT_EXPORT int vt_addcdiv_(vt_t a, vt_t b, vt_t c, double value);
VT_EXPORT int vt_lerp_(vt_t a, vt_t end, double weight);
VT_EXPORT int vt_fill_(vt_t a, double value);

/* Reductions */
VT_EXPORT vt_t vt_sum(vt_t a, const int64_t* d, int nd, int keepdim, int dtype);
VT_EXPORT vt_t vt_mean(vt_t a, const int64_t* d, int nd, int keepdim);
VT_EXPORT vt_t vt_amax(vt_t a, int64_t dim, int keepdim);
VT_EXPORT vt_t vt_argmax(vt_t a, int64_t dim, int keepdim);
VT_EXPORT vt_t vt_logsumexp(vt_t a, int64_t dim, int keepdim);
VT_EXPORT vt_t vt_cumsum(vt_t a, int64_t dim);
VT_EXPORT vt_t vt_norm(vt_t a, double p);
VT_EXPORT int vt_topk(vt_t a, int64_t k, int64_t dim, int largest, vt_t* values, vt_t* indices);
VT_EXPORT int vt_sort(vt_t a, int64_t dim, int descending, vt_t* values, vt_t* indices);

/* Linear algebra */
VT_EXPORT vt_t vt_matmul(vt_t a, vt_t b);
VT_EXPORT vt_t vt_bmm(vt_t a, vt_t b);
VT_EXPORT vt_t vt_linear(vt_t x, vt_t w, vt_t b);
VT_EXPORT vt_t vt_conv3d(vt_t x, vt_t w, vt_t b, const int64_t* stride, const int64_t* padding);

/* Neural-network functions */
VT_EXPORT vt_t vt_softmax(vt_t a, int64_t dim, int dtype);
VT_EXPORT vt_t vt_log_softmax(vt_t a, int64_t dim, int dtype);
VT_EXPORT vt_t vt_layer_norm(vt_t x, const int64_t* shape, int nd, vt_t w, vt_t b, double eps);
VT_EXPORT vt_t vt_rms_norm(vt_t x, vt_t w, double eps);
VT_EXPORT vt_t vt_dropout(vt_t x, double p, int train);
VT_EXPORT vt_t vt_embedding(vt_t weight, vt_t ids);
VT_EXPORT vt_t vt_cross_entropy(vt_t logits, vt_t target, int64_t ignore_index, int reduction);
VT_EXPORT vt_t vt_sdpa(vt_t q, vt_t k, vt_t v, vt_t mask, double dropout_p, int is_causal, double scale);
VT_EXPORT int vt_has_fused_sdpa(void);

/* Shape and indexing */
VT_EXPORT vt_t vt_reshape(vt_t a, const int64_t* shape, int nd);
VT_EXPORT vt_t vt_permute(vt_t a, const int64_t* order, int nd);
VT_EXPORT vt_t vt_transpose(vt_t a, int64_t d0, int64_t d1);
VT_EXPORT vt_t vt_expand(vt_t a, const int64_t* shape, int nd);
VT_EXPORT vt_t vt_unsqueeze(vt_t a, int64_t dim);
VT_EXPORT vt_t vt_squeeze(vt_t a, int64_t dim);
VT_EXPORT vt_t vt_narrow(vt_t a, int64_t dim, int64_t start, int64_t length);
VT_EXPORT vt_t vt_select(vt_t a, int64_t dim, int64_t index);
VT_EXPORT vt_t vt_repeat(vt_t a, const int64_t* reps, int nd);
VT_EXPORT vt_t vt_repeat_interleave(vt_t a, int64_t repeats, int64_t dim);
VT_EXPORT vt_t vt_index_select(vt_t a, int64_t dim, vt_t index);
VT_EXPORT vt_t vt_gather(vt_t a, int64_t dim, vt_t index);
VT_EXPORT vt_t vt_triu(vt_t a, int64_t diagonal);
VT_EXPORT vt_t vt_cat(vt_t* list, int n, int64_t dim);
VT_EXPORT vt_t vt_stack(vt_t* list, int n, int64_t dim);

#ifdef __cplusplus
}
#endif

#endif /* VIDCAP_TORCH_H */
