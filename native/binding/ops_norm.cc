// rmsNorm, layerNorm, pixelNorm, groupNorm, adaLN, addMul: shape checks on the JavaScript thread, then one
// native call (native/kernels/pointwise). Outputs have x's shape and dtype.
#include <cmath>
#include <string>

#include "aiprod/pointwise.h"
#include "errors.h"
#include "op_checks.h"
#include "ops.h"
#include "pointwise_args.h"

namespace aiprod {
namespace {

// x of rank >= 1, normalized over its last dim.
void require_rank(Napi::Env env, const char* op, TensorWrap* x, size_t min_rank, const char* what) {
  if (x->shape().size() < min_rank) {
    throw op_error(env, op, "x is " + x->describe() + "; it must have rank >= " + std::to_string(min_rank) + " (" +
                                what + ")");
  }
}

void require_btd(Napi::Env env, const char* op, TensorWrap* x, const char* name) {
  if (x->shape().size() != 3) {
    throw op_error(env, op, std::string(name) + " is " + x->describe() + "; it must be [B,T,D]");
  }
}

}  // namespace

// rmsNorm(x, weight | null, eps): x / sqrt(mean(x²) + eps) · weight over the last dim.
NormCheck check_rms_norm(const Napi::CallbackInfo& info) {
  const char* op = "rms_norm";
  Napi::Env env = info.Env();
  TensorWrap* x = float_tensor(info, 0, op, "x");
  TensorWrap* w = optional_float_tensor(info, 1, op, "weight");
  const float eps = number_arg(info, 2, op, "eps", true);
  require_rank(env, op, x, 1, "normalized over its last dim");
  const int64_t d = x->shape().back();
  if (w && (w->shape().size() != 1 || w->shape()[0] != d)) {
    throw op_error(env, op, "x is " + x->describe() + " but weight is " + w->describe() + " (weight must be [" +
                                std::to_string(d) + "], the last dim of x)");
  }
  return {x, w, nullptr, eps, d ? x->numel() / size_t(d) : 0, size_t(d), 0, 0, 0, 0};
}

// layerNorm(x, eps): (x − mean) / sqrt(var + eps) over the last dim, no affine.
NormCheck check_layer_norm(const Napi::CallbackInfo& info) {
  const char* op = "layer_norm";
  Napi::Env env = info.Env();
  TensorWrap* x = float_tensor(info, 0, op, "x");
  const float eps = number_arg(info, 1, op, "eps", true);
  require_rank(env, op, x, 1, "normalized over its last dim");
  const int64_t d = x->shape().back();
  return {x, nullptr, nullptr, eps, d ? x->numel() / size_t(d) : 0, size_t(d), 0, 0, 0, 0};
}

namespace {

Napi::Value RmsNorm(const Napi::CallbackInfo& info) {
  const char* op = "rms_norm";
  Napi::Env env = info.Env();
  const NormCheck c = check_rms_norm(info);
  TensorWrap *x = c.x, *w = c.weight;
  const float eps = c.eps;
  const int64_t d = int64_t(c.d);
  return filled_tensor(env, op, x->dtype(), x->shape(), [&](TensorWrap* y) {
    const FloatIn wi = w ? in_of(w) : FloatIn{};
    rms_norm(in_of(x), w ? &wi : nullptr, eps, out_of(y), d ? x->numel() / size_t(d) : 0, size_t(d));
  });
}

Napi::Value LayerNorm(const Napi::CallbackInfo& info) {
  const char* op = "layer_norm";
  Napi::Env env = info.Env();
  const NormCheck c = check_layer_norm(info);
  TensorWrap* x = c.x;
  const float eps = c.eps;
  const int64_t d = int64_t(c.d);
  return filled_tensor(env, op, x->dtype(), x->shape(), [&](TensorWrap* y) {
    layer_norm(in_of(x), eps, out_of(y), d ? x->numel() / size_t(d) : 0, size_t(d));
  });
}

}  // namespace

// pixelNorm(x, eps, dim): x / sqrt(mean(x² over dim) + eps).
NormCheck check_pixel_norm(const Napi::CallbackInfo& info) {
  const char* op = "pixel_norm";
  Napi::Env env = info.Env();
  TensorWrap* x = float_tensor(info, 0, op, "x");
  const float eps = number_arg(info, 1, op, "eps", true);
  const int64_t rank = int64_t(x->shape().size());
  const double dim_in = info[2].IsNumber() ? info[2].As<Napi::Number>().DoubleValue() : NAN;
  if (!(dim_in >= double(-rank) && dim_in < double(rank)) || double(int64_t(dim_in)) != dim_in) {
    throw op_error(env, op, "dim is " + info[2].ToString().Utf8Value() + " but x is " + x->describe() +
                                " (dim must be an integer in [" + std::to_string(-rank) + ", " +
                                std::to_string(rank - 1) + "])");
  }
  const size_t dim = size_t(dim_in < 0 ? dim_in + double(rank) : dim_in);
  const std::vector<int64_t>& s = x->shape();
  return {x, nullptr, nullptr, eps, 0, 0, size_t(product(s, 0, dim)), size_t(s[dim]), size_t(product(s, dim + 1, s.size())), 0};
}

// groupNorm(x, groups, weight | null, bias | null, eps) on x [B,C,...].
NormCheck check_group_norm(const Napi::CallbackInfo& info) {
  const char* op = "group_norm";
  Napi::Env env = info.Env();
  TensorWrap* x = float_tensor(info, 0, op, "x");
  const int64_t groups = int_arg(info, 1, op, "groups", 1);
  TensorWrap* w = optional_float_tensor(info, 2, op, "weight");
  TensorWrap* b = optional_float_tensor(info, 3, op, "bias");
  const float eps = number_arg(info, 4, op, "eps", true);
  require_rank(env, op, x, 2, "[B,C,...]");
  const std::vector<int64_t>& s = x->shape();
  const int64_t C = s[1];
  if (C % groups != 0) {
    throw op_error(env, op, "groups is " + std::to_string(groups) + " but x is " + x->describe() + " (" +
                                std::to_string(groups) + " groups do not divide " + std::to_string(C) + " channels)");
  }
  for (TensorWrap* p : {w, b}) {
    if (p && (p->shape().size() != 1 || p->shape()[0] != C)) {
      throw op_error(env, op, "x is " + x->describe() + " but " + (p == w ? "weight" : "bias") + " is " +
                                  p->describe() + " (it must be [" + std::to_string(C) + "], one per channel)");
    }
  }
  return {x, w, b, eps, 0, 0, size_t(s[0]), size_t(C), size_t(product(s, 2, s.size())), size_t(groups)};
}

// adaLN(x, scale, shift): x·(1+scale)+shift; scale/shift per token or broadcast (see broadcast_rows).
ModulateCheck check_ada_ln(const Napi::CallbackInfo& info) {
  const char* op = "ada_ln";
  Napi::Env env = info.Env();
  TensorWrap* x = float_tensor(info, 0, op, "x");
  TensorWrap* scale = float_tensor(info, 1, op, "scale");
  TensorWrap* shift = float_tensor(info, 2, op, "shift");
  require_btd(env, op, x, "x");
  const RowMap sm = broadcast_rows(env, op, x, scale, "scale");
  const RowMap hm = broadcast_rows(env, op, x, shift, "shift");
  return {x, scale, shift, RowSel{sm.div, sm.count}, RowSel{hm.div, hm.count}, size_t(x->shape()[2])};
}

// addMul(residual, x, g): residual + x·g (gated residual); g per token or broadcast like adaLN's tables.
ModulateCheck check_add_mul(const Napi::CallbackInfo& info) {
  const char* op = "add_mul";
  Napi::Env env = info.Env();
  TensorWrap* r = float_tensor(info, 0, op, "residual");
  TensorWrap* x = float_tensor(info, 1, op, "x");
  TensorWrap* g = float_tensor(info, 2, op, "g");
  require_btd(env, op, r, "residual");
  if (x->shape() != r->shape()) {
    throw op_error(env, op, "residual is " + r->describe() + " but x is " + x->describe() + " (shapes must be equal)");
  }
  const RowMap gm = broadcast_rows(env, op, r, g, "g");
  return {r, x, g, RowSel{}, RowSel{gm.div, gm.count}, size_t(r->shape()[2])};
}

namespace {

Napi::Value PixelNorm(const Napi::CallbackInfo& info) {
  const char* op = "pixel_norm";
  Napi::Env env = info.Env();
  const NormCheck c = check_pixel_norm(info);
  TensorWrap* x = c.x;
  const float eps = c.eps;
  return filled_tensor(env, op, x->dtype(), x->shape(), [&](TensorWrap* y) {
    if (x->numel()) pixel_norm(in_of(x), eps, out_of(y), c.outer, c.channels, c.inner);
  });
}

Napi::Value GroupNorm(const Napi::CallbackInfo& info) {
  const char* op = "group_norm";
  Napi::Env env = info.Env();
  const NormCheck c = check_group_norm(info);
  TensorWrap *x = c.x, *w = c.weight, *b = c.bias;
  const float eps = c.eps;
  const std::vector<int64_t>& s = x->shape();
  const int64_t C = int64_t(c.channels), groups = int64_t(c.groups);
  return filled_tensor(env, op, x->dtype(), s, [&](TensorWrap* y) {
    const FloatIn wi = w ? in_of(w) : FloatIn{}, bi = b ? in_of(b) : FloatIn{};
    if (x->numel()) {
      group_norm(in_of(x), w ? &wi : nullptr, b ? &bi : nullptr, eps, out_of(y), size_t(s[0]), size_t(C),
                 size_t(groups), size_t(product(s, 2, s.size())));
    }
  });
}

Napi::Value AdaLN(const Napi::CallbackInfo& info) {
  const char* op = "ada_ln";
  Napi::Env env = info.Env();
  const ModulateCheck c = check_ada_ln(info);
  TensorWrap *x = c.a, *scale = c.b, *shift = c.c;
  const RowMap sm{c.b_map.div, c.b_map.count}, hm{c.c_map.div, c.c_map.count};
  const size_t d = size_t(x->shape()[2]);
  return filled_tensor(env, op, x->dtype(), x->shape(), [&](TensorWrap* y) {
    if (d) ada_ln(in_of(x), in_of(scale), sm, in_of(shift), hm, out_of(y), x->numel() / d, d);
  });
}

Napi::Value AddMul(const Napi::CallbackInfo& info) {
  const char* op = "add_mul";
  Napi::Env env = info.Env();
  const ModulateCheck c = check_add_mul(info);
  TensorWrap *r = c.a, *x = c.b, *g = c.c;
  const RowMap gm{c.c_map.div, c.c_map.count};
  const size_t d = size_t(r->shape()[2]);
  return filled_tensor(env, op, r->dtype(), r->shape(), [&](TensorWrap* y) {
    if (d) add_mul(in_of(r), in_of(x), in_of(g), gm, out_of(y), r->numel() / d, d);
  });
}

}  // namespace

void register_norm_ops(Napi::Env env, Napi::Object exports) {
  exports.Set("rmsNorm", Napi::Function::New(env, cpu_op<RmsNorm>, "rmsNorm"));
  exports.Set("layerNorm", Napi::Function::New(env, cpu_op<LayerNorm>, "layerNorm"));
  exports.Set("pixelNorm", Napi::Function::New(env, cpu_op<PixelNorm>, "pixelNorm"));
  exports.Set("groupNorm", Napi::Function::New(env, cpu_op<GroupNorm>, "groupNorm"));
  exports.Set("adaLN", Napi::Function::New(env, cpu_op<AdaLN>, "adaLN"));
  exports.Set("addMul", Napi::Function::New(env, cpu_op<AddMul>, "addMul"));
}

}  // namespace aiprod
