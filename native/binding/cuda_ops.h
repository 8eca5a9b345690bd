// Helpers for the CUDA op entry points (cuda_ops_*.cc). Each entry point is thin: take the arguments through the
// op's shared check (op_checks.h, the same validation and messages as the CPU op) with every tensor required on
// cuda, allocate the output in device memory, build the aiprod_cuda_*_args struct, make one library call, and
// only then wrap the output as a tensor (a failed call frees the output at once, so an out-of-memory error
// leaves the device as it found it).
#pragma once
#include <napi.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "aiprod/cuda_loader.h"
#include "aiprod/storage.h"
#include "errors.h"
#include "tensor_wrap.h"

namespace aiprod {

class CudaOp {
 public:
  // Every tensor argument taken while this lives must be on cuda; no usable device is ERR_AIPROD_NO_DEVICE.
  CudaOp(Napi::Env env, std::string op);

  const std::string& op() const { return op_; }
  Napi::Env env() const { return env_; }
  const aiprod_cuda_api* api() const { return api_; }

  // Device memory for an output (or a temporary) of dtype[shape].
  std::shared_ptr<Buffer> alloc(DType dtype, const std::vector<int64_t>& shape) const;
  // Runs one library call `fn(args, stream, err)`; a failure is an op error with the mapped code (see
  // cuda_error_code) naming the op, the library's message (the call and its shapes) and `shapes`.
  template <class Args>
  void call(int (*fn)(const Args*, aiprod_cuda_stream, aiprod_cuda_error*), const Args& args, const std::string& shapes) const {
    aiprod_cuda_error err{};
    const int rc = fn(&args, nullptr, &err);
    if (rc != 0) fail(rc, err, shapes);
  }
  // The output tensor over `buffer` (after a successful call).
  Napi::Object wrap(DType dtype, const std::vector<int64_t>& shape, std::shared_ptr<Buffer> buffer) const;
  // ERR_AIPROD_UNSUPPORTED: a valid request the CUDA library has no kernel for (why says which and the way out).
  [[noreturn]] void unsupported(const std::string& why) const;

 private:
  [[noreturn]] void fail(int rc, const aiprod_cuda_error& err, const std::string& shapes) const;
  Napi::Env env_;
  std::string op_;
  OpDeviceScope scope_;
  const aiprod_cuda_api* api_ = nullptr;
};

// "x f32[2,3], weight bf16[4,3]" for the tensors that are present (null ones are skipped).
std::string describe_args(std::initializer_list<std::pair<const char*, TensorWrap*>> args);

inline int cuda_dtype(DType t) { return int(t); }  // AIPROD_CUDA_F32.. share aiprod::DType's numbering
inline const void* dptr(TensorWrap* t) { return t ? t->data() : nullptr; }
inline int dtype_or0(TensorWrap* t) { return t ? int(t->dtype()) : 0; }

// Row-major strides in elements of a shape.
std::vector<int64_t> contiguous_strides(const std::vector<int64_t>& shape);

// One strided copy (aiprod_cuda_copy_args) of shape with x/out strides in elements, up to 8 dims; x and out are
// device pointers of x_dtype / out_dtype. A rank-0 shape copies one element.
void cuda_strided_copy(const CudaOp& c, const void* x, DType x_dtype, const std::vector<int64_t>& x_strides, void* out,
                       DType out_dtype, const std::vector<int64_t>& out_strides, const std::vector<int64_t>& shape,
                       const std::string& shapes);

}  // namespace aiprod
