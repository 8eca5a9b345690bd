// attention(q, k, v, { scale, bias, causal, window }): shape checks on the JavaScript thread, one native call.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "aiprod/attention.h"
#include "aiprod/elementwise.h"
#include "aiprod/storage.h"
#include "args.h"
#include "errors.h"
#include "op_checks.h"
#include "ops.h"
#include "tensor_wrap.h"

namespace aiprod {
namespace {

// f32 view of a tensor: the tensor itself, or an f32 copy of a bf16/f16 one (held by keep).
const float* as_f32(TensorWrap* t, std::unique_ptr<HostStorage>& keep) {
  if (t->dtype() == DType::F32) return static_cast<const float*>(t->data());
  keep = std::make_unique<HostStorage>(t->numel() * sizeof(float), false);
  cast(t->dtype(), t->data(), DType::F32, keep->data(), t->numel());
  return static_cast<const float*>(keep->data());
}

}  // namespace

AttentionCheck check_attention(const Napi::CallbackInfo& info, const std::string& op) {
  Napi::Env env = info.Env();
  TensorWrap* q = TensorWrap::From(info[0], op, "q");
  TensorWrap* k = TensorWrap::From(info[1], op, "k");
  TensorWrap* v = TensorWrap::From(info[2], op, "v");
  Napi::Object opts = options_arg(info, 3, op);
  for (auto [t, name] : {std::pair{q, "q"}, std::pair{k, "k"}, std::pair{v, "v"}}) {
    if (t->dtype() == DType::F8E4M3) throw op_error(env, op, std::string(name) + " is " + t->describe() + "; expected f32, bf16 or f16");
    if (t->shape().size() != 4) throw op_error(env, op, std::string(name) + " is " + t->describe() + "; expected [batch, heads, tokens, head_dim]");
  }
  const auto &qs = q->shape(), &ks = k->shape(), &vs = v->shape();
  const std::string all = "q " + q->describe() + ", k " + k->describe() + ", v " + v->describe();
  if (ks != vs) throw op_error(env, op, "k and v shapes differ: " + all);
  if (qs[0] != ks[0] || qs[3] != ks[3]) throw op_error(env, op, "batch or head_dim differ: " + all);
  if (ks[1] == 0 || qs[1] % ks[1] != 0) {
    throw op_error(env, op, "query heads (" + std::to_string(qs[1]) + ") must be a multiple of kv heads (" + std::to_string(ks[1]) + "): " + all);
  }
  AttentionArgs a{};
  a.batch = size_t(qs[0]), a.heads = size_t(qs[1]), a.kv_heads = size_t(ks[1]);
  a.nq = size_t(qs[2]), a.nk = size_t(ks[2]), a.d = size_t(qs[3]);
  const double scale = optional_number(opts, "scale", a.d ? 1.0 / std::sqrt(double(a.d)) : 1.0, op);
  if (!std::isfinite(scale)) throw op_error(env, op, "option 'scale' must be finite");
  a.scale = float(scale);
  a.causal = optional_bool(opts, "causal", false, op);
  const double window = optional_number(opts, "window", 0, op);
  // Finite too: Infinity passes the integer test, and size_t(Infinity) is undefined behaviour.
  if (!std::isfinite(window) || window < 0 || std::floor(window) != window || window > 9007199254740992.0) {
    throw op_error(env, op, "option 'window' must be a non-negative integer (0 = no window)");
  }
  a.window = size_t(window);
  TensorWrap* bias = optional_tensor(opts, "bias", op);
  if (bias) {
    require_dtype(bias, DType::F32, op, "bias");
    const auto& bs = bias->shape();
    const bool rows_ok = bs.size() >= 2 && size_t(bs[bs.size() - 2]) == a.nq && size_t(bs.back()) == a.nk;
    const bool lead_ok = bs.size() == 2 ||
                         (bs.size() == 4 && (bs[0] == 1 || size_t(bs[0]) == a.batch) && (bs[1] == 1 || size_t(bs[1]) == a.heads));
    if (!rows_ok || !lead_ok) {
      throw op_error(env, op, "bias is " + bias->describe() + "; expected [" + std::to_string(a.nq) + "," + std::to_string(a.nk) +
                                  "] or [1|batch, 1|heads, " + std::to_string(a.nq) + ", " + std::to_string(a.nk) + "] for " + all);
    }
    const size_t plane = a.nq * a.nk;
    a.bias_stride_b = bs.size() == 4 && bs[0] != 1 ? size_t(bs[1]) * plane : 0;
    a.bias_stride_h = bs.size() == 4 && bs[1] != 1 ? plane : 0;
  }
  return {q, k, v, bias, a};
}

namespace {

Napi::Value Attention(const Napi::CallbackInfo& info) {
  const std::string op = "attention";
  Napi::Env env = info.Env();
  AttentionCheck c = check_attention(info, op);
  TensorWrap *q = c.q, *k = c.k, *v = c.v, *bias = c.bias;
  AttentionArgs& a = c.args;
  const std::vector<int64_t>& qs = q->shape();
  Napi::Object out = TensorWrap::Create(env, DType::F32, qs, false, op);
  TensorWrap* o = TensorWrap::Unwrap(out);
  guard(env, op, [&] {
    std::unique_ptr<HostStorage> q32, k32, v32;
    a.q = as_f32(q, q32);
    a.k = as_f32(k, k32);
    a.v = as_f32(v, v32);
    a.bias = bias ? static_cast<const float*>(bias->data()) : nullptr;
    a.out = static_cast<float*>(o->data());
    a.bf16 = q->dtype() == DType::BF16 && k->dtype() == DType::BF16 && v->dtype() == DType::BF16;
    attention(a);
    return 0;
  });
  return out;
}

}  // namespace

void register_attention_ops(Napi::Env env, Napi::Object exports) {
  exports.Set("attention", Napi::Function::New(env, cpu_op<Attention>, "attention"));
}

}  // namespace aiprod
