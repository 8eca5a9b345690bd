// spaceToDepth3d, depthToSpace3d, pixelShuffle2d, patchify, unpatchify: index shuffles, so any dtype works.
// Shapes and divisibility are checked here; the einops patterns are in native/include/aiprod/layout.h.
#include <functional>
#include <initializer_list>
#include <string>

#include "aiprod/layout.h"
#include "errors.h"
#include "op_checks.h"
#include "ops.h"
#include "pointwise_args.h"

namespace aiprod {
namespace {

using Shape = std::vector<int64_t>;

void require(Napi::Env env, const char* op, bool ok, TensorWrap* x, const std::string& why) {
  if (!ok) throw op_error(env, op, "x is " + x->describe() + "; " + why);
}

// a·b, or an op error naming x: factors come from JavaScript (integers up to 2^53), and a product that wraps
// would divide by zero (a factor product of 2^64 wraps to 0) or give the output a wrong shape.
int64_t mul_checked(Napi::Env env, const char* op, TensorWrap* x, int64_t a, int64_t b) {
  int64_t r = 0;
  require(env, op, !__builtin_mul_overflow(a, b, &r), x,
          "the sizes " + std::to_string(a) + " x " + std::to_string(b) + " overflow a 64-bit integer");
  return r;
}

int64_t product_checked(Napi::Env env, const char* op, TensorWrap* x, std::initializer_list<int64_t> factors) {
  int64_t r = 1;
  for (int64_t f : factors) r = mul_checked(env, op, x, r, f);
  return r;
}

Napi::Object run(Napi::Env env, const char* op, TensorWrap* x, const Shape& shape,
                 const std::function<void(void*)>& fn) {
  Napi::Object out = new_tensor(env, op, x->dtype(), shape);
  TensorWrap* y = TensorWrap::Unwrap(out);
  guard(env, op, [&] {
    if (x->numel()) fn(y->data());
    return 0;
  });
  return out;
}

}  // namespace

// spaceToDepth3d(x [B,C,D·p1,H·p2,W·p3], p1, p2, p3) -> [B, C·p1·p2·p3, D, H, W]
LayoutCheck check_space_to_depth3d(const Napi::CallbackInfo& info) {
  const char* op = "space_to_depth3d";
  Napi::Env env = info.Env();
  TensorWrap* x = TensorWrap::From(info[0], op, "x");
  const int64_t p1 = int_arg(info, 1, op, "p1", 1), p2 = int_arg(info, 2, op, "p2", 1), p3 = int_arg(info, 3, op, "p3", 1);
  const Shape& s = x->shape();
  require(env, op, s.size() == 5, x, "it must be [B,C,D,H,W]");
  require(env, op, s[2] % p1 == 0 && s[3] % p2 == 0 && s[4] % p3 == 0, x,
          "D,H,W = " + std::to_string(s[2]) + "," + std::to_string(s[3]) + "," + std::to_string(s[4]) +
              " are not divisible by the factors " + std::to_string(p1) + "," + std::to_string(p2) + "," +
              std::to_string(p3));
  const Shape o = {s[0], mul_checked(env, op, x, s[1], product_checked(env, op, x, {p1, p2, p3})), s[2] / p1, s[3] / p2, s[4] / p3};
  return {x, o, p1, p2, p3};
}

// depthToSpace3d(x [B, C·p1·p2·p3, D, H, W], p1, p2, p3) -> [B, C, D·p1, H·p2, W·p3]
LayoutCheck check_depth_to_space3d(const Napi::CallbackInfo& info) {
  const char* op = "depth_to_space3d";
  Napi::Env env = info.Env();
  TensorWrap* x = TensorWrap::From(info[0], op, "x");
  const int64_t p1 = int_arg(info, 1, op, "p1", 1), p2 = int_arg(info, 2, op, "p2", 1), p3 = int_arg(info, 3, op, "p3", 1);
  const Shape& s = x->shape();
  require(env, op, s.size() == 5, x, "it must be [B,C,D,H,W]");
  const int64_t f = product_checked(env, op, x, {p1, p2, p3});
  require(env, op, s[1] % f == 0, x,
          "channels " + std::to_string(s[1]) + " are not divisible by p1·p2·p3 = " + std::to_string(f));
  const Shape o = {s[0], s[1] / f, mul_checked(env, op, x, s[2], p1), mul_checked(env, op, x, s[3], p2), mul_checked(env, op, x, s[4], p3)};
  return {x, o, p1, p2, p3};
}

// pixelShuffle2d(x [*, C·r², H, W], r) -> [*, C, H·r, W·r]
LayoutCheck check_pixel_shuffle2d(const Napi::CallbackInfo& info) {
  const char* op = "pixel_shuffle2d";
  Napi::Env env = info.Env();
  TensorWrap* x = TensorWrap::From(info[0], op, "x");
  const int64_t r = int_arg(info, 1, op, "r", 1);
  const Shape& s = x->shape();
  const size_t n = s.size();
  require(env, op, n >= 3, x, "it must be [*, C·r², H, W]");
  const int64_t rr = mul_checked(env, op, x, r, r);
  require(env, op, s[n - 3] % rr == 0, x,
          "channels " + std::to_string(s[n - 3]) + " are not divisible by r² = " + std::to_string(rr));
  Shape o = s;
  o[n - 3] = s[n - 3] / rr;
  o[n - 2] = mul_checked(env, op, x, s[n - 2], r);
  o[n - 1] = mul_checked(env, op, x, s[n - 1], r);
  return {x, o, r, 0, 0};
}

// patchify(x, P, pt): 5-d [B,C,F·pt,H·P,W·P] -> [B, C·pt·P·P, F, H, W]; 4-d [B,C,H·P,W·P] -> [B, C·P·P, H, W].
LayoutCheck check_patchify(const Napi::CallbackInfo& info) {
  const char* op = "patchify";
  Napi::Env env = info.Env();
  TensorWrap* x = TensorWrap::From(info[0], op, "x");
  const int64_t P = int_arg(info, 1, op, "p", 1), pt = int_arg(info, 2, op, "pt", 1);
  const Shape& s = x->shape();
  require(env, op, s.size() == 4 || s.size() == 5, x, "it must be [B,C,F,H,W] or [B,C,H,W]");
  const bool video = s.size() == 5;
  require(env, op, video || pt == 1, x, "a 4-d input has no frame axis, so pt must be 1 (got " + std::to_string(pt) + ")");
  const int64_t F = video ? s[2] : 1, H = s[s.size() - 2], W = s[s.size() - 1];
  require(env, op, F % pt == 0 && H % P == 0 && W % P == 0, x,
          "F,H,W = " + std::to_string(F) + "," + std::to_string(H) + "," + std::to_string(W) +
              " are not divisible by pt,p,p = " + std::to_string(pt) + "," + std::to_string(P) + "," + std::to_string(P));
  const int64_t C = mul_checked(env, op, x, s[1], product_checked(env, op, x, {pt, P, P}));
  Shape o = video ? Shape{s[0], C, F / pt, H / P, W / P} : Shape{s[0], C, H / P, W / P};
  return {x, o, P, pt, 0};
}

// unpatchify(x, P, pt): the inverse of patchify.
LayoutCheck check_unpatchify(const Napi::CallbackInfo& info) {
  const char* op = "unpatchify";
  Napi::Env env = info.Env();
  TensorWrap* x = TensorWrap::From(info[0], op, "x");
  const int64_t P = int_arg(info, 1, op, "p", 1), pt = int_arg(info, 2, op, "pt", 1);
  const Shape& s = x->shape();
  require(env, op, s.size() == 4 || s.size() == 5, x, "it must be [B,C,F,H,W] or [B,C,H,W]");
  const bool video = s.size() == 5;
  require(env, op, video || pt == 1, x, "a 4-d input has no frame axis, so pt must be 1 (got " + std::to_string(pt) + ")");
  const int64_t f = product_checked(env, op, x, {pt, P, P});
  require(env, op, s[1] % f == 0, x,
          "channels " + std::to_string(s[1]) + " are not divisible by pt·p·p = " + std::to_string(f));
  const int64_t C = s[1] / f, F = video ? s[2] : 1, H = s[s.size() - 2], W = s[s.size() - 1];
  const int64_t Hp = mul_checked(env, op, x, H, P), Wp = mul_checked(env, op, x, W, P);
  Shape o = video ? Shape{s[0], C, mul_checked(env, op, x, F, pt), Hp, Wp} : Shape{s[0], C, Hp, Wp};
  return {x, o, P, pt, 0};
}

namespace {
Napi::Value SpaceToDepth3d(const Napi::CallbackInfo& info) {
  const LayoutCheck c = check_space_to_depth3d(info);
  TensorWrap* x = c.x;
  const Shape& s = x->shape();
  const Shape& o = c.out_shape;
  return run(info.Env(), "space_to_depth3d", x, o, [&](void* out) {
    space_to_depth3d(x->data(), out, dtype_size(x->dtype()), s[0], s[1], o[2], o[3], o[4], c.f1, c.f2, c.f3);
  });
}

Napi::Value DepthToSpace3d(const Napi::CallbackInfo& info) {
  const LayoutCheck c = check_depth_to_space3d(info);
  TensorWrap* x = c.x;
  const Shape& s = x->shape();
  const Shape& o = c.out_shape;
  return run(info.Env(), "depth_to_space3d", x, o, [&](void* out) {
    depth_to_space3d(x->data(), out, dtype_size(x->dtype()), s[0], o[1], s[2], s[3], s[4], c.f1, c.f2, c.f3);
  });
}

Napi::Value PixelShuffle2d(const Napi::CallbackInfo& info) {
  const LayoutCheck c = check_pixel_shuffle2d(info);
  TensorWrap* x = c.x;
  const Shape& s = x->shape();
  const Shape& o = c.out_shape;
  const size_t n = s.size();
  return run(info.Env(), "pixel_shuffle2d", x, o, [&](void* out) {
    pixel_shuffle2d(x->data(), out, dtype_size(x->dtype()), product(s, 0, n - 3), o[n - 3], s[n - 2], s[n - 1], c.f1);
  });
}

Napi::Value Patchify(const Napi::CallbackInfo& info) {
  const LayoutCheck c = check_patchify(info);
  TensorWrap* x = c.x;
  const Shape& s = x->shape();
  const Shape& o = c.out_shape;
  const bool video = s.size() == 5;
  const int64_t F = video ? s[2] : 1, H = s[s.size() - 2], W = s[s.size() - 1], P = c.f1, pt = c.f2;
  return run(info.Env(), "patchify", x, o, [&](void* out) {
    patchify(x->data(), out, dtype_size(x->dtype()), s[0], s[1], F / pt, H / P, W / P, pt, P);
  });
}

Napi::Value Unpatchify(const Napi::CallbackInfo& info) {
  const LayoutCheck c = check_unpatchify(info);
  TensorWrap* x = c.x;
  const Shape& s = x->shape();
  const Shape& o = c.out_shape;
  const bool video = s.size() == 5;
  const int64_t F = video ? s[2] : 1, H = s[s.size() - 2], W = s[s.size() - 1], P = c.f1, pt = c.f2;
  return run(info.Env(), "unpatchify", x, o, [&](void* out) {
    unpatchify(x->data(), out, dtype_size(x->dtype()), s[0], o[1], F, H, W, pt, P);
  });
}

}  // namespace

void register_layout_ops(Napi::Env env, Napi::Object exports) {
  exports.Set("spaceToDepth3d", Napi::Function::New(env, cpu_op<SpaceToDepth3d>, "spaceToDepth3d"));
  exports.Set("depthToSpace3d", Napi::Function::New(env, cpu_op<DepthToSpace3d>, "depthToSpace3d"));
  exports.Set("pixelShuffle2d", Napi::Function::New(env, cpu_op<PixelShuffle2d>, "pixelShuffle2d"));
  exports.Set("patchify", Napi::Function::New(env, cpu_op<Patchify>, "patchify"));
  exports.Set("unpatchify", Napi::Function::New(env, cpu_op<Unpatchify>, "unpatchify"));
}

}  // namespace aiprod
