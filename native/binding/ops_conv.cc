// conv3d / conv2d / conv1d: one native op (Conv3dArgs) behind three entry points; 2D and 1D put unit sizes in
// the leading axes. Options: bias [Cout], stride, padding (symmetric, per axis), padMode for the padding, and for
// conv3d causal (time padded by kt-1 copies of the first frame in front, as LTX-2's CausalConv3d) or
// temporalPadMode (LTX-2's non-causal CausalConv3d: 'replicate' on time, 'zeros'/'reflect' spatially).
#include <algorithm>
#include <string>
#include <vector>

#include "aiprod/conv.h"
#include "args.h"
#include "errors.h"
#include "op_checks.h"
#include "ops.h"
#include "tensor_wrap.h"

namespace aiprod {
namespace {

PadMode parse_mode(Napi::Env env, const std::string& op, const std::string& name, const char* key) {
  if (name == "zeros") return PadMode::Zeros;
  if (name == "reflect") return PadMode::Reflect;
  if (name == "replicate") return PadMode::Replicate;
  throw op_error(env, op, std::string("option '") + key + "' is '" + name + "'; expected 'zeros', 'reflect' or 'replicate'");
}

// opts[key] as `dims` non-negative integers: a number (same for every axis) or an array of length dims.
std::vector<size_t> per_axis(const Napi::Object& opts, const char* key, size_t dims, size_t fallback, const std::string& op, bool positive) {
  Napi::Value v = opts.Get(key);
  std::vector<size_t> out(dims, fallback);
  if (v.IsUndefined() || v.IsNull()) return out;
  auto check = [&](const Napi::Value& e) {
    const double x = e.IsNumber() ? e.As<Napi::Number>().DoubleValue() : -1;
    if (!(x >= (positive ? 1 : 0)) || x != double(size_t(x)) || x > 1e9) {
      throw op_error(opts.Env(), op, std::string("option '") + key + "' must be " + (positive ? "positive" : "non-negative") +
                                         " integers (a number or an array of " + std::to_string(dims) + ")");
    }
    return size_t(x);
  };
  if (v.IsArray()) {
    Napi::Array arr = v.As<Napi::Array>();
    if (arr.Length() != dims) {
      throw op_error(opts.Env(), op, std::string("option '") + key + "' has " + std::to_string(arr.Length()) + " entries; expected " + std::to_string(dims));
    }
    for (uint32_t i = 0; i < dims; ++i) out[i] = check(arr.Get(i));
  } else {
    const size_t x = check(v);
    for (auto& o : out) o = x;
  }
  return out;
}

}  // namespace

ConvCheck check_conv(const Napi::CallbackInfo& info, size_t dims, const std::string& op) {
  Napi::Env env = info.Env();
  TensorWrap* x = TensorWrap::From(info[0], op, "x");
  TensorWrap* w = TensorWrap::From(info[1], op, "weight");
  Napi::Object opts = options_arg(info, 2, op);
  require_dtype(x, DType::F32, op, "x");
  require_dtype(w, DType::F32, op, "weight");
  const auto &xs = x->shape(), &ws = w->shape();
  static const char* layouts[] = {"", "[B, C, L]", "[B, C, H, W]", "[B, C, T, H, W]"};
  static const char* wlayouts[] = {"", "[Cout, Cin, k]", "[Cout, Cin, kh, kw]", "[Cout, Cin, kt, kh, kw]"};
  if (xs.size() != dims + 2) throw op_error(env, op, "x is " + x->describe() + "; expected " + layouts[dims]);
  if (ws.size() != dims + 2) throw op_error(env, op, "weight is " + w->describe() + "; expected " + wlayouts[dims]);
  if (ws[1] != xs[1]) {
    throw op_error(env, op, "channels differ: x is " + x->describe() + " (Cin=" + std::to_string(xs[1]) + "), weight is " +
                                w->describe() + " (Cin=" + std::to_string(ws[1]) + ")");
  }
  if (xs[1] == 0 || ws[0] == 0) throw op_error(env, op, "channel counts must be positive: x " + x->describe() + ", weight " + w->describe());
  for (size_t i = 2; i < ws.size(); ++i) {
    if (ws[i] == 0) throw op_error(env, op, "kernel sizes must be positive: weight " + w->describe());
  }
  // An empty spatial axis has nothing to pad from (replicate and reflect would read element 0 of nothing)
  // and no output position of its own; PyTorch refuses it too.
  for (size_t i = 2; i < xs.size(); ++i) {
    if (xs[i] == 0) throw op_error(env, op, "x " + x->describe() + " has an empty spatial axis");
  }
  Conv3dArgs a{};
  a.batch = size_t(xs[0]), a.cin = size_t(xs[1]), a.cout = size_t(ws[0]);
  const size_t lead = 3 - dims;  // unit axes in front
  for (size_t i = 0; i < 3; ++i) {
    a.in[i] = i < lead ? 1 : size_t(xs[2 + i - lead]);
    a.k[i] = i < lead ? 1 : size_t(ws[2 + i - lead]);
  }
  const auto stride = per_axis(opts, "stride", dims, 1, op, true);
  const auto padding = per_axis(opts, "padding", dims, 0, op, false);
  const PadMode mode = parse_mode(env, op, optional_string(opts, "padMode", "zeros", op), "padMode");
  for (size_t i = 0; i < 3; ++i) {
    if (i < lead) continue;
    a.stride[i] = stride[i - lead];
    a.pad_front[i] = a.pad_back[i] = padding[i - lead];
    a.mode[i] = mode;
  }
  if (dims == 3) {
    const std::string tmode = optional_string(opts, "temporalPadMode", "", op);
    if (!tmode.empty()) a.mode[0] = parse_mode(env, op, tmode, "temporalPadMode");
    if (optional_bool(opts, "causal", false, op)) {
      a.pad_front[0] = a.k[0] - 1;
      a.pad_back[0] = 0;
      a.mode[0] = PadMode::Replicate;
    }
  } else {
    if (!opts.Get("causal").IsUndefined()) throw op_error(env, op, "option 'causal' applies to conv3d only");
  }
  for (size_t i = lead; i < 3; ++i) {
    if (a.mode[i] == PadMode::Reflect && (a.pad_front[i] >= a.in[i] || a.pad_back[i] >= a.in[i])) {
      throw op_error(env, op, "reflect padding " + std::to_string(a.pad_front[i]) + " needs an input longer than the padding on every axis; x is " + x->describe());
    }
    a.out_size[i] = conv_out_size(a.in[i], a.pad_front[i], a.pad_back[i], a.k[i], a.stride[i]);
    if (a.out_size[i] == 0) {
      throw op_error(env, op, "the kernel " + w->describe() + " is larger than the padded input " + x->describe());
    }
  }
  for (size_t i = 0; i < lead; ++i) a.out_size[i] = 1;
  TensorWrap* bias = optional_vector(opts, "bias", a.cout, op);
  std::vector<int64_t> out_shape = {int64_t(a.batch), int64_t(a.cout)};
  for (size_t i = lead; i < 3; ++i) out_shape.push_back(int64_t(a.out_size[i]));
  return {x, w, bias, a, out_shape};
}

namespace {

Napi::Value Conv(const Napi::CallbackInfo& info, size_t dims, const std::string& op) {
  Napi::Env env = info.Env();
  ConvCheck c = check_conv(info, dims, op);
  TensorWrap *x = c.x, *w = c.w, *bias = c.bias;
  Conv3dArgs& a = c.args;
  const std::vector<int64_t>& out_shape = c.out_shape;
  Napi::Object out = TensorWrap::Create(env, DType::F32, out_shape, false, op);
  TensorWrap* o = TensorWrap::Unwrap(out);
  guard(env, op, [&] {
    a.x = static_cast<const float*>(x->data());
    a.w = static_cast<const float*>(w->data());
    a.bias = bias ? static_cast<const float*>(bias->data()) : nullptr;
    a.out = static_cast<float*>(o->data());
    a.w_key = w->weight_key();
    conv3d(a);
    return 0;
  });
  return out;
}

}  // namespace

// convTranspose1d(x [B, Cin, L], weight [Cin, Cout, K], { bias, stride, padding, outputPadding, dilation })
ConvTranspose1dCheck check_conv_transpose1d(const Napi::CallbackInfo& info, const std::string& op) {
  Napi::Env env = info.Env();
  TensorWrap* x = TensorWrap::From(info[0], op, "x");
  TensorWrap* w = TensorWrap::From(info[1], op, "weight");
  Napi::Object opts = options_arg(info, 2, op);
  require_dtype(x, DType::F32, op, "x");
  require_dtype(w, DType::F32, op, "weight");
  const auto &xs = x->shape(), &ws = w->shape();
  if (xs.size() != 3) throw op_error(env, op, "x is " + x->describe() + "; expected [B, Cin, L]");
  if (ws.size() != 3) throw op_error(env, op, "weight is " + w->describe() + "; expected [Cin, Cout, K] (PyTorch ConvTranspose1d layout)");
  if (ws[0] != xs[1]) {
    throw op_error(env, op, "channels differ: x is " + x->describe() + " (Cin=" + std::to_string(xs[1]) + "), weight is " + w->describe() + " (Cin=" + std::to_string(ws[0]) + ")");
  }
  ConvTranspose1dArgs a{};
  a.batch = size_t(xs[0]), a.cin = size_t(xs[1]), a.len = size_t(xs[2]), a.cout = size_t(ws[1]), a.k = size_t(ws[2]);
  a.stride = per_axis(opts, "stride", 1, 1, op, true)[0];
  a.padding = per_axis(opts, "padding", 1, 0, op, false)[0];
  a.output_padding = per_axis(opts, "outputPadding", 1, 0, op, false)[0];
  a.dilation = per_axis(opts, "dilation", 1, 1, op, true)[0];
  if (a.output_padding >= std::max(a.stride, a.dilation)) throw op_error(env, op, "outputPadding must be smaller than stride or dilation");
  a.out_len = conv_transpose1d_out_len(a.len, a.k, a.stride, a.padding, a.output_padding, a.dilation);
  if (a.k == 0) throw op_error(env, op, "kernel size must be positive: weight " + w->describe());
  if (a.out_len == 0 || a.len == 0) throw op_error(env, op, "the output would be empty for x " + x->describe() + " and weight " + w->describe());
  TensorWrap* bias = optional_vector(opts, "bias", a.cout, op);
  return {x, w, bias, a};
}

namespace {

Napi::Value ConvTranspose1d(const Napi::CallbackInfo& info) {
  const std::string op = "convTranspose1d";
  Napi::Env env = info.Env();
  ConvTranspose1dCheck c = check_conv_transpose1d(info, op);
  TensorWrap *x = c.x, *w = c.w, *bias = c.bias;
  ConvTranspose1dArgs& a = c.args;
  Napi::Object out = TensorWrap::Create(env, DType::F32, {int64_t(a.batch), int64_t(a.cout), int64_t(a.out_len)}, false, op);
  TensorWrap* o = TensorWrap::Unwrap(out);
  guard(env, op, [&] {
    a.x = static_cast<const float*>(x->data());
    a.w = static_cast<const float*>(w->data());
    a.bias = bias ? static_cast<const float*>(bias->data()) : nullptr;
    a.out = static_cast<float*>(o->data());
    conv_transpose1d(a);
    return 0;
  });
  return out;
}

Napi::Value Conv3d(const Napi::CallbackInfo& info) { return Conv(info, 3, "conv3d"); }
Napi::Value Conv2d(const Napi::CallbackInfo& info) { return Conv(info, 2, "conv2d"); }
Napi::Value Conv1d(const Napi::CallbackInfo& info) { return Conv(info, 1, "conv1d"); }

}  // namespace

void register_conv_ops(Napi::Env env, Napi::Object exports) {
  exports.Set("conv3d", Napi::Function::New(env, cpu_op<Conv3d>, "conv3d"));
  exports.Set("conv2d", Napi::Function::New(env, cpu_op<Conv2d>, "conv2d"));
  exports.Set("conv1d", Napi::Function::New(env, cpu_op<Conv1d>, "conv1d"));
  exports.Set("convTranspose1d", Napi::Function::New(env, cpu_op<ConvTranspose1d>, "convTranspose1d"));
}

}  // namespace aiprod
