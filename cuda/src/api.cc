// The C API table (aiprod_cuda/api.h) over the runtime and the launchers. Plain C++: the same file builds
// into libaiprod_cuda (with runtime_cuda.cu and the nvcc-compiled kernels) and libaiprod_cuda_emu (with
// runtime_emu.cc and the kernels compiled for the host emulation). Every entry catches what the runtime and
// the launchers throw and reports it as code + message; nothing escapes across the C boundary.
#include <cstdio>
#include <new>
#include <string>

#include "aiprod_cuda/api.h"
#include "kernels/ops.h"
#include "runtime/runtime.h"

// A launcher that is not linked into this build is a null weak symbol: its entry answers
// AIPROD_CUDA_ERR_UNSUPPORTED and it is left out of the kernel list.
#define AIPROD_WEAK_OP(name, args_t) \
  namespace aiprod_cuda {            \
  __attribute__((weak)) void name(const args_t& a, void* stream); \
  }
AIPROD_WEAK_OP(linear, aiprod_cuda_linear_args)
AIPROD_WEAK_OP(matmul, aiprod_cuda_matmul_args)
AIPROD_WEAK_OP(attention, aiprod_cuda_attention_args)
AIPROD_WEAK_OP(conv3d, aiprod_cuda_conv3d_args)
AIPROD_WEAK_OP(conv_transpose1d, aiprod_cuda_conv_transpose1d_args)
AIPROD_WEAK_OP(norm, aiprod_cuda_norm_args)
AIPROD_WEAK_OP(modulate, aiprod_cuda_modulate_args)
AIPROD_WEAK_OP(unary, aiprod_cuda_unary_args)
AIPROD_WEAK_OP(binary, aiprod_cuda_binary_args)
AIPROD_WEAK_OP(rope, aiprod_cuda_rope_args)
AIPROD_WEAK_OP(copy, aiprod_cuda_copy_args)
AIPROD_WEAK_OP(layout, aiprod_cuda_layout_args)

namespace {

using namespace aiprod_cuda;

void fill(aiprod_cuda_error* err, int code, const std::string& message) {
  if (!err) return;
  err->code = code;
  std::snprintf(err->message, sizeof err->message, "%s", message.c_str());
}

template <class F>
int guard(aiprod_cuda_error* err, const char* what, F&& f) {
  try {
    f();
    return 0;
  } catch (const Error& e) {
    fill(err, e.code, std::string(what) + ": " + e.what());
    return e.code;
  } catch (const std::bad_alloc&) {
    fill(err, AIPROD_CUDA_ERR_OUT_OF_MEMORY, std::string(what) + ": out of host memory");
    return AIPROD_CUDA_ERR_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    fill(err, 999, std::string(what) + ": " + e.what());
    return 999;
  }
}

template <class Args>
int run_op(void (*op)(const Args&, void*), const char* name, const Args* a, void* stream, aiprod_cuda_error* err) {
  if (!op) {
    fill(err, AIPROD_CUDA_ERR_UNSUPPORTED, std::string(name) + ": this build of the CUDA library has no kernel for it");
    return AIPROD_CUDA_ERR_UNSUPPORTED;
  }
  if (!a) {
    fill(err, AIPROD_CUDA_ERR_INVALID_ARGUMENT, std::string(name) + ": null argument struct");
    return AIPROD_CUDA_ERR_INVALID_ARGUMENT;
  }
  return guard(err, name, [&] { op(*a, stream); });
}

#define OP_ENTRY(name, args_t)                                                     \
  int op_##name(const args_t* a, aiprod_cuda_stream s, aiprod_cuda_error* err) {   \
    return run_op<args_t>(&aiprod_cuda::name, #name, a, s, err);                   \
  }
OP_ENTRY(linear, aiprod_cuda_linear_args)
OP_ENTRY(matmul, aiprod_cuda_matmul_args)
OP_ENTRY(attention, aiprod_cuda_attention_args)
OP_ENTRY(conv3d, aiprod_cuda_conv3d_args)
OP_ENTRY(conv_transpose1d, aiprod_cuda_conv_transpose1d_args)
OP_ENTRY(norm, aiprod_cuda_norm_args)
OP_ENTRY(modulate, aiprod_cuda_modulate_args)
OP_ENTRY(unary, aiprod_cuda_unary_args)
OP_ENTRY(binary, aiprod_cuda_binary_args)
OP_ENTRY(rope, aiprod_cuda_rope_args)
OP_ENTRY(copy, aiprod_cuda_copy_args)
OP_ENTRY(layout, aiprod_cuda_layout_args)

std::string kernel_list() {
  std::string s;
  auto add = [&](const char* name, bool present) {
    if (!present) return;
    if (!s.empty()) s += ",";
    s += name;
  };
  add("linear", &aiprod_cuda::linear != nullptr);
  add("matmul", &aiprod_cuda::matmul != nullptr);
  add("attention", &aiprod_cuda::attention != nullptr);
  add("conv3d", &aiprod_cuda::conv3d != nullptr);
  add("conv_transpose1d", &aiprod_cuda::conv_transpose1d != nullptr);
  add("norm", &aiprod_cuda::norm != nullptr);
  add("modulate", &aiprod_cuda::modulate != nullptr);
  add("unary", &aiprod_cuda::unary != nullptr);
  add("binary", &aiprod_cuda::binary != nullptr);
  add("rope", &aiprod_cuda::rope != nullptr);
  add("copy", &aiprod_cuda::copy != nullptr);
  add("layout", &aiprod_cuda::layout != nullptr);
  return s;
}

int driver_version(int* version, aiprod_cuda_error* err) {
  return guard(err, "driver_version", [&] { *version = rt::driver_version(); });
}
int device_count(int* count, aiprod_cuda_error* err) {
  return guard(err, "device_count", [&] {
    std::string why;
    *count = rt::device_count(&why);
    if (*count == 0) fill(err, 100 /* cudaErrorNoDevice */, "no CUDA device: " + why);
  });
}
int device_info(int device, aiprod_cuda_device_info* info, aiprod_cuda_error* err) {
  return guard(err, "device_info", [&] { *info = rt::device_info(device); });
}
int set_device(int device, aiprod_cuda_error* err) {
  return guard(err, "set_device", [&] { rt::set_device(device); });
}
int malloc_(size_t nbytes, aiprod_cuda_stream stream, void** ptr, aiprod_cuda_error* err) {
  *ptr = nullptr;
  return guard(err, "malloc", [&] { *ptr = rt::malloc(nbytes, stream); });
}
int free_(void* ptr, aiprod_cuda_stream stream, aiprod_cuda_error* err) {
  return guard(err, "free", [&] { rt::free(ptr, stream); });
}
int memory_stats(size_t* in_use, size_t* cached, size_t* peak, aiprod_cuda_error* err) {
  return guard(err, "memory_stats", [&] { rt::memory_stats(in_use, cached, peak); });
}
int reset_peak(aiprod_cuda_error* err) { return guard(err, "reset_peak", [&] { rt::reset_peak(); }); }
int trim(aiprod_cuda_error* err) { return guard(err, "trim", [&] { rt::trim(); }); }
int host_alloc_pinned(size_t nbytes, void** ptr, aiprod_cuda_error* err) {
  *ptr = nullptr;
  return guard(err, "host_alloc_pinned", [&] { *ptr = rt::host_alloc_pinned(nbytes); });
}
int host_free_pinned(void* ptr, aiprod_cuda_error* err) {
  return guard(err, "host_free_pinned", [&] { rt::host_free_pinned(ptr); });
}
int memcpy_(void* dst, const void* src, size_t nbytes, int kind, aiprod_cuda_stream stream, aiprod_cuda_error* err) {
  return guard(err, "memcpy", [&] { rt::memcpy(dst, src, nbytes, kind, stream); });
}
int memset_(void* dst, int value, size_t nbytes, aiprod_cuda_stream stream, aiprod_cuda_error* err) {
  return guard(err, "memset", [&] { rt::memset(dst, value, nbytes, stream); });
}
int stream_create(aiprod_cuda_stream* s, aiprod_cuda_error* err) {
  return guard(err, "stream_create", [&] { *s = rt::stream_create(); });
}
int stream_destroy(aiprod_cuda_stream s, aiprod_cuda_error* err) {
  return guard(err, "stream_destroy", [&] { rt::stream_destroy(s); });
}
int stream_synchronize(aiprod_cuda_stream s, aiprod_cuda_error* err) {
  return guard(err, "stream_synchronize", [&] { rt::stream_synchronize(s); });
}
int event_create(aiprod_cuda_event* e, aiprod_cuda_error* err) {
  return guard(err, "event_create", [&] { *e = rt::event_create(); });
}
int event_destroy(aiprod_cuda_event e, aiprod_cuda_error* err) {
  return guard(err, "event_destroy", [&] { rt::event_destroy(e); });
}
int event_record(aiprod_cuda_event e, aiprod_cuda_stream s, aiprod_cuda_error* err) {
  return guard(err, "event_record", [&] { rt::event_record(e, s); });
}
int event_synchronize(aiprod_cuda_event e, aiprod_cuda_error* err) {
  return guard(err, "event_synchronize", [&] { rt::event_synchronize(e); });
}
int stream_wait_event(aiprod_cuda_stream s, aiprod_cuda_event e, aiprod_cuda_error* err) {
  return guard(err, "stream_wait_event", [&] { rt::stream_wait_event(s, e); });
}
int event_elapsed_ms(aiprod_cuda_event a, aiprod_cuda_event b, float* ms, aiprod_cuda_error* err) {
  return guard(err, "event_elapsed_ms", [&] { *ms = rt::event_elapsed_ms(a, b); });
}

const std::string& kernels() {
  static const std::string list = kernel_list();
  return list;
}

const aiprod_cuda_api& table() {
  static const aiprod_cuda_api api = {
      AIPROD_CUDA_API_VERSION, rt::kRuntimeVersion, rt::kArchitectures, kernels().c_str(),
      driver_version, device_count, device_info, set_device,
      malloc_, free_, memory_stats, reset_peak, trim, host_alloc_pinned, host_free_pinned, memcpy_, memset_,
      stream_create, stream_destroy, stream_synchronize, event_create, event_destroy, event_record,
      event_synchronize, stream_wait_event, event_elapsed_ms,
      op_linear, op_matmul, op_attention, op_conv3d, op_conv_transpose1d, op_norm, op_modulate, op_unary,
      op_binary, op_rope, op_copy, op_layout,
  };
  return api;
}

}  // namespace

extern "C" __attribute__((visibility("default"))) const aiprod_cuda_api* aiprod_cuda_get_api(int version) {
  return version == AIPROD_CUDA_API_VERSION ? &table() : nullptr;
}
