// CUDA entry points of the pointwise ops: norms (norm), AdaLN / gated residual (modulate), activations, lerp
// and affine (unary), softmax/mean/std (norm), RoPE (rope), add/mul and broadcast arithmetic (binary). The CPU
// ops' checks (op_checks.h), one library call each; outputs keep the CPU op's shape and dtype.
#include "cuda_ops.h"
#include "op_checks.h"
#include "ops.h"
#include "pointwise_args.h"

namespace aiprod {
namespace {

// One norm-family call (kind as aiprod_cuda_norm_args) writing y of dtype[shape].
Napi::Object run_norm(const CudaOp& c, aiprod_cuda_norm_args a, TensorWrap* x, const std::vector<int64_t>& shape,
                      const std::string& shapes) {
  auto y = c.alloc(x->dtype(), shape);
  a.x = dptr(x), a.x_dtype = cuda_dtype(x->dtype());
  a.y = y->bytes(), a.y_dtype = cuda_dtype(x->dtype());
  if (x->numel()) c.call(c.api()->norm, a, shapes);
  return c.wrap(x->dtype(), shape, std::move(y));
}

Napi::Value CudaRmsNorm(const Napi::CallbackInfo& info) {
  CudaOp c(info.Env(), "rms_norm");
  const NormCheck k = check_rms_norm(info);
  aiprod_cuda_norm_args a{};
  a.kind = 0, a.weight = dptr(k.weight), a.weight_dtype = dtype_or0(k.weight), a.rows = k.rows, a.d = k.d, a.eps = k.eps;
  return run_norm(c, a, k.x, k.x->shape(), describe_args({{"x", k.x}, {"weight", k.weight}}));
}

Napi::Value CudaLayerNorm(const Napi::CallbackInfo& info) {
  CudaOp c(info.Env(), "layer_norm");
  const NormCheck k = check_layer_norm(info);
  aiprod_cuda_norm_args a{};
  a.kind = 1, a.rows = k.rows, a.d = k.d, a.eps = k.eps;
  return run_norm(c, a, k.x, k.x->shape(), describe_args({{"x", k.x}}));
}

Napi::Value CudaPixelNorm(const Napi::CallbackInfo& info) {
  CudaOp c(info.Env(), "pixel_norm");
  const NormCheck k = check_pixel_norm(info);
  aiprod_cuda_norm_args a{};
  a.kind = 5, a.outer = k.outer, a.channels = k.channels, a.inner = k.inner, a.eps = k.eps;
  return run_norm(c, a, k.x, k.x->shape(), describe_args({{"x", k.x}}));
}

Napi::Value CudaGroupNorm(const Napi::CallbackInfo& info) {
  CudaOp c(info.Env(), "group_norm");
  const NormCheck k = check_group_norm(info);
  aiprod_cuda_norm_args a{};
  a.kind = 6, a.outer = k.outer, a.channels = k.channels, a.inner = k.inner, a.groups = k.groups, a.eps = k.eps;
  a.weight = dptr(k.weight), a.weight_dtype = dtype_or0(k.weight);
  a.bias = dptr(k.bias), a.bias_dtype = dtype_or0(k.bias);
  return run_norm(c, a, k.x, k.x->shape(), describe_args({{"x", k.x}, {"weight", k.weight}, {"bias", k.bias}}));
}

Napi::Value CudaSoftmax(const Napi::CallbackInfo& info) {
  CudaOp c(info.Env(), "softmax");
  const RowsCheck k = check_softmax(info);
  aiprod_cuda_norm_args a{};
  a.kind = 2, a.rows = k.x->numel() / k.d, a.d = k.d;
  return run_norm(c, a, k.x, k.out_shape, describe_args({{"x", k.x}}));
}

Napi::Value moments(const Napi::CallbackInfo& info, bool want_std) {
  CudaOp c(info.Env(), want_std ? "std" : "mean");
  const RowsCheck k = check_moments(info, want_std);
  aiprod_cuda_norm_args a{};
  a.kind = want_std ? 4 : 3, a.rows = k.x->numel() / k.d, a.d = k.d, a.unbiased = k.unbiased ? 1 : 0;
  return run_norm(c, a, k.x, k.out_shape, describe_args({{"x", k.x}}));
}
Napi::Value CudaMean(const Napi::CallbackInfo& info) { return moments(info, false); }
Napi::Value CudaStd(const Napi::CallbackInfo& info) { return moments(info, true); }

// ada_ln (kind 0) and add_mul (kind 1): y = f(a, b, c) with tables b/c read at (r / div) % count.
Napi::Value modulate(const Napi::CallbackInfo& info, int kind) {
  CudaOp c(info.Env(), kind == 0 ? "ada_ln" : "add_mul");
  const ModulateCheck k = kind == 0 ? check_ada_ln(info) : check_add_mul(info);
  TensorWrap* x = k.a;
  const size_t rows = k.d ? x->numel() / k.d : 0;
  auto y = c.alloc(x->dtype(), x->shape());
  aiprod_cuda_modulate_args a{};
  a.kind = kind;
  a.a = dptr(k.a), a.a_dtype = cuda_dtype(k.a->dtype());
  a.b = dptr(k.b), a.b_dtype = cuda_dtype(k.b->dtype());
  a.c = dptr(k.c), a.c_dtype = cuda_dtype(k.c->dtype());
  if (kind == 0) {
    a.b_div = k.b_map.div, a.b_count = k.b_map.count;
  } else {  // b is x itself, one row per row
    a.b_div = 1, a.b_count = rows;
  }
  a.c_div = k.c_map.div, a.c_count = k.c_map.count;
  a.y = y->bytes(), a.y_dtype = cuda_dtype(x->dtype());
  a.rows = rows, a.d = k.d;
  const std::string shapes = kind == 0 ? describe_args({{"x", k.a}, {"scale", k.b}, {"shift", k.c}})
                                       : describe_args({{"residual", k.a}, {"x", k.b}, {"g", k.c}});
  if (rows) c.call(c.api()->modulate, a, shapes);
  return c.wrap(x->dtype(), x->shape(), std::move(y));
}
Napi::Value CudaAdaLN(const Napi::CallbackInfo& info) { return modulate(info, 0); }

// cudaNormAdaLN(x, scale, shift, rms, eps, weight?): layer_norm(x) (rms false) or rms_norm(x, weight), then
// ·(1 + scale) + shift, in one pass over memory (the library's fused norm kinds 7 and 8: the normalized row is
// never written out, one rounding at the end). x [B,T,D]; scale/shift as adaLN's tables; weight [D] or absent.
Napi::Value CudaNormAdaLN(const Napi::CallbackInfo& info) {
  const bool rms = info[3].ToBoolean().Value();
  CudaOp c(info.Env(), rms ? "rms_norm_ada_ln" : "layer_norm_ada_ln");
  const ModulateCheck k = check_ada_ln(info);
  const float eps = number_arg(info, 4, c.op(), "eps", true);
  TensorWrap* w = rms ? optional_float_tensor(info, 5, c.op(), "weight") : nullptr;
  if (w && (w->shape().size() != 1 || size_t(w->shape()[0]) != k.d)) {
    throw op_error(c.env(), c.op(), "weight is " + w->describe() + "; expected [" + std::to_string(k.d) + "] (x's last dim)");
  }
  aiprod_cuda_norm_args a{};
  a.kind = rms ? 8 : 7, a.rows = k.d ? k.a->numel() / k.d : 0, a.d = k.d, a.eps = eps;
  a.weight = dptr(w), a.weight_dtype = dtype_or0(w);
  a.scale = dptr(k.b), a.scale_dtype = cuda_dtype(k.b->dtype()), a.scale_div = k.b_map.div, a.scale_count = k.b_map.count;
  a.shift = dptr(k.c), a.shift_dtype = cuda_dtype(k.c->dtype()), a.shift_div = k.c_map.div, a.shift_count = k.c_map.count;
  return run_norm(c, a, k.a, k.a->shape(), describe_args({{"x", k.a}, {"scale", k.b}, {"shift", k.c}, {"weight", w}}));
}
Napi::Value CudaAddMul(const Napi::CallbackInfo& info) { return modulate(info, 1); }

// One unary-family call (kind as aiprod_cuda_unary_args) writing x's dtype and shape.
Napi::Object run_unary(const CudaOp& c, int kind, TensorWrap* x, TensorWrap* x2, float param, float param2) {
  auto y = c.alloc(x->dtype(), x->shape());
  aiprod_cuda_unary_args a{};
  a.kind = kind;
  a.x = dptr(x), a.x_dtype = cuda_dtype(x->dtype());
  a.x2 = dptr(x2), a.x2_dtype = dtype_or0(x2);
  a.y = y->bytes(), a.y_dtype = cuda_dtype(x->dtype());
  a.n = x->numel(), a.param = param, a.param2 = param2;
  if (a.n) c.call(c.api()->unary, a, describe_args({{x2 ? "a" : "x", x}, {"b", x2}}));
  return c.wrap(x->dtype(), x->shape(), std::move(y));
}

Napi::Value activation(const Napi::CallbackInfo& info, const char* op, int kind, bool has_param) {
  CudaOp c(info.Env(), op);
  const UnaryCheck k = check_unary(info, op, has_param);
  return run_unary(c, kind, k.x, nullptr, k.param, 0);
}
Napi::Value CudaGeluTanh(const Napi::CallbackInfo& info) { return activation(info, "gelu_tanh", 0, false); }
Napi::Value CudaGeluErf(const Napi::CallbackInfo& info) { return activation(info, "gelu_erf", 1, false); }
Napi::Value CudaSilu(const Napi::CallbackInfo& info) { return activation(info, "silu", 2, false); }
Napi::Value CudaLeakyRelu(const Napi::CallbackInfo& info) { return activation(info, "leaky_relu", 3, true); }

Napi::Value CudaSigmoid(const Napi::CallbackInfo& info) { return activation(info, "sigmoid", 6, false); }
Napi::Value CudaTanh(const Napi::CallbackInfo& info) { return activation(info, "tanh", 7, false); }

Napi::Value CudaLerp(const Napi::CallbackInfo& info) {
  CudaOp c(info.Env(), "lerp");
  const LerpCheck k = check_lerp(info);
  return run_unary(c, 5, k.a, k.b, k.t, 0);
}

Napi::Value CudaAffine(const Napi::CallbackInfo& info) {
  CudaOp c(info.Env(), "affine");
  const AffineCheck k = check_affine(info);
  return run_unary(c, 4, k.x, nullptr, k.alpha, k.beta);
}

Napi::Value rope(const Napi::CallbackInfo& info, bool interleaved) {
  CudaOp c(info.Env(), interleaved ? "rope_interleaved" : "rope_split");
  const RopeCheck k = check_rope(info, interleaved);
  const std::string shapes = describe_args({{"x", k.x}, {"cos", k.cos}, {"sin", k.sin}});
  if (k.cos->dtype() != k.sin->dtype()) {
    c.unsupported("on cuda, cos and sin must share one dtype (got " + shapes + "); cast one of them first");
  }
  auto y = c.alloc(k.x->dtype(), k.x->shape());
  aiprod_cuda_rope_args a{};
  a.interleaved = interleaved ? 1 : 0;
  a.x = dptr(k.x), a.x_dtype = cuda_dtype(k.x->dtype());
  a.cos = dptr(k.cos), a.sin = dptr(k.sin), a.table_dtype = cuda_dtype(k.cos->dtype()), a.table_layout = k.layout;
  a.y = y->bytes(), a.y_dtype = cuda_dtype(k.x->dtype());
  a.batch = k.batch, a.heads = k.heads, a.tokens = k.tokens, a.d = k.d;
  if (k.x->numel()) c.call(c.api()->rope, a, shapes);
  return c.wrap(k.x->dtype(), k.x->shape(), std::move(y));
}
Napi::Value CudaRopeSplit(const Napi::CallbackInfo& info) { return rope(info, false); }
Napi::Value CudaRopeInterleaved(const Napi::CallbackInfo& info) { return rope(info, true); }

// One binary call: out[shape] = a op b with a/b strides in elements (0 on broadcast axes).
Napi::Object run_binary(const CudaOp& c, int code, TensorWrap* x, const std::vector<int64_t>& as, TensorWrap* y,
                        const std::vector<int64_t>& bs, DType out_dtype, const std::vector<int64_t>& shape) {
  if (shape.size() > 8) throw op_error(c.env(), c.op(), "more than 8 dimensions: " + describe_args({{"a", x}, {"b", y}}));
  auto out = c.alloc(out_dtype, shape);
  aiprod_cuda_binary_args a{};
  a.op = code;
  a.a = dptr(x), a.a_dtype = cuda_dtype(x->dtype());
  a.b = dptr(y), a.b_dtype = cuda_dtype(y->dtype());
  a.out = out->bytes(), a.out_dtype = cuda_dtype(out_dtype);
  a.ndim = int(std::max<size_t>(shape.size(), 1));
  for (int d = 0; d < 8; ++d) a.shape[d] = 1;
  size_t n = 1;
  for (size_t d = 0; d < shape.size(); ++d) {
    a.shape[d] = shape[d], a.a_strides[d] = as[d], a.b_strides[d] = bs[d];
    n *= size_t(shape[d]);
  }
  if (n) c.call(c.api()->binary, a, describe_args({{"a", x}, {"b", y}}));
  return c.wrap(out_dtype, shape, std::move(out));
}

// add / mul of equal shapes and dtypes.
Napi::Value same_shape(const Napi::CallbackInfo& info, const char* op, int code) {
  CudaOp c(info.Env(), op);
  const SameShapeCheck k = check_same_shape(info, op);
  const std::vector<int64_t> st = contiguous_strides(k.a->shape());
  return run_binary(c, code, k.a, st, k.b, st, k.a->dtype(), k.a->shape());
}
Napi::Value CudaAdd(const Napi::CallbackInfo& info) { return same_shape(info, "add", AIPROD_CUDA_ADD); }
Napi::Value CudaMul(const Napi::CallbackInfo& info) { return same_shape(info, "mul", AIPROD_CUDA_MUL); }

// binary(op, a, b) with numpy broadcasting.
Napi::Value CudaBinary(const Napi::CallbackInfo& info) {
  // The op name (and so the error prefix) comes from the first argument, as on the CPU.
  const std::string name = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "binary";
  CudaOp c(info.Env(), "broadcast_" + name);
  const BroadcastCheck k = check_broadcast(info);
  // aiprod::BroadcastOp order (Add, Sub, Mul, Div, Max, Min) -> the library's op codes.
  static const int kCodes[] = {AIPROD_CUDA_ADD, AIPROD_CUDA_SUB, AIPROD_CUDA_MUL, AIPROD_CUDA_DIV, AIPROD_CUDA_MAX, AIPROD_CUDA_MIN};
  return run_binary(c, kCodes[k.bop], k.a, k.a_strides, k.b, k.b_strides, k.out_dtype, k.out_shape);
}

}  // namespace

void register_cuda_pointwise_ops(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaRmsNorm", Napi::Function::New(env, CudaRmsNorm, "cudaRmsNorm"));
  exports.Set("cudaLayerNorm", Napi::Function::New(env, CudaLayerNorm, "cudaLayerNorm"));
  exports.Set("cudaPixelNorm", Napi::Function::New(env, CudaPixelNorm, "cudaPixelNorm"));
  exports.Set("cudaGroupNorm", Napi::Function::New(env, CudaGroupNorm, "cudaGroupNorm"));
  exports.Set("cudaAdaLN", Napi::Function::New(env, CudaAdaLN, "cudaAdaLN"));
  exports.Set("cudaNormAdaLN", Napi::Function::New(env, CudaNormAdaLN, "cudaNormAdaLN"));
  exports.Set("cudaAddMul", Napi::Function::New(env, CudaAddMul, "cudaAddMul"));
  exports.Set("cudaGeluTanh", Napi::Function::New(env, CudaGeluTanh, "cudaGeluTanh"));
  exports.Set("cudaGeluErf", Napi::Function::New(env, CudaGeluErf, "cudaGeluErf"));
  exports.Set("cudaSilu", Napi::Function::New(env, CudaSilu, "cudaSilu"));
  exports.Set("cudaSigmoid", Napi::Function::New(env, CudaSigmoid, "cudaSigmoid"));
  exports.Set("cudaTanh", Napi::Function::New(env, CudaTanh, "cudaTanh"));
  exports.Set("cudaLeakyRelu", Napi::Function::New(env, CudaLeakyRelu, "cudaLeakyRelu"));
  exports.Set("cudaLerp", Napi::Function::New(env, CudaLerp, "cudaLerp"));
  exports.Set("cudaAffine", Napi::Function::New(env, CudaAffine, "cudaAffine"));
  exports.Set("cudaSoftmax", Napi::Function::New(env, CudaSoftmax, "cudaSoftmax"));
  exports.Set("cudaMean", Napi::Function::New(env, CudaMean, "cudaMean"));
  exports.Set("cudaStd", Napi::Function::New(env, CudaStd, "cudaStd"));
  exports.Set("cudaRopeSplit", Napi::Function::New(env, CudaRopeSplit, "cudaRopeSplit"));
  exports.Set("cudaRopeInterleaved", Napi::Function::New(env, CudaRopeInterleaved, "cudaRopeInterleaved"));
  exports.Set("cudaAdd", Napi::Function::New(env, CudaAdd, "cudaAdd"));
  exports.Set("cudaMul", Napi::Function::New(env, CudaMul, "cudaMul"));
  exports.Set("cudaBinary", Napi::Function::New(env, CudaBinary, "cudaBinary"));
}

}  // namespace aiprod
