// linear (x · Wᵀ with fused epilogue) and matmul: argument checks on the JavaScript thread, then one native call.
#include <string>
#include <vector>

#include "aiprod/elementwise.h"
#include "aiprod/gemm.h"
#include "aiprod/storage.h"
#include "args.h"
#include "errors.h"
#include "op_checks.h"
#include "ops.h"
#include "tensor_wrap.h"

namespace aiprod {
namespace {
std::string shape_str(const std::vector<int64_t>& s) { return describe(DType::F32, s).substr(3); }
}  // namespace

// linear(x [..., K] f32|bf16, weight [N, K] f32|bf16|f8e4m3, opts { bias [N], activation 'none'|'gelu_tanh',
//        gate [..., N], residual [..., N], weightScale }) -> f32 [..., N]
LinearCheck check_linear(const Napi::CallbackInfo& info, const std::string& op) {
  Napi::Env env = info.Env();
  TensorWrap* x = TensorWrap::From(info[0], op, "x");
  TensorWrap* w = TensorWrap::From(info[1], op, "weight");
  Napi::Object opts = options_arg(info, 2, op);
  if (x->dtype() != DType::F32 && x->dtype() != DType::BF16) {
    throw op_error(env, op, "x is " + x->describe() + "; expected f32 or bf16 activations");
  }
  if (w->dtype() == DType::F16) {
    throw op_error(env, op, "weight is " + w->describe() + "; f16 weights are not supported (cast to bf16 or f32)");
  }
  if (x->shape().empty() || w->shape().size() != 2) {
    throw op_error(env, op, "expected x [..., K] and weight [N, K], got x " + x->describe() + " and weight " + w->describe());
  }
  const size_t k = size_t(x->shape().back()), n = size_t(w->shape()[0]);
  if (size_t(w->shape()[1]) != k) {
    throw op_error(env, op, "inner sizes differ: x is " + x->describe() + " (K=" + std::to_string(k) + "), weight is " +
                                w->describe() + " (K=" + std::to_string(w->shape()[1]) + ")");
  }
  std::vector<int64_t> out_shape = x->shape();
  out_shape.back() = int64_t(n);
  // Rows from the leading dims, not numel / K: with K = 0 there are still M rows (bias and residual only).
  size_t m = 1;
  for (size_t i = 0; i + 1 < x->shape().size(); ++i) m *= size_t(x->shape()[i]);
  TensorWrap* bias = optional_vector(opts, "bias", n, op, " for weight " + w->describe());
  TensorWrap* gate = optional_tensor(opts, "gate", op);
  TensorWrap* residual = optional_tensor(opts, "residual", op);
  for (auto [t, name] : {std::pair{gate, "gate"}, std::pair{residual, "residual"}}) {
    if (!t) continue;
    require_dtype(t, DType::F32, op, name);
    if (t->shape() != out_shape) {
      throw op_error(env, op, std::string(name) + " is " + t->describe() + "; expected the output shape " + shape_str(out_shape));
    }
  }
  const std::string act = optional_string(opts, "activation", "none", op);
  if (act != "none" && act != "gelu_tanh") {
    throw op_error(env, op, "unknown activation '" + act + "'; expected 'none' or 'gelu_tanh'");
  }
  const double scale = optional_number(opts, "weightScale", 1.0, op);
  if (scale != 1.0 && w->dtype() != DType::F8E4M3) throw op_error(env, op, "weightScale applies to f8e4m3 weights only");
  return {x, w, bias, gate, residual, m, k, n, out_shape, act == "gelu_tanh", float(scale)};
}

namespace {

Napi::Value Linear(const Napi::CallbackInfo& info) {
  const std::string op = "linear";
  Napi::Env env = info.Env();
  const LinearCheck c = check_linear(info, op);
  TensorWrap *x = c.x, *w = c.w, *bias = c.bias, *gate = c.gate, *residual = c.residual;
  const size_t m = c.m, k = c.k, n = c.n;
  const bool gelu = c.gelu_tanh;
  const float scale = c.weight_scale;
  const std::vector<int64_t>& out_shape = c.out_shape;
  Napi::Object out = TensorWrap::Create(env, DType::F32, out_shape, false, op);
  TensorWrap* y = TensorWrap::Unwrap(out);
  guard(env, op, [&] {
    std::unique_ptr<HostStorage> x32;
    const float* xp = static_cast<const float*>(x->data());
    if (x->dtype() == DType::BF16) {  // bf16 activations: exact in f32
      x32 = std::make_unique<HostStorage>(x->numel() * 4, false);
      cast(DType::BF16, x->data(), DType::F32, x32->data(), x->numel());
      xp = static_cast<const float*>(x32->data());
    }
    LinearArgs a{xp, m, k, n, w->data(), w->dtype(), float(scale), static_cast<float*>(y->data()), {}};
    a.epi.bias = bias ? static_cast<const float*>(bias->data()) : nullptr;
    a.epi.act = gelu ? Activation::GeluTanh : Activation::None;
    a.epi.gate = gate ? static_cast<const float*>(gate->data()) : nullptr;
    a.epi.residual = residual ? static_cast<const float*>(residual->data()) : nullptr;
    a.w_key = w->weight_key();
    linear(a);
    return 0;
  });
  return out;
}

}  // namespace

// matmul(a [..., M, K] f32, b [..., K, N] or [K, N] f32, opts { transposeB }) -> f32 [..., M, N]
MatmulCheck check_matmul(const Napi::CallbackInfo& info, const std::string& op) {
  Napi::Env env = info.Env();
  TensorWrap* a = TensorWrap::From(info[0], op, "a");
  TensorWrap* b = TensorWrap::From(info[1], op, "b");
  Napi::Object opts = options_arg(info, 2, op);
  const bool tb = optional_bool(opts, "transposeB", false, op);
  require_dtype(a, DType::F32, op, "a");
  require_dtype(b, DType::F32, op, "b");
  const auto& as = a->shape();
  const auto& bs = b->shape();
  if (as.size() < 2 || bs.size() < 2) {
    throw op_error(env, op, "a and b need at least 2 dimensions, got a " + a->describe() + " and b " + b->describe());
  }
  const size_t m = size_t(as[as.size() - 2]), k = size_t(as.back());
  const size_t bk = size_t(tb ? bs.back() : bs[bs.size() - 2]), n = size_t(tb ? bs[bs.size() - 2] : bs.back());
  if (bk != k) {
    throw op_error(env, op, "inner sizes differ: a is " + a->describe() + ", b is " + b->describe() + (tb ? " (transposeB)" : ""));
  }
  const std::vector<int64_t> a_batch(as.begin(), as.end() - 2), b_batch(bs.begin(), bs.end() - 2);
  if (!b_batch.empty() && b_batch != a_batch) {
    throw op_error(env, op, "batch dimensions differ: a is " + a->describe() + ", b is " + b->describe() +
                                " (b must have a's batch dimensions or none)");
  }
  size_t batch = 1;
  for (int64_t d : a_batch) batch *= size_t(d);
  std::vector<int64_t> out_shape = a_batch;
  out_shape.push_back(int64_t(m));
  out_shape.push_back(int64_t(n));
  return {a, b, batch, m, k, n, tb, !b_batch.empty(), out_shape};
}

namespace {

Napi::Value Matmul(const Napi::CallbackInfo& info) {
  const std::string op = "matmul";
  Napi::Env env = info.Env();
  const MatmulCheck mc = check_matmul(info, op);
  TensorWrap *a = mc.a, *b = mc.b;
  const size_t batch = mc.batch, m = mc.m, k = mc.k, n = mc.n;
  const bool tb = mc.transpose_b;
  Napi::Object out = TensorWrap::Create(env, DType::F32, mc.out_shape, false, op);
  TensorWrap* c = TensorWrap::Unwrap(out);
  guard(env, op, [&] {
    MatmulArgs args{static_cast<const float*>(a->data()), static_cast<const float*>(b->data()), static_cast<float*>(c->data()),
                    batch, m, k, n, m * k, mc.b_batched ? k * n : 0, m * n, tb};
    matmul(args);
    return 0;
  });
  return out;
}

}  // namespace

void register_linear_ops(Napi::Env env, Napi::Object exports) {
  exports.Set("linear", Napi::Function::New(env, cpu_op<Linear>, "linear"));
  exports.Set("matmul", Napi::Function::New(env, cpu_op<Matmul>, "matmul"));
}

}  // namespace aiprod
