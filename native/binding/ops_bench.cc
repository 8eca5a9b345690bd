// fmaPeak({kind, seconds}): the CPU's measured FMA (f32) or vdpbf16ps (bf16) peak, for benchmarks that report
// kernels as a fraction of it. Synchronous: it blocks the calling JavaScript thread for about `seconds`.
#include <string>

#include "aiprod/fma_peak.h"
#include "errors.h"
#include "ops.h"

namespace aiprod {
namespace {

Napi::Value FmaPeak(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PeakKind kind = PeakKind::F32;
  double seconds = 1.0;
  if (info.Length() > 0 && !info[0].IsUndefined()) {
    if (!info[0].IsObject()) throw op_error(env, "fmaPeak", "expected an options object {kind, seconds}");
    Napi::Object opts = info[0].As<Napi::Object>();
    Napi::Value k = opts.Get("kind");
    if (!k.IsUndefined()) {
      const std::string name = k.IsString() ? k.As<Napi::String>().Utf8Value() : "";
      if (name == "bf16") {
        kind = PeakKind::Bf16;
      } else if (name != "f32") {
        throw op_error(env, "fmaPeak", "kind must be 'f32' or 'bf16', got '" + k.ToString().Utf8Value() + "'");
      }
    }
    Napi::Value s = opts.Get("seconds");
    if (!s.IsUndefined()) {
      seconds = s.IsNumber() ? s.As<Napi::Number>().DoubleValue() : -1;
      if (!(seconds > 0 && seconds <= 60)) {
        throw op_error(env, "fmaPeak", "seconds must be a number in (0, 60], got " + s.ToString().Utf8Value());
      }
    }
  }
  const PeakResult r = guard(env, "fmaPeak", [&] { return measure_fma_peak(kind, seconds); });
  Napi::Object o = Napi::Object::New(env);
  o.Set("gflops", r.gflops);
  o.Set("threads", r.threads);
  o.Set("pinned", r.pinned);
  o.Set("isa", r.isa);
  o.Set("checksum", r.checksum);
  return o;
}

}  // namespace

void register_bench_ops(Napi::Env env, Napi::Object exports) {
  exports.Set("fmaPeak", Napi::Function::New(env, FmaPeak, "fmaPeak"));
}

}  // namespace aiprod
