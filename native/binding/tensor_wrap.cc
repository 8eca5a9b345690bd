#include "tensor_wrap.h"

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include <unistd.h>

#include "addon_data.h"
#include "aiprod/device_storage.h"
#include "errors.h"

namespace aiprod {
namespace {

constexpr size_t kMaxRank = 8;
// A single tensor above 1 TiB is a caller bug (or an overflow), never a real request.
constexpr double kMaxBytes = double(1ull << 40);

// TypedArray kind that carries each dtype's raw storage.
napi_typedarray_type storage_array_type(DType t) {
  switch (t) {
    case DType::F32: return napi_float32_array;
    case DType::BF16:
    case DType::F16: return napi_uint16_array;
    case DType::F8E4M3: return napi_uint8_array;
  }
  return napi_uint8_array;
}

const char* storage_array_name(DType t) {
  switch (storage_array_type(t)) {
    case napi_float32_array: return "Float32Array";
    case napi_uint16_array: return "Uint16Array";
    default: return "Uint8Array";
  }
}

const char* typed_array_name(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array: return "Int8Array";
    case napi_uint8_array: return "Uint8Array";
    case napi_uint8_clamped_array: return "Uint8ClampedArray";
    case napi_int16_array: return "Int16Array";
    case napi_uint16_array: return "Uint16Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint32_array: return "Uint32Array";
    case napi_float32_array: return "Float32Array";
    case napi_float64_array: return "Float64Array";
    case napi_bigint64_array: return "BigInt64Array";
    case napi_biguint64_array: return "BigUint64Array";
  }
  return "TypedArray";
}

// This machine's physical memory in bytes (0 when unknown). A fresh tensor larger than it can never be backed:
// with overcommit its allocation succeeds and the kernel's OOM killer ends the process at the first write.
double physical_memory_bytes() {
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGE_SIZE)
  static const double bytes = [] {
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && page > 0 ? double(pages) * double(page) : 0.0;
  }();
  return bytes;
#else
  return 0.0;
#endif
}

std::string gib(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GiB", bytes / double(1ull << 30));
  return buf;
}

// Fresh storage for dtype[shape] must fit in 1 TiB and in this machine's memory; `op` names the caller (an op
// creating its output, or "Tensor" for a tensor made from JavaScript).
void check_fresh_size(Napi::Env env, const std::string& op, DType dtype, const std::vector<int64_t>& shape) {
  double bytes = double(dtype_size(dtype));
  for (int64_t d : shape) bytes *= double(d);
  const std::string what = (op == "Tensor" ? "" : "the output ") + describe(dtype, shape);
  if (bytes > kMaxBytes) throw op_error(env, op, what + " would need more than 1 TiB", "ERR_AIPROD_TOO_LARGE");
  const double physical = physical_memory_bytes();
  if (physical > 0 && bytes > physical) {
    throw op_error(env, op, what + " would need " + gib(bytes) + ", more than this machine's " + gib(physical) + " of memory",
                   "ERR_AIPROD_OUT_OF_MEMORY");
  }
}

std::vector<int64_t> parse_shape(Napi::Env env, const Napi::Value& v, DType dtype, size_t* numel) {
  if (!v.IsArray()) throw op_error(env, "Tensor", "shape must be an array of non-negative integers");
  Napi::Array arr = v.As<Napi::Array>();
  if (arr.Length() > kMaxRank) {
    throw op_error(env, "Tensor", "shape has rank " + std::to_string(arr.Length()) + "; at most " +
                                      std::to_string(kMaxRank) + " dimensions are supported");
  }
  std::vector<int64_t> shape;
  double count = 1;
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value d = arr.Get(i);
    const double x = d.IsNumber() ? d.As<Napi::Number>().DoubleValue() : -1;
    if (!d.IsNumber() || !(x >= 0) || std::floor(x) != x || x > 9007199254740991.0) {
      throw op_error(env, "Tensor", "shape[" + std::to_string(i) + "] is " + d.ToString().Utf8Value() +
                                        "; dimensions must be non-negative integers");
    }
    shape.push_back(int64_t(x));
    count *= x;
  }
  if (count * double(dtype_size(dtype)) > kMaxBytes) {
    throw op_error(env, "Tensor", describe(dtype, shape) + " would need more than 1 TiB", "ERR_AIPROD_TOO_LARGE");
  }
  *numel = size_t(count);
  return shape;
}

thread_local OpDevice g_op_device = OpDevice::Cpu;

}  // namespace

const char* device_name(Device d) { return d == Device::Cuda ? "cuda" : "cpu"; }

OpDeviceScope::OpDeviceScope(OpDevice d) : saved_(g_op_device) { g_op_device = d; }
OpDeviceScope::~OpDeviceScope() { g_op_device = saved_; }

std::shared_ptr<Buffer> TensorWrap::AllocDevice(Napi::Env env, DType dtype, const std::vector<int64_t>& shape,
                                                const std::string& op) {
  double bytes = double(dtype_size(dtype));
  for (int64_t d : shape) bytes *= double(d);
  const std::string what = (op.rfind("Tensor.", 0) == 0 ? "" : "the output ") + aiprod::describe(dtype, shape);
  if (bytes > kMaxBytes) throw op_error(env, op, what + " would need more than 1 TiB", "ERR_AIPROD_TOO_LARGE");
  std::string why;
  const aiprod_cuda_api* api = cuda_device_api(&why);
  if (!api) throw op_error(env, op, "no CUDA device: " + why, "ERR_AIPROD_NO_DEVICE");
  return guard(env, op, [&] { return std::shared_ptr<Buffer>(std::make_shared<DeviceStorage>(api, size_t(bytes), what)); });
}

Napi::Value TensorWrap::NewDevice(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const bool zero = info[2].IsBoolean() && info[2].As<Napi::Boolean>().Value();
  const char* op = zero ? "Tensor.zeros" : "Tensor.empty";
  DType dtype;
  const std::string name = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  if (!dtype_from_name(name, &dtype)) {
    throw op_error(env, "Tensor", "unknown dtype '" + (info[0].IsString() ? name : info[0].ToString().Utf8Value()) +
                                      "'; expected one of f32, bf16, f16, f8e4m3");
  }
  size_t numel = 0;
  const std::vector<int64_t> shape = parse_shape(env, info[1], dtype, &numel);
  std::shared_ptr<Buffer> buf = AllocDevice(env, dtype, shape, op);
  if (zero && buf->nbytes()) {
    const auto* dev = static_cast<const DeviceStorage*>(buf.get());
    guard(env, op, [&] {
      aiprod_cuda_error err{};
      cuda_check(dev->api()->memset(buf->bytes(), 0, buf->nbytes(), nullptr, &err), err, "memset");
      return 0;
    });
  }
  return CreateView(env, dtype, shape, std::move(buf), 0);
}

Napi::Function TensorWrap::Define(Napi::Env env) {
  return DefineClass(env, "NativeTensor",
                     {
                         InstanceAccessor<&TensorWrap::GetDType>("dtype"),
                         InstanceAccessor<&TensorWrap::GetShape>("shape"),
                         InstanceAccessor<&TensorWrap::GetDevice>("device"),
                         InstanceAccessor<&TensorWrap::GetNbytes>("nbytes"),
                         InstanceAccessor<&TensorWrap::GetDisposed>("disposed"),
                         InstanceMethod<&TensorWrap::Write>("write"),
                         InstanceMethod<&TensorWrap::Read>("read"),
                         InstanceMethod<&TensorWrap::Dispose>("dispose"),
                         InstanceMethod<&TensorWrap::ToDevice>("toDevice"),
                         InstanceMethod<&TensorWrap::ToHost>("toHost"),
                     });
}

Napi::Object TensorWrap::Create(Napi::Env env, DType dtype, const std::vector<int64_t>& shape, bool zero,
                                const std::string& op) {
  check_fresh_size(env, op, dtype, shape);
  Napi::Array js_shape = Napi::Array::New(env, shape.size());
  for (size_t i = 0; i < shape.size(); ++i) js_shape.Set(uint32_t(i), Napi::Number::New(env, double(shape[i])));
  return addon_data(env).tensor_constructor.New(
      {Napi::String::New(env, dtype_name(dtype)), js_shape, Napi::Boolean::New(env, zero)});
}

namespace {
// Passed as the constructor's 4th argument (an External only native code can make) to adopt a buffer.
struct ViewSpec {
  std::shared_ptr<Buffer> buffer;
  size_t offset;
};
}  // namespace

Napi::Object TensorWrap::CreateView(Napi::Env env, DType dtype, const std::vector<int64_t>& shape,
                                    std::shared_ptr<Buffer> buffer, size_t offset) {
  Napi::Array js_shape = Napi::Array::New(env, shape.size());
  for (size_t i = 0; i < shape.size(); ++i) js_shape.Set(uint32_t(i), Napi::Number::New(env, double(shape[i])));
  ViewSpec spec{std::move(buffer), offset};
  return addon_data(env).tensor_constructor.New({Napi::String::New(env, dtype_name(dtype)), js_shape,
                                                 Napi::Boolean::New(env, false),
                                                 Napi::External<ViewSpec>::New(env, &spec)});
}

TensorWrap* TensorWrap::From(const Napi::Value& value, const std::string& op, const char* arg) {
  Napi::Env env = value.Env();
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(addon_data(env).tensor_constructor.Value())) {
    throw op_error(env, op, std::string("argument '") + arg + "' must be a Tensor");
  }
  TensorWrap* t = TensorWrap::Unwrap(value.As<Napi::Object>());
  if (!t->storage_) {
    throw op_error(env, op, std::string("argument '") + arg + "' is a disposed tensor (" + t->describe() + ")",
                   "ERR_AIPROD_DISPOSED");
  }
  const OpDevice want = g_op_device;
  if (want != OpDevice::Any && (want == OpDevice::Cuda) != (t->device_ == Device::Cuda)) {
    const char* here = want == OpDevice::Cuda ? "cuda" : "cpu";
    throw op_error(env, op, std::string("argument '") + arg + "' is on " + device_name(t->device_) + " (" + t->describe() +
                                "), but this op runs on " + here + " with every tensor there: move it with .to(\"" + here + "\")",
                   "ERR_AIPROD_WRONG_DEVICE");
  }
  return t;
}

// new NativeTensor(dtype: string, shape: number[], zero: boolean)
TensorWrap::TensorWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TensorWrap>(info) {
  Napi::Env env = info.Env();
  const std::string name = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  if (!dtype_from_name(name, &dtype_)) {
    throw op_error(env, "Tensor", "unknown dtype '" + (info[0].IsString() ? name : info[0].ToString().Utf8Value()) +
                                      "'; expected one of f32, bf16, f16, f8e4m3");
  }
  shape_ = parse_shape(env, info[1], dtype_, &numel_);
  static std::atomic<uint64_t> next_uid{1};
  if (info.Length() > 3 && info[3].IsExternal()) {
    ViewSpec* spec = info[3].As<Napi::External<ViewSpec>>().Data();
    storage_ = spec->buffer;
    offset_ = spec->offset;
    device_ = storage_->on_device() ? Device::Cuda : Device::Cpu;
    uid_ = next_uid.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const bool zero = info[2].IsBoolean() && info[2].As<Napi::Boolean>().Value();
  check_fresh_size(env, "Tensor", dtype_, shape_);
  guard(env, "Tensor", [&] {
    storage_ = std::make_shared<HostStorage>(nbytes(), zero);
    return 0;
  });
  reported_bytes_ = int64_t(nbytes());
  Napi::MemoryManagement::AdjustExternalMemory(env, reported_bytes_);
  uid_ = next_uid.fetch_add(1, std::memory_order_relaxed);
}

TensorWrap::~TensorWrap() {
  // GC backstop (also run for live tensors when a worker thread's environment is torn down; the isolate is
  // still alive then, so telling V8 about the freed memory is safe).
  if (reported_bytes_) {
    Napi::MemoryManagement::AdjustExternalMemory(Env(), -reported_bytes_);
  }
  if (storage_) packed_cache_forget(uid_);
}

std::string TensorWrap::describe() const { return aiprod::describe(dtype_, shape_); }

void TensorWrap::Release(Napi::Env env) {
  storage_.reset();
  packed_cache_forget(uid_);
  if (reported_bytes_) {
    Napi::MemoryManagement::AdjustExternalMemory(env, -reported_bytes_);
    reported_bytes_ = 0;
  }
}

void TensorWrap::ThrowIfDisposed(Napi::Env env, const char* op) const {
  if (!storage_) {
    throw op_error(env, op, "tensor " + describe() + " is disposed", "ERR_AIPROD_DISPOSED");
  }
}

const std::shared_ptr<Buffer>& TensorWrap::live() const {
  if (!storage_) {
    throw op_error(Env(), "Tensor", "tensor " + describe() + " was disposed while an op was using it", "ERR_AIPROD_DISPOSED");
  }
  return storage_;
}

Napi::Value TensorWrap::GetDType(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), dtype_name(dtype_));
}

Napi::Value TensorWrap::GetShape(const Napi::CallbackInfo& info) {
  Napi::Array arr = Napi::Array::New(info.Env(), shape_.size());
  for (size_t i = 0; i < shape_.size(); ++i) arr.Set(uint32_t(i), Napi::Number::New(info.Env(), double(shape_[i])));
  return arr;
}

Napi::Value TensorWrap::GetDevice(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), device_name(device_));
}

Napi::Value TensorWrap::GetNbytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(nbytes()));
}

Napi::Value TensorWrap::GetDisposed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), !storage_);
}

// write(data: TypedArray): copies the array into the tensor; the array type must be the dtype's storage type.
Napi::Value TensorWrap::Write(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ThrowIfDisposed(env, "Tensor.write");
  if (!info[0].IsTypedArray()) {
    throw op_error(env, "Tensor.write", "expected a " + std::string(storage_array_name(dtype_)) + " for " + describe());
  }
  Napi::TypedArray arr = info[0].As<Napi::TypedArray>();
  if (arr.TypedArrayType() != storage_array_type(dtype_)) {
    throw op_error(env, "Tensor.write", std::string("expected a ") + storage_array_name(dtype_) + " for " +
                                            describe() + ", got a " + typed_array_name(arr.TypedArrayType()));
  }
  if (arr.ElementLength() != numel_) {
    throw op_error(env, "Tensor.write", describe() + " holds " + std::to_string(numel_) + " elements, got " +
                                            std::to_string(arr.ElementLength()));
  }
  // napi_get_typedarray_info's data pointer already includes the view's byte offset.
  void* src = nullptr;
  NAPI_THROW_IF_FAILED(env, napi_get_typedarray_info(env, arr, nullptr, nullptr, &src, nullptr, nullptr),
                       env.Undefined());
  if (device_ == Device::Cuda) {
    const auto* dev = static_cast<const DeviceStorage*>(storage_.get());
    guard(env, "Tensor.write", [&] {
      cuda_copy(dev->api(), data(), src, nbytes(), 0, describe());
      return 0;
    });
  } else if (nbytes()) {
    std::memcpy(data(), src, nbytes());
  }
  storage_->version.fetch_add(1, std::memory_order_relaxed);  // cached packings of the old contents no longer match
  packed_cache_forget(uid_);
  return env.Undefined();
}

// read(): a new TypedArray (the dtype's storage type) holding a copy of the tensor.
Napi::Value TensorWrap::Read(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ThrowIfDisposed(env, "Tensor.read");
  Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(env, nbytes());
  if (device_ == Device::Cuda) {  // an explicit copy back to the host
    const auto* dev = static_cast<const DeviceStorage*>(storage_.get());
    guard(env, "Tensor.read", [&] {
      cuda_copy(dev->api(), buf.Data(), data(), nbytes(), 1, describe());
      return 0;
    });
  } else {
    std::memcpy(buf.Data(), data(), nbytes());
  }
  switch (storage_array_type(dtype_)) {
    case napi_float32_array: return Napi::Float32Array::New(env, numel_, buf, 0);
    case napi_uint16_array: return Napi::Uint16Array::New(env, numel_, buf, 0);
    default: return Napi::Uint8Array::New(env, numel_, buf, 0);
  }
}

// toDevice(async = false): a copy of this cpu tensor in fresh CUDA device memory. async: allocated and copied on
// the copy stream, overlapping the default stream's work; the caller makes the default stream wait with
// cudaCopyFence() before any op reads the copy, and keeps this host tensor alive until then (mapped weights are).
Napi::Value TensorWrap::ToDevice(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* op = "Tensor.to";
  ThrowIfDisposed(env, op);
  if (device_ == Device::Cuda) throw op_error(env, op, "tensor " + describe() + " is already on cuda", "ERR_AIPROD_WRONG_DEVICE");
  const bool async = info.Length() > 0 && info[0].ToBoolean().Value();
  std::shared_ptr<Buffer> buf;
  if (async) {
    std::string why;
    const aiprod_cuda_api* api = cuda_device_api(&why);
    if (!api) throw op_error(env, op, "no CUDA device: " + why, "ERR_AIPROD_NO_DEVICE");
    buf = guard(env, op, [&] {
      return std::shared_ptr<Buffer>(std::make_shared<DeviceStorage>(api, nbytes(), describe(), cuda_copy_stream(api)));
    });
  } else {
    buf = AllocDevice(env, dtype_, shape_, op);
  }
  const auto* dev = static_cast<const DeviceStorage*>(buf.get());
  guard(env, op, [&] {
    if (async) cuda_copy_async(dev->api(), buf->bytes(), data(), nbytes(), describe());
    else cuda_copy(dev->api(), buf->bytes(), data(), nbytes(), 0, describe());
    return 0;
  });
  return CreateView(env, dtype_, shape_, std::move(buf), 0);
}

// toHost(): a copy of this cuda tensor in fresh host memory.
Napi::Value TensorWrap::ToHost(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* op = "Tensor.to";
  ThrowIfDisposed(env, op);
  if (device_ != Device::Cuda) throw op_error(env, op, "tensor " + describe() + " is already on cpu", "ERR_AIPROD_WRONG_DEVICE");
  Napi::Object out = Create(env, dtype_, shape_, false, op);
  TensorWrap* t = Unwrap(out);
  const auto* dev = static_cast<const DeviceStorage*>(storage_.get());
  guard(env, op, [&] {
    cuda_copy(dev->api(), t->data(), data(), nbytes(), 1, describe());
    return 0;
  });
  return out;
}

// dispose(): frees the memory now. Calling it again is harmless.
Napi::Value TensorWrap::Dispose(const Napi::CallbackInfo& info) {
  if (storage_) Release(info.Env());
  return info.Env().Undefined();
}

}  // namespace aiprod
