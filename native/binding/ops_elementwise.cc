// add, mul, cast: validate on the JavaScript thread, then one native call over whole buffers.
#include <string>

#include "aiprod/elementwise.h"
#include "errors.h"
#include "op_checks.h"
#include "ops.h"
#include "tensor_wrap.h"

namespace aiprod {

SameShapeCheck check_same_shape(const Napi::CallbackInfo& info, const char* name) {
  Napi::Env env = info.Env();
  TensorWrap* a = TensorWrap::From(info[0], name, "a");
  TensorWrap* b = TensorWrap::From(info[1], name, "b");
  if (a->dtype() != b->dtype()) {
    throw op_error(env, name, "dtype mismatch: a is " + a->describe() + ", b is " + b->describe() +
                                  " (cast one of them first)");
  }
  if (a->shape() != b->shape()) {
    throw op_error(env, name, "shape mismatch: a is " + a->describe() + ", b is " + b->describe() +
                                  " (shapes must be equal)");
  }
  return {a, b};
}

CastCheck check_cast(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  TensorWrap* a = TensorWrap::From(info[0], "cast", "a");
  DType to;
  const std::string name = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
  if (!dtype_from_name(name, &to)) {
    throw op_error(env, "cast", "unknown target dtype '" + info[1].ToString().Utf8Value() + "' for " +
                                    a->describe() + "; expected one of f32, bf16, f16, f8e4m3");
  }
  return {a, to};
}

namespace {

Napi::Value binary(const Napi::CallbackInfo& info, BinaryOp op, const char* name) {
  Napi::Env env = info.Env();
  const SameShapeCheck c = check_same_shape(info, name);
  TensorWrap *a = c.a, *b = c.b;
  Napi::Object out = TensorWrap::Create(env, a->dtype(), a->shape(), false, name);
  TensorWrap* o = TensorWrap::Unwrap(out);
  guard(env, name, [&] {
    binary_op(op, a->dtype(), a->data(), b->data(), o->data(), a->numel());
    return 0;
  });
  return out;
}

Napi::Value Add(const Napi::CallbackInfo& info) { return binary(info, BinaryOp::Add, "add"); }
Napi::Value Mul(const Napi::CallbackInfo& info) { return binary(info, BinaryOp::Mul, "mul"); }

// cast(a: NativeTensor, dtype: string): a new tensor.
Napi::Value Cast(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const CastCheck c = check_cast(info);
  TensorWrap* a = c.a;
  const DType to = c.to;
  Napi::Object out = TensorWrap::Create(env, to, a->shape(), false, "cast");
  TensorWrap* o = TensorWrap::Unwrap(out);
  guard(env, "cast", [&] {
    cast(a->dtype(), a->data(), to, o->data(), a->numel());
    return 0;
  });
  return out;
}

}  // namespace

void register_elementwise_ops(Napi::Env env, Napi::Object exports) {
  exports.Set("add", Napi::Function::New(env, cpu_op<Add>, "add"));
  exports.Set("mul", Napi::Function::New(env, cpu_op<Mul>, "mul"));
  exports.Set("cast", Napi::Function::New(env, cpu_op<Cast>, "cast"));
}

}  // namespace aiprod
