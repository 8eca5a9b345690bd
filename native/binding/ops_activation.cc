// Activations (GELU tanh/erf, SiLU, LeakyReLU), lerp, and the last-dim softmax / mean / std. Outputs keep x's
// dtype; mean and std drop the last dim.
#include <string>

#include "aiprod/pointwise.h"
#include "errors.h"
#include "op_checks.h"
#include "ops.h"
#include "pointwise_args.h"

namespace aiprod {

UnaryCheck check_unary(const Napi::CallbackInfo& info, const char* op, bool has_param) {
  TensorWrap* x = float_tensor(info, 0, op, "x");
  const float param = has_param ? number_arg(info, 1, op, "slope", false) : 0.0f;
  return {x, param};
}

LerpCheck check_lerp(const Napi::CallbackInfo& info) {
  const char* op = "lerp";
  TensorWrap* a = float_tensor(info, 0, op, "a");
  TensorWrap* b = float_tensor(info, 1, op, "b");
  const float t = number_arg(info, 2, op, "t", false);
  if (a->shape() != b->shape()) {
    throw op_error(info.Env(), op, "a is " + a->describe() + " but b is " + b->describe() + " (shapes must be equal)");
  }
  return {a, b, t};
}

namespace {
// x of rank >= 1 with a non-empty last dim; returns it.
size_t last_dim(Napi::Env env, const char* op, TensorWrap* x) {
  if (x->shape().empty() || x->shape().back() == 0) {
    throw op_error(env, op, "x is " + x->describe() + "; it must have rank >= 1 and a non-empty last dim");
  }
  return size_t(x->shape().back());
}
}  // namespace

RowsCheck check_softmax(const Napi::CallbackInfo& info) {
  const char* op = "softmax";
  TensorWrap* x = float_tensor(info, 0, op, "x");
  const size_t d = last_dim(info.Env(), op, x);
  return {x, d, false, x->shape()};
}

// mean(x) / std(x, unbiased): over the last dim, which the output drops.
RowsCheck check_moments(const Napi::CallbackInfo& info, bool want_std) {
  const char* op = want_std ? "std" : "mean";
  Napi::Env env = info.Env();
  TensorWrap* x = float_tensor(info, 0, op, "x");
  const bool unbiased = want_std && info[1].IsBoolean() && info[1].As<Napi::Boolean>().Value();
  if (want_std && !info[1].IsBoolean()) {
    throw op_error(env, op, "unbiased is " + info[1].ToString().Utf8Value() + "; it must be true or false");
  }
  const size_t d = last_dim(env, op, x);
  std::vector<int64_t> shape = x->shape();
  shape.pop_back();
  return {x, d, unbiased, shape};
}

namespace {

Napi::Value unary(const Napi::CallbackInfo& info, Activation act, const char* op, bool has_param) {
  Napi::Env env = info.Env();
  const UnaryCheck c = check_unary(info, op, has_param);
  TensorWrap* x = c.x;
  const float param = c.param;
  return filled_tensor(env, op, x->dtype(), x->shape(), [&](TensorWrap* y) {
    activation(act, param, in_of(x), out_of(y), x->numel());
  });
}

Napi::Value GeluTanh(const Napi::CallbackInfo& info) { return unary(info, Activation::GeluTanh, "gelu_tanh", false); }
Napi::Value GeluErf(const Napi::CallbackInfo& info) { return unary(info, Activation::GeluErf, "gelu_erf", false); }
Napi::Value Silu(const Napi::CallbackInfo& info) { return unary(info, Activation::Silu, "silu", false); }
Napi::Value Sigmoid(const Napi::CallbackInfo& info) { return unary(info, Activation::Sigmoid, "sigmoid", false); }
Napi::Value Tanh(const Napi::CallbackInfo& info) { return unary(info, Activation::Tanh, "tanh", false); }
Napi::Value LeakyRelu(const Napi::CallbackInfo& info) { return unary(info, Activation::LeakyRelu, "leaky_relu", true); }

// lerp(a, b, t): a + t·(b − a), t a number.
Napi::Value Lerp(const Napi::CallbackInfo& info) {
  const char* op = "lerp";
  Napi::Env env = info.Env();
  const LerpCheck c = check_lerp(info);
  TensorWrap *a = c.a, *b = c.b;
  const float t = c.t;
  return filled_tensor(env, op, a->dtype(), a->shape(), [&](TensorWrap* y) {
    lerp(in_of(a), in_of(b), t, out_of(y), a->numel());
  });
}

Napi::Value Softmax(const Napi::CallbackInfo& info) {
  const char* op = "softmax";
  Napi::Env env = info.Env();
  const RowsCheck c = check_softmax(info);
  TensorWrap* x = c.x;
  const size_t d = c.d;
  return filled_tensor(env, op, x->dtype(), x->shape(), [&](TensorWrap* y) {
    softmax(in_of(x), out_of(y), x->numel() / d, d);
  });
}

Napi::Value moments(const Napi::CallbackInfo& info, bool want_std) {
  const char* op = want_std ? "std" : "mean";
  Napi::Env env = info.Env();
  const RowsCheck c = check_moments(info, want_std);
  TensorWrap* x = c.x;
  const size_t d = c.d;
  const bool unbiased = c.unbiased;
  return filled_tensor(env, op, x->dtype(), c.out_shape, [&](TensorWrap* y) {
    if (want_std) row_std(in_of(x), unbiased, out_of(y), x->numel() / d, d);
    else row_mean(in_of(x), out_of(y), x->numel() / d, d);
  });
}

Napi::Value Mean(const Napi::CallbackInfo& info) { return moments(info, false); }
Napi::Value Std(const Napi::CallbackInfo& info) { return moments(info, true); }

}  // namespace

void register_activation_ops(Napi::Env env, Napi::Object exports) {
  exports.Set("geluTanh", Napi::Function::New(env, cpu_op<GeluTanh>, "geluTanh"));
  exports.Set("geluErf", Napi::Function::New(env, cpu_op<GeluErf>, "geluErf"));
  exports.Set("silu", Napi::Function::New(env, cpu_op<Silu>, "silu"));
  exports.Set("sigmoid", Napi::Function::New(env, cpu_op<Sigmoid>, "sigmoid"));
  exports.Set("tanh", Napi::Function::New(env, cpu_op<Tanh>, "tanh"));
  exports.Set("leakyRelu", Napi::Function::New(env, cpu_op<LeakyRelu>, "leakyRelu"));
  exports.Set("lerp", Napi::Function::New(env, cpu_op<Lerp>, "lerp"));
  exports.Set("softmax", Napi::Function::New(env, cpu_op<Softmax>, "softmax"));
  exports.Set("mean", Napi::Function::New(env, cpu_op<Mean>, "mean"));
  exports.Set("std", Napi::Function::New(env, cpu_op<Std>, "std"));
}

}  // namespace aiprod
