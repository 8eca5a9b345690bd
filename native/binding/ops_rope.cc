// ropeSplit / ropeInterleaved on x [B,H,T,d] with cos/sin tables (see native/kernels/pointwise/rope.cc for the
// layouts). Output has x's shape and dtype.
#include <string>

#include "aiprod/pointwise.h"
#include "errors.h"
#include "op_checks.h"
#include "ops.h"
#include "pointwise_args.h"

namespace aiprod {

RopeCheck check_rope(const Napi::CallbackInfo& info, bool interleaved) {
  const char* op = interleaved ? "rope_interleaved" : "rope_split";
  Napi::Env env = info.Env();
  TensorWrap* x = float_tensor(info, 0, op, "x");
  TensorWrap* c = float_tensor(info, 1, op, "cos");
  TensorWrap* s = float_tensor(info, 2, op, "sin");
  const std::vector<int64_t>& xs = x->shape();
  if (xs.size() != 4 || xs[3] % 2 != 0) {
    throw op_error(env, op, "x is " + x->describe() + "; it must be [B,H,T,d] with an even head dim d");
  }
  const int64_t B = xs[0], H = xs[1], T = xs[2], half = xs[3] / 2;
  const std::string b = std::to_string(B), h = std::to_string(H), t = std::to_string(T), f = std::to_string(half);
  RopeTable layout = RopeTable::T;
  const std::vector<int64_t>& cs = c->shape();
  if (cs == std::vector<int64_t>{T, half}) layout = RopeTable::T;
  else if (!interleaved && cs == std::vector<int64_t>{T, H, half}) layout = RopeTable::TH;
  else if (!interleaved && cs == std::vector<int64_t>{B, T, H, half}) layout = RopeTable::BTH;
  else {
    const std::string want = interleaved ? "[" + t + "," + f + "]"
                                         : "[" + b + "," + t + "," + h + "," + f + "], [" + t + "," + h + "," + f +
                                               "] or [" + t + "," + f + "]";
    throw op_error(env, op, "x is " + x->describe() + " but cos is " + c->describe() + " (cos must be " + want + ")");
  }
  if (s->shape() != cs) {
    throw op_error(env, op, "cos is " + c->describe() + " but sin is " + s->describe() + " (shapes must be equal)");
  }
  return {x, c, s, int(layout), size_t(B), size_t(H), size_t(T), size_t(2 * half)};
}

namespace {

Napi::Value rope_op(const Napi::CallbackInfo& info, bool interleaved) {
  const char* op = interleaved ? "rope_interleaved" : "rope_split";
  Napi::Env env = info.Env();
  const RopeCheck rc = check_rope(info, interleaved);
  TensorWrap *x = rc.x, *c = rc.cos, *s = rc.sin;
  const RopeTable layout = RopeTable(rc.layout);
  const std::vector<int64_t>& xs = x->shape();
  const int64_t B = int64_t(rc.batch), H = int64_t(rc.heads), T = int64_t(rc.tokens), half = int64_t(rc.d / 2);
  Napi::Object out = new_tensor(env, op, x->dtype(), xs);
  TensorWrap* y = TensorWrap::Unwrap(out);
  guard(env, op, [&] {
    if (x->numel()) {
      rope(interleaved, in_of(x), in_of(c), in_of(s), layout, out_of(y), size_t(B), size_t(H), size_t(T),
           size_t(2 * half));
    }
    return 0;
  });
  return out;
}

Napi::Value RopeSplit(const Napi::CallbackInfo& info) { return rope_op(info, false); }
Napi::Value RopeInterleaved(const Napi::CallbackInfo& info) { return rope_op(info, true); }

}  // namespace

void register_rope_ops(Napi::Env env, Napi::Object exports) {
  exports.Set("ropeSplit", Napi::Function::New(env, cpu_op<RopeSplit>, "ropeSplit"));
  exports.Set("ropeInterleaved", Napi::Function::New(env, cpu_op<RopeInterleaved>, "ropeInterleaved"));
}

}  // namespace aiprod
