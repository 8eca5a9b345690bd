// Addon entry point. Context-aware (NODE_API_MODULE registers per environment), so it loads in the main
// thread and in any number of worker_threads; process-wide state (kernel path, thread pool) is shared.
#include <napi.h>

#include <cstdlib>
#include <mutex>
#include <string>

#include "addon_data.h"
#include "aiprod/kernels.h"
#include "ops.h"
#include "tensor_wrap.h"

namespace aiprod {
namespace {

// AIPROD_ISA is applied once per process; a bad value fails every load with the same message.
std::string apply_isa_env() {
  static std::once_flag once;
  static std::string error;
  std::call_once(once, [] {
    const char* env = std::getenv("AIPROD_ISA");
    if (!env || !*env || std::string(env) == "auto") return;
    Isa isa;
    if (!isa_from_name(env, &isa)) {
      error = std::string("AIPROD_ISA='") + env + "' is not one of ref, avx2, avx512, auto";
      return;
    }
    try {
      select_isa(isa);
    } catch (const std::exception& e) {
      error = std::string("AIPROD_ISA=") + env + ": " + e.what();
    }
  });
  return error;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  const std::string isa_error = apply_isa_env();
  if (!isa_error.empty()) {
    Napi::Error e = Napi::Error::New(env, "aiprod: " + isa_error);
    e.Set("code", Napi::String::New(env, "ERR_AIPROD_ISA"));
    throw e;
  }
  auto* data = new AddonData();
  Napi::Function tensor = TensorWrap::Define(env);
  data->tensor_constructor = Napi::Persistent(tensor);
  env.SetInstanceData<AddonData>(data);  // deleted by Node when the environment goes away
  exports.Set("NativeTensor", tensor);
  register_elementwise_ops(env, exports);
  register_info(env, exports);
  register_linear_ops(env, exports);
  register_attention_ops(env, exports);
  register_conv_ops(env, exports);
  register_norm_ops(env, exports);
  register_activation_ops(env, exports);
  register_rope_ops(env, exports);
  register_layout_ops(env, exports);
  register_bench_ops(env, exports);
  register_shape_ops(env, exports);
  register_cuda_runtime(env, exports);
  register_cuda_linear_ops(env, exports);
  register_cuda_conv_ops(env, exports);
  register_cuda_pointwise_ops(env, exports);
  register_cuda_layout_ops(env, exports);
  return exports;
}

}  // namespace
}  // namespace aiprod

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return aiprod::Init(env, exports); }
NODE_API_MODULE(aiprod, InitAddon)
