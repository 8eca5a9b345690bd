#include "args.h"

#include "errors.h"

#include <vector>

namespace aiprod {

static bool absent(const Napi::Value& v) { return v.IsUndefined() || v.IsNull(); }

TensorWrap* optional_tensor(const Napi::Object& opts, const char* key, const std::string& op) {
  Napi::Value v = opts.Get(key);
  if (absent(v)) return nullptr;
  return TensorWrap::From(v, op, key);
}

double optional_number(const Napi::Object& opts, const char* key, double fallback, const std::string& op) {
  Napi::Value v = opts.Get(key);
  if (absent(v)) return fallback;
  if (!v.IsNumber()) throw op_error(opts.Env(), op, std::string("option '") + key + "' must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

std::string optional_string(const Napi::Object& opts, const char* key, const std::string& fallback, const std::string& op) {
  Napi::Value v = opts.Get(key);
  if (absent(v)) return fallback;
  if (!v.IsString()) throw op_error(opts.Env(), op, std::string("option '") + key + "' must be a string");
  return v.As<Napi::String>().Utf8Value();
}

bool optional_bool(const Napi::Object& opts, const char* key, bool fallback, const std::string& op) {
  Napi::Value v = opts.Get(key);
  if (absent(v)) return fallback;
  if (!v.IsBoolean()) throw op_error(opts.Env(), op, std::string("option '") + key + "' must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

Napi::Object options_arg(const Napi::CallbackInfo& info, size_t i, const std::string& op) {
  if (info.Length() <= i || absent(info[i])) return Napi::Object::New(info.Env());
  if (!info[i].IsObject()) throw op_error(info.Env(), op, "options must be an object");
  return info[i].As<Napi::Object>();
}

TensorWrap* optional_vector(const Napi::Object& opts, const char* key, size_t n, const std::string& op,
                            const std::string& context) {
  TensorWrap* t = optional_tensor(opts, key, op);
  if (t) {
    require_dtype(t, DType::F32, op, key);
    if (t->shape() != std::vector<int64_t>{int64_t(n)}) {
      throw op_error(opts.Env(), op, std::string(key) + " is " + t->describe() + "; expected f32[" + std::to_string(n) + "]" + context);
    }
  }
  return t;
}

void require_dtype(TensorWrap* t, DType dtype, const std::string& op, const char* arg) {
  if (t->dtype() != dtype) {
    throw op_error(t->Env(), op, std::string(arg) + " is " + t->describe() + "; expected " + dtype_name(dtype));
  }
}

}  // namespace aiprod
