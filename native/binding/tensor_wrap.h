// Native-owned tensor handle (JavaScript class `NativeTensor`, wrapped by src/runtime/tensor.ts). A tensor is a
// contiguous view (dtype, shape, byte offset) of a shared Buffer: its own 64-byte aligned memory, another
// tensor's memory (reshape, contiguous slices), a mapped checkpoint file, or CUDA device memory (device
// "cuda": DeviceStorage; read() and write() copy across, toDevice()/toHost() make copies on the other side).
// dispose() drops this view at once (the memory goes back when no view is left); the GC finalizer is the backstop.
//
// Devices are checked in one place, TensorWrap::From: every op takes its tensor arguments through it, and it
// refuses a tensor on another device than the op's (ERR_AIPROD_WRONG_DEVICE naming the op, the argument and the
// fix). Ops run on the CPU unless an OpDeviceScope says otherwise (the CUDA entry points, cuda_ops_*.cc).
#pragma once
#include <napi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "aiprod/dtype.h"
#include "aiprod/packed_cache.h"
#include "aiprod/storage.h"

namespace aiprod {

enum class Device { Cpu, Cuda };
const char* device_name(Device d);

// The device of the op whose arguments are being taken (thread-local, Cpu by default). A CUDA entry point holds
// an OpDeviceScope(OpDevice::Cuda) while it takes its arguments; views valid on either device (reshape) hold
// OpDevice::Any.
enum class OpDevice { Cpu, Cuda, Any };
class OpDeviceScope {
 public:
  explicit OpDeviceScope(OpDevice d);
  ~OpDeviceScope();
  OpDeviceScope(const OpDeviceScope&) = delete;
  OpDeviceScope& operator=(const OpDeviceScope&) = delete;

 private:
  OpDevice saved_;
};

class TensorWrap : public Napi::ObjectWrap<TensorWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  // A new JavaScript tensor object with fresh storage (zeroed if zero is true). A shape too large for this
  // machine is an error naming `op`, the op whose output it is.
  static Napi::Object Create(Napi::Env env, DType dtype, const std::vector<int64_t>& shape, bool zero,
                             const std::string& op = "Tensor");
  // A new JavaScript tensor viewing `buffer` from byte `offset` (the caller checked that it fits).
  static Napi::Object CreateView(Napi::Env env, DType dtype, const std::vector<int64_t>& shape,
                                 std::shared_ptr<Buffer> buffer, size_t offset);
  // Fresh device memory for dtype[shape] (not yet a tensor: wrap it with CreateView once the op succeeded, so
  // a failed op frees it at once). Errors name `op`: ERR_AIPROD_NO_DEVICE without a usable CUDA device,
  // ERR_AIPROD_OUT_OF_MEMORY when the device is full.
  static std::shared_ptr<Buffer> AllocDevice(Napi::Env env, DType dtype, const std::vector<int64_t>& shape,
                                             const std::string& op);
  // cudaEmpty(dtype, shape, zero): a new cuda tensor in fresh device memory (zeroed with zero = true), with the
  // same dtype and shape checks as the NativeTensor constructor.
  static Napi::Value NewDevice(const Napi::CallbackInfo& info);
  // The live tensor behind a JavaScript argument on the current op's device (OpDeviceScope), or a thrown
  // error naming op and argument (ERR_AIPROD_WRONG_DEVICE for a tensor on another device).
  static TensorWrap* From(const Napi::Value& value, const std::string& op, const char* arg);

  explicit TensorWrap(const Napi::CallbackInfo& info);
  ~TensorWrap() override;

  DType dtype() const { return dtype_; }
  const std::vector<int64_t>& shape() const { return shape_; }
  size_t numel() const { return numel_; }
  size_t nbytes() const { return numel_ * dtype_size(dtype_); }
  Device device() const { return device_; }
  // data() is a device pointer for a cuda tensor.
  // data(), buffer() and weight_key() throw ERR_AIPROD_DISPOSED on a disposed tensor instead of touching freed
  // memory: an op reads its JavaScript options after taking its tensor arguments, and a getter in those options
  // is user code that may dispose an argument in between.
  void* data() { return live()->bytes() + offset_; }
  const std::shared_ptr<Buffer>& buffer() const { return live(); }
  size_t byte_offset() const { return offset_; }
  std::string describe() const;
  // Identity for caches of derived data (packed weights): unique in the process, bumped by every write.
  WeightKey weight_key() const { return WeightKey{uid_, live()->version.load(std::memory_order_relaxed)}; }

 private:
  Napi::Value GetDType(const Napi::CallbackInfo& info);
  Napi::Value GetShape(const Napi::CallbackInfo& info);
  Napi::Value GetDevice(const Napi::CallbackInfo& info);
  Napi::Value GetNbytes(const Napi::CallbackInfo& info);
  Napi::Value GetDisposed(const Napi::CallbackInfo& info);
  Napi::Value Write(const Napi::CallbackInfo& info);
  Napi::Value Read(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value ToDevice(const Napi::CallbackInfo& info);
  Napi::Value ToHost(const Napi::CallbackInfo& info);
  void Release(Napi::Env env);
  void ThrowIfDisposed(Napi::Env env, const char* op) const;
  const std::shared_ptr<Buffer>& live() const;

  DType dtype_ = DType::F32;
  Device device_ = Device::Cpu;
  std::vector<int64_t> shape_;
  size_t numel_ = 0;
  std::shared_ptr<Buffer> storage_;
  size_t offset_ = 0;
  int64_t reported_bytes_ = 0;  // told to V8 through AdjustExternalMemory (owned host memory only)
  uint64_t uid_ = 0;
};

}  // namespace aiprod
