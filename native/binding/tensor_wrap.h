// Native-owned tensor handle (JavaScript class `NativeTensor`, wrapped by src/runtime/tensor.ts). Host
// memory is 64-byte aligned and owned here; dispose() frees it at once, the GC finalizer is the backstop.
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

class TensorWrap : public Napi::ObjectWrap<TensorWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  // A new JavaScript tensor object with fresh storage (zeroed if zero is true).
  static Napi::Object Create(Napi::Env env, DType dtype, const std::vector<int64_t>& shape, bool zero);
  // The live tensor behind a JavaScript argument, or a thrown error naming op and argument.
  static TensorWrap* From(const Napi::Value& value, const std::string& op, const char* arg);

  explicit TensorWrap(const Napi::CallbackInfo& info);
  ~TensorWrap() override;

  DType dtype() const { return dtype_; }
  const std::vector<int64_t>& shape() const { return shape_; }
  size_t numel() const { return numel_; }
  size_t nbytes() const { return numel_ * dtype_size(dtype_); }
  void* data() { return storage_->data(); }
  std::string describe() const;
  // Identity for caches of derived data (packed weights): unique in the process, bumped by every write.
  WeightKey weight_key() const { return WeightKey{uid_, version_}; }

 private:
  Napi::Value GetDType(const Napi::CallbackInfo& info);
  Napi::Value GetShape(const Napi::CallbackInfo& info);
  Napi::Value GetDevice(const Napi::CallbackInfo& info);
  Napi::Value GetNbytes(const Napi::CallbackInfo& info);
  Napi::Value GetDisposed(const Napi::CallbackInfo& info);
  Napi::Value Write(const Napi::CallbackInfo& info);
  Napi::Value Read(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  void Release(Napi::Env env);
  void ThrowIfDisposed(Napi::Env env, const char* op) const;

  DType dtype_ = DType::F32;
  std::vector<int64_t> shape_;
  size_t numel_ = 0;
  std::unique_ptr<HostStorage> storage_;
  int64_t reported_bytes_ = 0;  // told to V8 through AdjustExternalMemory
  uint64_t uid_ = 0;
  uint64_t version_ = 0;
};

}  // namespace aiprod
