// vidcap_torch: a thin C ABI over ATen for Microsoft.ML.VideoCaptioning; every export is declared in vidcap_torch.h.
//
// Rules: one exported function per ATen op; no model logic; no C++ exception crosses extern "C".
// Functions returning a tensor return a heap-allocated at::Tensor* (freed by vt_free) or NULL on error;
// functions returning int return 0 on success and -1 on error. The error text is in vt_last_error().
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/Generator.h>
#include <c10/core/CPUAllocator.h>
#if __has_include(<c10/core/alloc_cpu.h>)
#include <c10/core/alloc_cpu.h>
#else
#include <c10/core/impl/alloc_cpu.h>
#endif
#include <torch/csrc/api/include/torch/version.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/variable.h>
#ifdef VIDCAP_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#endif

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "vidcap_torch.h"

#define VT_API extern "C" VT_EXPORT
#define TV_AT_LEAST(maj, min) (TORCH_VERSION_MAJOR > (maj) || (TORCH_VERSION_MAJOR == (maj) && TORCH_VERSION_MINOR >= (min)))

static thread_local std::string g_error;

static void set_error(const char* what) { g_error = what ? what : "unknown error"; }

#define API_BEGIN try {
#define API_END_PTR                                                       \
  }                                                                       \
  catch (const c10::Error& e) { set_error(e.what_without_backtrace()); }  \
  catch (const std::exception& e) { set_error(e.what()); }                \
  catch (...) { set_error("unknown C++ exception"); }                     \
  return nullptr;
#define API_END_INT                                                       \
  return 0;                                                               \
  }                                                                       \
  catch (const c10::Error& e) { set_error(e.what_without_backtrace()); }  \
  catch (const std::exception& e) { set_error(e.what()); }                \
  catch (...) { set_error("unknown C++ exception"); }                     \
  return -1;

static vt_t wrap(at::Tensor t) { return new at::Tensor(std::move(t)); }
static at::IntArrayRef dims(const int64_t* d, int n) { return at::IntArrayRef(d, static_cast<size_t>(n)); }
// A double from C# as an ATen scalar: integral when the tensor is integral and the value is a whole number, so
// integer tensors stay integer (positions, masks) instead of being promoted or rejected.
static at::Scalar scalar_for(const at::Tensor& t, double v) {
  if (!t.is_floating_point() && !t.is_complex() && std::nearbyint(v) == v) return at::Scalar(static_cast<int64_t>(v));
  return at::Scalar(v);
}
static c10::optional<at::Tensor> opt(vt_t t) { return t ? c10::optional<at::Tensor>(*t) : c10::nullopt; }

// dtype codes shared with Engine/DType.cs
static at::ScalarType to_scalar(int code) {
  switch (code) {
    case 0: return at::kFloat;
    case 1: return at::kHalf;
    case 2: return at::kBFloat16;
    case 3: return at::kLong;
    case 4: return at::kBool;
    case 5: return at::kByte;
    case 6: return at::kInt;
    case 7: return at::kDouble;
  }
  throw std::invalid_argument("unknown dtype code " + std::to_string(code));
}
static int from_scalar(at::ScalarType s) {
  switch (s) {
    case at::kFloat: return 0;
    case at::kHalf: return 1;
    case at::kBFloat16: return 2;
    case at::kLong: return 3;
    case at::kBool: return 4;
    case at::kByte: return 5;
    case at::kInt: return 6;
    case at::kDouble: return 7;
    default: return -1;
  }
}
static at::Device to_device(int type, int index) {
  if (type == 0) return at::Device(at::kCPU);
  if (type == 1) return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index));
  throw std::invalid_argument("unknown device type " + std::to_string(type));
}
static at::TensorOptions options(int dtype, int dev_type, int dev_index) {
  return at::TensorOptions().dtype(to_scalar(dtype)).device(to_device(dev_type, dev_index));
}

// ---------------------------------------------------------------------------------------------------
// Caching CPU allocator: free lists per size class for blocks >= 1 MiB, bounded total. glibc serves large
// blocks with fresh mmap, so without it every large temporary is page-faulted again (docs/ENGINE.md). Sizes are
// rounded up to 8 classes per power of two (at most 12.5 % slack), so temporaries whose size changes a little
// from step to step (a batch's caption tokens times the vocabulary) reuse each other's blocks.
namespace {
constexpr size_t kMinCached = 1 << 20;

size_t size_class(size_t n) {
  size_t pow2 = kMinCached;
  while (pow2 <= n / 2) pow2 <<= 1;  // largest power of two <= n
  size_t step = pow2 / 8;
  return (n + step - 1) / step * step;
}

struct CachingCpuAllocator final : public c10::Allocator {
  std::mutex mu;
  std::unordered_map<size_t, std::vector<void*>> free_lists;
  std::unordered_map<void*, size_t> sizes;  // live and cached large blocks
  size_t cached_bytes = 0;
  size_t limit_bytes = size_t(4) << 30;
  size_t hits = 0, misses = 0;

  static CachingCpuAllocator& get() {
    static CachingCpuAllocator a;
    return a;
  }

  void* alloc_block(size_t n) {
    if (n < kMinCached) return c10::alloc_cpu(n);
    n = size_class(n);
    {
      std::lock_guard<std::mutex> g(mu);
      auto it = free_lists.find(n);
      if (it != free_lists.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        cached_bytes -= n;
        hits++;
        return p;
      }
      misses++;
    }
    void* p = c10::alloc_cpu(n);
    std::lock_guard<std::mutex> g(mu);
    sizes[p] = n;
    return p;
  }

  void free_block(void* p) {
    if (!p) return;
    {
      std::lock_guard<std::mutex> g(mu);
      auto it = sizes.find(p);
      if (it != sizes.end()) {
        size_t n = it->second;
        if (cached_bytes + n <= limit_bytes) {
          free_lists[n].push_back(p);
          cached_bytes += n;
          return;
        }
        sizes.erase(it);
      }
    }
    c10::free_cpu(p);
  }

  void clear() {
    std::lock_guard<std::mutex> g(mu);
    for (auto& kv : free_lists)
      for (void* p : kv.second) {
        sizes.erase(p);
        c10::free_cpu(p);
      }
    free_lists.clear();
    cached_bytes = 0;
  }

  static void deleter(void* p) { get().free_block(p); }

#if TV_AT_LEAST(2, 3)
  c10::DataPtr allocate(size_t n) override {
#else
  c10::DataPtr allocate(size_t n) const override {
#endif
    void* p = const_cast<CachingCpuAllocator*>(this)->alloc_block(n);
    return {p, p, &deleter, c10::Device(c10::DeviceType::CPU)};
  }
  c10::DeleterFnPtr raw_deleter() const override { return &deleter; }
#if TV_AT_LEAST(2, 3)
  void copy_data(void* dest, const void* src, std::size_t count) const override { std::memcpy(dest, src, count); }
#endif
};
}  // namespace

// ---------------------------------------------------------------------------------------------------
// Library state
VT_API const char* vt_last_error() { return g_error.c_str(); }
VT_API const char* vt_version() {
  static std::string v = std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
                         std::to_string(TORCH_VERSION_PATCH);
  return v.c_str();
}
VT_API int vt_init(int num_threads, long long cpu_cache_limit_mb) {
  API_BEGIN
  auto& a = CachingCpuAllocator::get();
  if (cpu_cache_limit_mb >= 0) a.limit_bytes = static_cast<size_t>(cpu_cache_limit_mb) << 20;
  c10::SetAllocator(c10::DeviceType::CPU, &a, /*priority*/ 10);
  if (num_threads > 0) at::set_num_threads(num_threads);
  API_END_INT
}
VT_API int vt_get_num_threads() { return at::get_num_threads(); }
VT_API int vt_set_num_threads(int n) {
  API_BEGIN
  at::set_num_threads(n);
  API_END_INT
}
VT_API const char* vt_parallel_info() {
  static thread_local std::string s;
  try { s = at::get_parallel_info(); } catch (...) { s = ""; }
  return s.c_str();
}
VT_API void vt_cpu_cache_stats(long long* cached_bytes, long long* hits, long long* misses) {
  auto& a = CachingCpuAllocator::get();
  std::lock_guard<std::mutex> g(a.mu);
  *cached_bytes = static_cast<long long>(a.cached_bytes);
  *hits = static_cast<long long>(a.hits);
  *misses = static_cast<long long>(a.misses);
}
VT_API void vt_cpu_cache_clear() { CachingCpuAllocator::get().clear(); }

VT_API int vt_cuda_is_available() { return at::hasCUDA() ? 1 : 0; }
VT_API int vt_cuda_device_count() {
  try { return at::hasCUDA() ? static_cast<int>(at::detail::getCUDAHooks().getNumGPUs()) : 0; } catch (...) { return 0; }
}
VT_API int vt_cuda_built() {
#ifdef VIDCAP_CUDA
  return 1;
#else
  return 0;
#endif
}
VT_API int vt_cuda_synchronize(int index) {
  API_BEGIN
#ifdef VIDCAP_CUDA
  c10::cuda::set_device(static_cast<c10::DeviceIndex>(index));
  c10::cuda::device_synchronize();
#else
  throw std::runtime_error("this shim was built without CUDA");
#endif
  API_END_INT
}
VT_API int vt_cuda_empty_cache() {
  API_BEGIN
#ifdef VIDCAP_CUDA
  c10::cuda::CUDACachingAllocator::emptyCache();
#endif
  API_END_INT
}
// allocated / reserved / peak allocated bytes on one device
VT_API int vt_cuda_memory(int index, long long* allocated, long long* reserved, long long* peak) {
  API_BEGIN
  *allocated = *reserved = *peak = 0;
#ifdef VIDCAP_CUDA
  auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(index));
  auto agg = static_cast<size_t>(c10::cuda::CUDACachingAllocator::StatType::AGGREGATE);
  *allocated = stats.allocated_bytes[agg].current;
  *reserved = stats.reserved_bytes[agg].current;
  *peak = stats.allocated_bytes[agg].peak;
#endif
  API_END_INT
}

// ---------------------------------------------------------------------------------------------------
// Tensor lifetime and metadata
VT_API void vt_free(vt_t t) { delete t; }
VT_API int vt_dim(vt_t t) { return static_cast<int>(t->dim()); }
VT_API int vt_shape(vt_t t, int64_t* out) {
  for (int64_t i = 0; i < t->dim(); i++) out[i] = t->size(i);
  return static_cast<int>(t->dim());
}
VT_API int64_t vt_numel(vt_t t) { return t->numel(); }
VT_API int vt_dtype(vt_t t) { return from_scalar(t->scalar_type()); }
VT_API int vt_device_type(vt_t t) { return t->is_cuda() ? 1 : 0; }
VT_API int vt_device_index(vt_t t) { return t->is_cuda() ? t->get_device() : -1; }
VT_API int vt_requires_grad(vt_t t) { return t->requires_grad() ? 1 : 0; }
VT_API int vt_is_contiguous(vt_t t) { return t->is_contiguous() ? 1 : 0; }
VT_API void* vt_data_ptr(vt_t t) { return t->is_cpu() && t->is_contiguous() ? t->data_ptr() : nullptr; }

// ---------------------------------------------------------------------------------------------------
// Creation and copies
VT_API vt_t vt_from_data(const void* data, const int64_t* shape, int ndim, int dtype, int dev_type, int dev_index) {
  API_BEGIN
  auto cpu = at::empty(dims(shape, ndim), at::TensorOptions().dtype(to_scalar(dtype)));
  std::memcpy(cpu.data_ptr(), data, cpu.nbytes());
  if (dev_type == 0) return wrap(cpu);
  return wrap(cpu.to(to_device(dev_type, dev_index)));
  API_END_PTR
}
VT_API int vt_copy_to_host(vt_t t, void* dst, int64_t nbytes) {
  API_BEGIN
  auto c = t->detach().to(at::kCPU).contiguous();
  if (static_cast<int64_t>(c.nbytes()) != nbytes)
    throw std::invalid_argument("copy_to_host: tensor has " + std::to_string(c.nbytes()) + " bytes, buffer " +
                                std::to_string(nbytes));
  std::memcpy(dst, c.data_ptr(), c.nbytes());
  API_END_INT
}
VT_API vt_t vt_empty(const int64_t* shape, int ndim, int dtype, int dt, int di) {
  API_BEGIN return wrap(at::empty(dims(shape, ndim), options(dtype, dt, di)));
  API_END_PTR
}
VT_API vt_t vt_zeros(const int64_t* shape, int ndim, int dtype, int dt, int di) {
  API_BEGIN return wrap(at::zeros(dims(shape, ndim), options(dtype, dt, di)));
  API_END_PTR
}
VT_API vt_t vt_full(const int64_t* shape, int ndim, double value, int dtype, int dt, int di) {
  API_BEGIN return wrap(at::full(dims(shape, ndim), value, options(dtype, dt, di)));
  API_END_PTR
}
VT_API vt_t vt_arange(double start, double end, double step, int dtype, int dt, int di) {
  API_BEGIN return wrap(at::arange(start, end, step, options(dtype, dt, di)));
  API_END_PTR
}
VT_API vt_t vt_randn(const int64_t* shape, int ndim, int dtype, int dt, int di) {
  API_BEGIN return wrap(at::randn(dims(shape, ndim), options(dtype, dt, di)));
  API_END_PTR
}
VT_API vt_t vt_rand(const int64_t* shape, int ndim, int dtype, int dt, int di) {
  API_BEGIN return wrap(at::rand(dims(shape, ndim), options(dtype, dt, di)));
  API_END_PTR
}
VT_API vt_t vt_to(vt_t t, int dtype, int dev_type, int dev_index, int copy) {
  API_BEGIN
  at::Tensor r = *t;
  if (dev_type >= 0) r = r.to(to_device(dev_type, dev_index), /*non_blocking*/ false, copy != 0);
  if (dtype >= 0) r = r.to(to_scalar(dtype), false, copy != 0 && dev_type < 0);
  return wrap(r);
  API_END_PTR
}
VT_API vt_t vt_clone(vt_t t) { API_BEGIN return wrap(t->clone()); API_END_PTR }
VT_API vt_t vt_detach(vt_t t) { API_BEGIN return wrap(t->detach()); API_END_PTR }
VT_API vt_t vt_alias(vt_t t) { API_BEGIN return wrap(*t); API_END_PTR }
VT_API vt_t vt_contiguous(vt_t t) { API_BEGIN return wrap(t->contiguous()); API_END_PTR }
VT_API int vt_copy_(vt_t dst, vt_t src) {
  API_BEGIN
  at::NoGradGuard g;
  dst->copy_(*src);
  API_END_INT
}
VT_API double vt_item(vt_t t) {
  try { return t->item<double>(); } catch (const c10::Error& e) { set_error(e.what_without_backtrace()); } catch (...) { set_error("item failed"); }
  return std::nan("");
}

// ---------------------------------------------------------------------------------------------------
// RNG
VT_API void vt_manual_seed(uint64_t seed) { at::manual_seed(seed); }
VT_API vt_t vt_rng_get_state(int dev_type, int dev_index) {
  API_BEGIN
  auto gen = at::globalContext().defaultGenerator(to_device(dev_type, dev_index));
  std::lock_guard<std::mutex> lock(gen.mutex());
  return wrap(gen.get_state());
  API_END_PTR
}
VT_API int vt_rng_set_state(int dev_type, int dev_index, vt_t state) {
  API_BEGIN
  auto gen = at::globalContext().defaultGenerator(to_device(dev_type, dev_index));
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(*state);
  API_END_INT
}
VT_API int vt_normal_(vt_t t, double mean, double std) {
  API_BEGIN
  at::NoGradGuard g;
  t->normal_(mean, std);
  API_END_INT
}
VT_API int vt_uniform_(vt_t t, double from, double to) {
  API_BEGIN
  at::NoGradGuard g;
  t->uniform_(from, to);
  API_END_INT
}
VT_API vt_t vt_multinomial(vt_t probs, int64_t n, int replacement) {
  API_BEGIN return wrap(at::multinomial(*probs, n, replacement != 0));
  API_END_PTR
}

// ---------------------------------------------------------------------------------------------------
// Autograd
VT_API int vt_set_requires_grad(vt_t t, int on) {
  API_BEGIN
  t->set_requires_grad(on != 0);
  API_END_INT
}
VT_API int vt_backward(vt_t t, vt_t grad) {
  API_BEGIN
  t->backward(grad ? *grad : at::Tensor());
  API_END_INT
}
// *out = NULL when the tensor has no gradient
VT_API int vt_grad(vt_t t, vt_t* out) {
  API_BEGIN
  const auto& g = t->grad();
  *out = g.defined() ? wrap(g) : nullptr;
  API_END_INT
}
VT_API int vt_zero_grad(vt_t t) {
  API_BEGIN
  t->mutable_grad() = at::Tensor();
  API_END_INT
}
VT_API int vt_grad_enabled() { return at::GradMode::is_enabled() ? 1 : 0; }
VT_API void vt_set_grad_enabled(int on) { at::GradMode::set_enabled(on != 0); }

// ---------------------------------------------------------------------------------------------------
// Elementwise arithmetic
VT_API vt_t vt_add(vt_t a, vt_t b, double alpha) { API_BEGIN return wrap(at::add(*a, *b, scalar_for(*a, alpha))); API_END_PTR }
VT_API vt_t vt_sub(vt_t a, vt_t b) { API_BEGIN return wrap(at::sub(*a, *b)); API_END_PTR }
VT_API vt_t vt_mul(vt_t a, vt_t b) { API_BEGIN return wrap(at::mul(*a, *b)); API_END_PTR }
VT_API vt_t vt_div(vt_t a, vt_t b) { API_BEGIN return wrap(at::div(*a, *b)); API_END_PTR }
VT_API vt_t vt_add_scalar(vt_t a, double s) { API_BEGIN return wrap(at::add(*a, scalar_for(*a, s))); API_END_PTR }
VT_API vt_t vt_mul_scalar(vt_t a, double s) { API_BEGIN return wrap(at::mul(*a, scalar_for(*a, s))); API_END_PTR }
VT_API vt_t vt_rsub_scalar(vt_t a, double s) { API_BEGIN return wrap(at::rsub(*a, scalar_for(*a, s))); API_END_PTR }
VT_API vt_t vt_pow_scalar(vt_t a, double s) { API_BEGIN return wrap(at::pow(*a, s)); API_END_PTR }
VT_API vt_t vt_maximum(vt_t a, vt_t b) { API_BEGIN return wrap(at::maximum(*a, *b)); API_END_PTR }
VT_API vt_t vt_minimum(vt_t a, vt_t b) { API_BEGIN return wrap(at::minimum(*a, *b)); API_END_PTR }
VT_API vt_t vt_clamp(vt_t a, double lo, double hi) { API_BEGIN return wrap(at::clamp(*a, lo, hi)); API_END_PTR }

// One export per elementwise op (no integer op codes that the C# side would have to keep in step).
#define VT_UNARY(name, expr) \
  VT_API vt_t vt_##name(vt_t a) { API_BEGIN return wrap(expr); API_END_PTR }
VT_UNARY(neg, at::neg(*a))
VT_UNARY(exp, at::exp(*a))
VT_UNARY(log, at::log(*a))
VT_UNARY(sqrt, at::sqrt(*a))
VT_UNARY(rsqrt, at::rsqrt(*a))
VT_UNARY(tanh, at::tanh(*a))
VT_UNARY(sin, at::sin(*a))
VT_UNARY(cos, at::cos(*a))
VT_UNARY(abs, at::abs(*a))
VT_UNARY(sigmoid, at::sigmoid(*a))
VT_UNARY(relu, at::relu(*a))
VT_UNARY(silu, at::silu(*a))
VT_UNARY(gelu, at::gelu(*a, "none"))
VT_UNARY(gelu_tanh, at::gelu(*a, "tanh"))
VT_UNARY(erf, at::erf(*a))
VT_UNARY(logical_not, at::logical_not(*a))
VT_UNARY(isfinite, at::isfinite(*a))
VT_UNARY(floor, at::floor(*a))
VT_UNARY(round, at::round(*a))
#undef VT_UNARY

// Comparisons and logic: tensor-tensor (broadcasting) and, for comparisons, tensor-scalar.
#define VT_BINARY(name, fn) \
  VT_API vt_t vt_##name(vt_t a, vt_t b) { API_BEGIN return wrap(at::fn(*a, *b)); API_END_PTR }
#define VT_COMPARE(name) \
  VT_BINARY(name, name) \
  VT_API vt_t vt_##name##_scalar(vt_t a, double s) { API_BEGIN return wrap(at::name(*a, s)); API_END_PTR }
VT_COMPARE(eq)
VT_COMPARE(ne)
VT_COMPARE(lt)
VT_COMPARE(le)
VT_COMPARE(gt)
VT_COMPARE(ge)
VT_BINARY(logical_and, logical_and)
VT_BINARY(logical_or, logical_or)
#undef VT_COMPARE
#undef VT_BINARY

VT_API vt_t vt_where(vt_t cond, vt_t a, vt_t b) { API_BEGIN return wrap(at::where(*cond, *a, *b)); API_END_PTR }
VT_API vt_t vt_masked_fill(vt_t a, vt_t mask, double value) { API_BEGIN return wrap(at::masked_fill(*a, *mask, value)); API_END_PTR }

// In-place updates (optimizer, no autograd)
VT_API int vt_mul_scalar_(vt_t a, double s) { API_BEGIN at::NoGradGuard g; a->mul_(s); API_END_INT }
VT_API int vt_add_(vt_t a, vt_t b, double alpha) { API_BEGIN at::NoGradGuard g; a->add_(*b, alpha); API_END_INT }
VT_API int vt_addcmul_(vt_t a, vt_t b, vt_t c, double value) { API_BEGIN at::NoGradGuard g; a->addcmul_(*b, *c, value); API_END_INT }
VT_API int vt_addcdiv_(vt_t a, vt_t b, vt_t c, double value) { API_BEGIN at::NoGradGuard g; a->addcdiv_(*b, *c, value); API_END_INT }
VT_API int vt_lerp_(vt_t a, vt_t end, double weight) { API_BEGIN at::NoGradGuard g; a->lerp_(*end, weight); API_END_INT }
VT_API int vt_fill_(vt_t a, double value) { API_BEGIN at::NoGradGuard g; a->fill_(value); API_END_INT }

// ---------------------------------------------------------------------------------------------------
// Reductions
VT_API vt_t vt_sum(vt_t a, const int64_t* d, int nd, int keepdim, int dtype) {
  API_BEGIN
  c10::optional<at::ScalarType> st = dtype >= 0 ? c10::optional<at::ScalarType>(to_scalar(dtype)) : c10::nullopt;
  if (nd == 0) return wrap(at::sum(*a, st));
  return wrap(at::sum(*a, dims(d, nd), keepdim != 0, st));
  API_END_PTR
}
VT_API vt_t vt_mean(vt_t a, const int64_t* d, int nd, int keepdim) {
  API_BEGIN
  if (nd == 0) return wrap(at::mean(*a));
  return wrap(at::mean(*a, dims(d, nd), keepdim != 0));
  API_END_PTR
}
VT_API vt_t vt_amax(vt_t a, int64_t dim, int keepdim) { API_BEGIN return wrap(at::amax(*a, dim, keepdim != 0)); API_END_PTR }
VT_API vt_t vt_argmax(vt_t a, int64_t dim, int keepdim) { API_BEGIN return wrap(at::argmax(*a, dim, keepdim != 0)); API_END_PTR }
VT_API vt_t vt_logsumexp(vt_t a, int64_t dim, int keepdim) { API_BEGIN return wrap(at::logsumexp(*a, dim, keepdim != 0)); API_END_PTR }
VT_API vt_t vt_cumsum(vt_t a, int64_t dim) { API_BEGIN return wrap(at::cumsum(*a, dim)); API_END_PTR }
VT_API vt_t vt_norm(vt_t a, double p) { API_BEGIN return wrap(at::norm(*a, p)); API_END_PTR }
VT_API int vt_topk(vt_t a, int64_t k, int64_t dim, int largest, vt_t* values, vt_t* indices) {
  API_BEGIN
  auto r = at::topk(*a, k, dim, largest != 0, /*sorted*/ true);
  *values = wrap(std::get<0>(r));
  *indices = wrap(std::get<1>(r));
  API_END_INT
}
VT_API int vt_sort(vt_t a, int64_t dim, int descending, vt_t* values, vt_t* indices) {
  API_BEGIN
  auto r = at::sort(*a, /*stable*/ true, dim, descending != 0);
  *values = wrap(std::get<0>(r));
  *indices = wrap(std::get<1>(r));
  API_END_INT
}

// ---------------------------------------------------------------------------------------------------
// Linear algebra
VT_API vt_t vt_matmul(vt_t a, vt_t b) { API_BEGIN return wrap(at::matmul(*a, *b)); API_END_PTR }
VT_API vt_t vt_bmm(vt_t a, vt_t b) { API_BEGIN return wrap(at::bmm(*a, *b)); API_END_PTR }
VT_API vt_t vt_linear(vt_t x, vt_t w, vt_t b) { API_BEGIN return wrap(at::linear(*x, *w, opt(b))); API_END_PTR }
VT_API vt_t vt_conv3d(vt_t x, vt_t w, vt_t b, const int64_t* stride, const int64_t* padding) {
  API_BEGIN
  return wrap(at::conv3d(*x, *w, opt(b), dims(stride, 3), dims(padding, 3)));
  API_END_PTR
}

// ---------------------------------------------------------------------------------------------------
// Neural-network functions
VT_API vt_t vt_softmax(vt_t a, int64_t dim, int dtype) {
  API_BEGIN
  return wrap(dtype >= 0 ? at::softmax(*a, dim, to_scalar(dtype)) : at::softmax(*a, dim));
  API_END_PTR
}
VT_API vt_t vt_log_softmax(vt_t a, int64_t dim, int dtype) {
  API_BEGIN
  return wrap(dtype >= 0 ? at::log_softmax(*a, dim, to_scalar(dtype)) : at::log_softmax(*a, dim));
  API_END_PTR
}
VT_API vt_t vt_layer_norm(vt_t x, const int64_t* shape, int nd, vt_t w, vt_t b, double eps) {
  API_BEGIN
  return wrap(at::layer_norm(*x, dims(shape, nd), opt(w), opt(b), eps));
  API_END_PTR
}
// RMS norm over the last dimension, computed in float32 (float64 stays float64) and cast back to the input dtype before the weight
// multiply (the Hugging Face Qwen2RMSNorm order). at::rms_norm (2.4+) computes in the input dtype and is
// therefore not used here.
VT_API vt_t vt_rms_norm(vt_t x, vt_t w, double eps) {
  API_BEGIN
  bool reduced = x->scalar_type() == at::kHalf || x->scalar_type() == at::kBFloat16;
  auto h = reduced ? x->to(at::kFloat) : *x;
  h = h * at::rsqrt(h.pow(2).mean(-1, true) + eps);
  h = h.to(x->scalar_type());
  return wrap(w ? *w * h : h);
  API_END_PTR
}
VT_API vt_t vt_dropout(vt_t x, double p, int train) { API_BEGIN return wrap(at::dropout(*x, p, train != 0)); API_END_PTR }
VT_API vt_t vt_embedding(vt_t weight, vt_t ids) { API_BEGIN return wrap(at::embedding(*weight, *ids)); API_END_PTR }
VT_API vt_t vt_cross_entropy(vt_t logits, vt_t target, int64_t ignore_index, int reduction) {
  API_BEGIN
  return wrap(at::cross_entropy_loss(*logits, *target, {}, reduction, ignore_index, 0.0));
  API_END_PTR
}
// Attention. mask: additive float mask or boolean (true = attend) broadcastable to (B, H, Lq, Lk), or NULL.
// libtorch >= 2.1 uses the fused kernel; older versions compute softmax(q k^T * scale + mask) v.
VT_API vt_t vt_sdpa(vt_t q, vt_t k, vt_t v, vt_t mask, double dropout_p, int is_causal, double scale) {
  API_BEGIN
#if TV_AT_LEAST(2, 1)
  return wrap(at::scaled_dot_product_attention(*q, *k, *v, opt(mask), dropout_p, is_causal != 0,
                                               scale > 0 ? c10::optional<double>(scale) : c10::nullopt));
#else
  double s = scale > 0 ? scale : 1.0 / std::sqrt(static_cast<double>(q->size(-1)));
  auto attn = at::matmul(*q, k->transpose(-2, -1)) * s;
  if (is_causal) {
    auto m = at::ones({q->size(-2), k->size(-2)}, q->options().dtype(at::kBool)).tril();
    attn = attn.masked_fill(m.logical_not(), -std::numeric_limits<double>::infinity());
  }
  if (mask) attn = mask->scalar_type() == at::kBool ? attn.masked_fill(mask->logical_not(), -std::numeric_limits<double>::infinity()) : attn + *mask;
  attn = at::softmax(attn, -1);
  if (dropout_p > 0) attn = at::dropout(attn, dropout_p, true);
  return wrap(at::matmul(attn, *v));
#endif
  API_END_PTR
}
VT_API int vt_has_fused_sdpa() { return TV_AT_LEAST(2, 1) ? 1 : 0; }

// ---------------------------------------------------------------------------------------------------
// Shape and indexing
VT_API vt_t vt_reshape(vt_t a, const int64_t* shape, int nd) { API_BEGIN return wrap(at::reshape(*a, dims(shape, nd))); API_END_PTR }
VT_API vt_t vt_permute(vt_t a, const int64_t* order, int nd) { API_BEGIN return wrap(a->permute(dims(order, nd))); API_END_PTR }
VT_API vt_t vt_transpose(vt_t a, int64_t d0, int64_t d1) { API_BEGIN return wrap(a->transpose(d0, d1)); API_END_PTR }
VT_API vt_t vt_expand(vt_t a, const int64_t* shape, int nd) { API_BEGIN return wrap(a->expand(dims(shape, nd))); API_END_PTR }
VT_API vt_t vt_unsqueeze(vt_t a, int64_t dim) { API_BEGIN return wrap(a->unsqueeze(dim)); API_END_PTR }
VT_API vt_t vt_squeeze(vt_t a, int64_t dim) { API_BEGIN return wrap(a->squeeze(dim)); API_END_PTR }
VT_API vt_t vt_narrow(vt_t a, int64_t dim, int64_t start, int64_t length) { API_BEGIN return wrap(a->narrow(dim, start, length)); API_END_PTR }
VT_API vt_t vt_select(vt_t a, int64_t dim, int64_t index) { API_BEGIN return wrap(a->select(dim, index)); API_END_PTR }
VT_API vt_t vt_repeat(vt_t a, const int64_t* reps, int nd) { API_BEGIN return wrap(a->repeat(dims(reps, nd))); API_END_PTR }
VT_API vt_t vt_repeat_interleave(vt_t a, int64_t repeats, int64_t dim) { API_BEGIN return wrap(at::repeat_interleave(*a, repeats, dim)); API_END_PTR }
VT_API vt_t vt_index_select(vt_t a, int64_t dim, vt_t index) { API_BEGIN return wrap(at::index_select(*a, dim, *index)); API_END_PTR }
VT_API vt_t vt_gather(vt_t a, int64_t dim, vt_t index) { API_BEGIN return wrap(at::gather(*a, dim, *index)); API_END_PTR }
VT_API vt_t vt_triu(vt_t a, int64_t diagonal) { API_BEGIN return wrap(at::triu(*a, diagonal)); API_END_PTR }
VT_API vt_t vt_cat(vt_t* list, int n, int64_t dim) {
  API_BEGIN
  std::vector<at::Tensor> v;
  v.reserve(n);
  for (int i = 0; i < n; i++) v.push_back(*list[i]);
  return wrap(at::cat(v, dim));
  API_END_PTR
}
VT_API vt_t vt_stack(vt_t* list, int n, int64_t dim) {
  API_BEGIN
  std::vector<at::Tensor> v;
  v.reserve(n);
  for (int i = 0; i < n; i++) v.push_back(*list[i]);
  return wrap(at::stack(v, dim));
  API_END_PTR
}
