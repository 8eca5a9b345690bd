#include "pointwise_args.h"

#include <cmath>

#include "errors.h"

namespace aiprod {

TensorWrap* float_tensor(const Napi::CallbackInfo& info, size_t i, const std::string& op, const char* name) {
  TensorWrap* t = TensorWrap::From(info[i], op, name);
  if (t->dtype() != DType::F32 && t->dtype() != DType::BF16) {
    throw op_error(info.Env(), op, std::string(name) + " is " + t->describe() + "; " + op +
                                       " takes f32 or bf16 tensors (cast it first)");
  }
  return t;
}

TensorWrap* optional_float_tensor(const Napi::CallbackInfo& info, size_t i, const std::string& op, const char* name) {
  if (info[i].IsNull() || info[i].IsUndefined()) return nullptr;
  return float_tensor(info, i, op, name);
}

float number_arg(const Napi::CallbackInfo& info, size_t i, const std::string& op, const char* name, bool positive) {
  const Napi::Value v = info[i];
  const double x = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (!std::isfinite(x) || (positive && !(x > 0))) {
    throw op_error(info.Env(), op, std::string(name) + " is " + v.ToString().Utf8Value() + "; it must be a finite " +
                                       (positive ? "number > 0" : "number"));
  }
  return float(x);
}

int64_t int_arg(const Napi::CallbackInfo& info, size_t i, const std::string& op, const char* name, int64_t min) {
  const Napi::Value v = info[i];
  const double x = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (!(x >= double(min)) || std::floor(x) != x || x > 9007199254740991.0) {
    throw op_error(info.Env(), op, std::string(name) + " is " + v.ToString().Utf8Value() + "; it must be an integer >= " +
                                       std::to_string(min));
  }
  return int64_t(x);
}

FloatIn in_of(TensorWrap* t) { return FloatIn{t->data(), t->dtype()}; }
FloatOut out_of(TensorWrap* t) { return FloatOut{t->data(), t->dtype()}; }

std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

int64_t product(const std::vector<int64_t>& shape, size_t from, size_t to) {
  int64_t n = 1;
  for (size_t i = from; i < to && i < shape.size(); ++i) n *= shape[i];
  return n;
}

RowMap broadcast_rows(Napi::Env env, const std::string& op, TensorWrap* x, TensorWrap* p, const char* name) {
  const std::vector<int64_t>& xs = x->shape();
  const std::vector<int64_t>& ps = p->shape();
  const int64_t B = xs[0], T = xs[1], D = xs[2];
  RowMap m;
  bool ok = !ps.empty() && ps.back() == D;
  if (ok && ps.size() == 3 && (ps[0] == B || ps[0] == 1) && (ps[1] == T || ps[1] == 1)) {
    // Batch b, token t of x reads row (b if ps[0]==B else 0, t if ps[1]==T else 0) of p.
    if (ps[0] == B && ps[1] == T) m = RowMap{1, size_t(B * T)};
    else if (ps[1] == T) m = RowMap{1, size_t(T)};
    else if (ps[0] == B) m = RowMap{size_t(T), size_t(B)};
    else m = RowMap{1, 1};
  } else if (ok && ps.size() == 2 && ps[0] == T) {
    m = RowMap{1, size_t(T)};
  } else if (ok && ps.size() == 1) {
    m = RowMap{1, 1};
  } else {
    ok = false;
  }
  if (!ok) {
    const std::string b = std::to_string(B), t = std::to_string(T), d = std::to_string(D);
    throw op_error(env, op, "x is " + x->describe() + " but " + name + " is " + p->describe() + " (" + name +
                                " must be [" + b + "," + t + "," + d + "], [" + b + ",1," + d + "], [1," + t + "," + d +
                                "], [1,1," + d + "], [" + t + "," + d + "] or [" + d + "])");
  }
  return m;
}

Napi::Object new_tensor(Napi::Env env, const std::string& op, DType dtype, const std::vector<int64_t>& shape) {
  return TensorWrap::Create(env, dtype, shape, false, op);
}

}  // namespace aiprod
