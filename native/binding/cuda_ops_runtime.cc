// The CUDA entry points' shared helpers (cuda_ops.h) and the device runtime calls: cudaMemoryStats, cudaResetPeak,
// cudaTrim, cudaCopyFence.
#include <algorithm>

#include "aiprod/device_storage.h"
#include "cuda_ops.h"
#include "ops.h"

namespace aiprod {

CudaOp::CudaOp(Napi::Env env, std::string op) : env_(env), op_(std::move(op)), scope_(OpDevice::Cuda) {
  std::string why;
  api_ = cuda_device_api(&why);
  if (!api_) throw op_error(env_, op_, "no CUDA device: " + why, "ERR_AIPROD_NO_DEVICE");
}

std::shared_ptr<Buffer> CudaOp::alloc(DType dtype, const std::vector<int64_t>& shape) const {
  return TensorWrap::AllocDevice(env_, dtype, shape, op_);
}

Napi::Object CudaOp::wrap(DType dtype, const std::vector<int64_t>& shape, std::shared_ptr<Buffer> buffer) const {
  return TensorWrap::CreateView(env_, dtype, shape, std::move(buffer), 0);
}

void CudaOp::unsupported(const std::string& why) const {
  throw op_error(env_, op_, why, "ERR_AIPROD_UNSUPPORTED");
}

void CudaOp::fail(int rc, const aiprod_cuda_error& err, const std::string& shapes) const {
  const std::string msg = err.message[0] ? std::string(err.message) : "CUDA error " + std::to_string(rc);
  throw op_error(env_, op_, "CUDA " + msg + (shapes.empty() ? "" : " [" + shapes + "]"), cuda_error_code(rc));
}

std::string describe_args(std::initializer_list<std::pair<const char*, TensorWrap*>> args) {
  std::string s;
  for (const auto& [name, t] : args) {
    if (!t) continue;
    s += (s.empty() ? "" : ", ") + std::string(name) + " " + t->describe();
  }
  return s;
}

std::vector<int64_t> contiguous_strides(const std::vector<int64_t>& shape) {
  std::vector<int64_t> st(shape.size());
  int64_t s = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    st[i] = s;
    s *= shape[i];
  }
  return st;
}

void cuda_strided_copy(const CudaOp& c, const void* x, DType x_dtype, const std::vector<int64_t>& x_strides, void* out,
                       DType out_dtype, const std::vector<int64_t>& out_strides, const std::vector<int64_t>& shape,
                       const std::string& shapes) {
  aiprod_cuda_copy_args a{};
  if (shape.size() > 8) throw op_error(c.env(), c.op(), "more than 8 dimensions in a strided copy [" + shapes + "]");
  a.x = x;
  a.x_dtype = cuda_dtype(x_dtype);
  a.out = out;
  a.out_dtype = cuda_dtype(out_dtype);
  a.ndim = int(std::max<size_t>(shape.size(), 1));
  for (int d = 0; d < 8; ++d) a.shape[d] = 1;
  for (size_t d = 0; d < shape.size(); ++d) {
    a.shape[d] = shape[d];
    a.x_strides[d] = x_strides[d];
    a.out_strides[d] = out_strides[d];
  }
  for (int64_t d : shape) {
    if (d == 0) return;  // nothing to copy
  }
  c.call(c.api()->copy, a, shapes);
}

namespace {

// cudaMemoryStats() -> { inUse, cached, peak } in bytes (the CUDA library's caching allocator).
Napi::Value CudaMemoryStats(const Napi::CallbackInfo& info) {
  CudaOp c(info.Env(), "cudaMemoryStats");
  size_t in_use = 0, cached = 0, peak = 0;
  aiprod_cuda_error err{};
  const int rc = c.api()->memory_stats(&in_use, &cached, &peak, &err);
  if (rc != 0) throw op_error(c.env(), c.op(), err.message, cuda_error_code(rc));
  Napi::Object o = Napi::Object::New(c.env());
  o.Set("inUse", double(in_use));
  o.Set("cached", double(cached));
  o.Set("peak", double(peak));
  return o;
}

// cudaTrim(): gives the allocator's cached blocks back to the device.
Napi::Value CudaTrim(const Napi::CallbackInfo& info) {
  CudaOp c(info.Env(), "cudaTrim");
  aiprod_cuda_error err{};
  const int rc = c.api()->trim(&err);
  if (rc != 0) throw op_error(c.env(), c.op(), err.message, cuda_error_code(rc));
  return info.Env().Undefined();
}

// cudaResetPeak(): starts a new peak measurement (the peak becomes the bytes in use now).
Napi::Value CudaResetPeak(const Napi::CallbackInfo& info) {
  CudaOp c(info.Env(), "cudaResetPeak");
  aiprod_cuda_error err{};
  const int rc = c.api()->reset_peak(&err);
  if (rc != 0) throw op_error(c.env(), c.op(), err.message, cuda_error_code(rc));
  return info.Env().Undefined();
}

// cudaCopyFence(): the default stream waits (on the GPU) for every upload issued on the copy stream so far.
Napi::Value CudaCopyFence(const Napi::CallbackInfo& info) {
  CudaOp c(info.Env(), "cudaCopyFence");
  guard(c.env(), c.op(), [&] {
    cuda_copy_fence(c.api());
    return 0;
  });
  return info.Env().Undefined();
}

}  // namespace

void register_cuda_runtime(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaCopyFence", Napi::Function::New(env, CudaCopyFence, "cudaCopyFence"));
  exports.Set("cudaMemoryStats", Napi::Function::New(env, CudaMemoryStats, "cudaMemoryStats"));
  exports.Set("cudaTrim", Napi::Function::New(env, CudaTrim, "cudaTrim"));
  exports.Set("cudaResetPeak", Napi::Function::New(env, CudaResetPeak, "cudaResetPeak"));
  exports.Set("cudaEmpty", Napi::Function::New(env, TensorWrap::NewDevice, "cudaEmpty"));
}

}  // namespace aiprod
