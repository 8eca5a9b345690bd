// info(), setIsa(), cudaProbe(): what this build and this machine can do.
#include <string>

#include "aiprod/cpu_features.h"
#include "aiprod/cuda_loader.h"
#include "aiprod/kernels.h"
#include "aiprod/threadpool.h"
#include "errors.h"
#include "ops.h"

namespace aiprod {
namespace {

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const CpuFeatures& f = cpu_features();
  Napi::Object o = Napi::Object::New(env);
  o.Set("version", AIPROD_VERSION);
  o.Set("isa", isa_name(active_isa()));
  Napi::Array compiled = Napi::Array::New(env), usable = Napi::Array::New(env);
  Napi::Object unusable = Napi::Object::New(env);
  for (Isa isa : {Isa::Ref, Isa::Avx2, Isa::Avx512}) {
    std::string why;
    const bool ok = isa_usable(isa, &why);
    if (ok || why.find("not compiled") == std::string::npos) compiled.Set(compiled.Length(), isa_name(isa));
    if (ok) {
      usable.Set(usable.Length(), isa_name(isa));
    } else {
      unusable.Set(isa_name(isa), why);
    }
  }
  o.Set("isaCompiled", compiled);
  o.Set("isaAvailable", usable);
  o.Set("isaUnavailable", unusable);
  o.Set("threads", thread_count());
  Napi::Object cpu = Napi::Object::New(env);
  cpu.Set("vendor", f.vendor);
  cpu.Set("brand", f.brand);
  Napi::Object flags = Napi::Object::New(env);
  flags.Set("sse42", f.sse42);
  flags.Set("avx2", f.avx2);
  flags.Set("fma", f.fma);
  flags.Set("f16c", f.f16c);
  flags.Set("avx512", f.avx512);
  flags.Set("avx512_bf16", f.avx512_bf16);
  flags.Set("avx512_vnni", f.avx512_vnni);
  cpu.Set("features", flags);
  o.Set("cpu", cpu);
  return o;
}

// setIsa(name): switches the process-wide kernel path (shared by all worker threads).
Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string name = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  Isa isa;
  if (!isa_from_name(name, &isa)) {
    throw op_error(env, "setIsa", "unknown ISA path '" + info[0].ToString().Utf8Value() +
                                      "'; expected one of ref, avx2, avx512");
  }
  guard(env, "setIsa", [&] {
    select_isa(isa);
    return 0;
  });
  return env.Undefined();
}

// cudaProbe(libraryPath): loads the CUDA library on first call and describes it and its devices.
Napi::Value CudaProbe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw op_error(env, "cudaProbe", "expected the library path as a string");
  const CudaStatus s = cuda_probe(info[0].As<Napi::String>().Utf8Value());
  Napi::Object o = Napi::Object::New(env);
  o.Set("libraryPath", s.library_path);
  o.Set("built", s.built);
  o.Set("loaded", s.loaded);
  if (!s.error.empty()) o.Set("error", s.error);
  o.Set("runtimeVersion", s.runtime_version);
  o.Set("driverVersion", s.driver_version);
  o.Set("architectures", s.architectures);
  o.Set("kernels", s.kernels);
  o.Set("emulated", s.emulated);
  Napi::Array devices = Napi::Array::New(env, s.devices.size());
  for (size_t i = 0; i < s.devices.size(); ++i) {
    const CudaDevice& d = s.devices[i];
    Napi::Object dev = Napi::Object::New(env);
    dev.Set("name", d.name);
    dev.Set("totalMemory", double(d.total_memory));
    dev.Set("freeMemory", double(d.free_memory));
    dev.Set("computeCapability", std::to_string(d.cc_major) + "." + std::to_string(d.cc_minor));
    dev.Set("multiprocessors", d.multiprocessors);
    dev.Set("emulated", d.emulated);
    devices.Set(uint32_t(i), dev);
  }
  o.Set("devices", devices);
  return o;
}

}  // namespace

void register_info(Napi::Env env, Napi::Object exports) {
  exports.Set("info", Napi::Function::New(env, Info, "info"));
  exports.Set("setIsa", Napi::Function::New(env, SetIsa, "setIsa"));
  exports.Set("cudaProbe", Napi::Function::New(env, CudaProbe, "cudaProbe"));
}

}  // namespace aiprod
