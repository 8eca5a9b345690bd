// Argument checks shared by the pointwise and layout bindings (ops_norm, ops_activation, ops_rope,
// ops_layout). Everything runs on the JavaScript thread before any native work; each failure is an op_error
// naming the op, the arguments' dtypes and shapes, and what was expected.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "aiprod/pointwise.h"
#include "errors.h"
#include "tensor_wrap.h"

namespace aiprod {

// A live f32 or bf16 tensor (info[i]), or an error naming the op and argument.
TensorWrap* float_tensor(const Napi::CallbackInfo& info, size_t i, const std::string& op, const char* name);
// Same, but null/undefined gives nullptr.
TensorWrap* optional_float_tensor(const Napi::CallbackInfo& info, size_t i, const std::string& op, const char* name);

// A finite number (info[i]); with positive=true it must also be > 0.
float number_arg(const Napi::CallbackInfo& info, size_t i, const std::string& op, const char* name, bool positive);
// An integer ≥ min (info[i]).
int64_t int_arg(const Napi::CallbackInfo& info, size_t i, const std::string& op, const char* name, int64_t min);

FloatIn in_of(TensorWrap* t);
FloatOut out_of(TensorWrap* t);

// "[2,3]"
std::string shape_str(const std::vector<int64_t>& shape);
int64_t product(const std::vector<int64_t>& shape, size_t from, size_t to);

// Rows of x [B,T,D] a per-row parameter p may broadcast over: p is [B,T,D], [B,1,D], [1,T,D], [1,1,D], [T,D]
// or [D]. Anything else is an error naming x and p.
RowMap broadcast_rows(Napi::Env env, const std::string& op, TensorWrap* x, TensorWrap* p, const char* name);

// A fresh output tensor (uninitialized: every op writes all of it).
Napi::Object new_tensor(Napi::Env env, const std::string& op, DType dtype, const std::vector<int64_t>& shape);

// A fresh output tensor that fill(y) writes, under guard (a C++ exception becomes a JS error naming op).
template <class Fill>
Napi::Object filled_tensor(Napi::Env env, const std::string& op, DType dtype, const std::vector<int64_t>& shape,
                           Fill&& fill) {
  Napi::Object out = new_tensor(env, op, dtype, shape);
  TensorWrap* y = TensorWrap::Unwrap(out);
  guard(env, op, [&] {
    fill(y);
    return 0;
  });
  return out;
}

}  // namespace aiprod
