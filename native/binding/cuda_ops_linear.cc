// CUDA entry points of linear, matmul and attention: the CPU ops' checks (op_checks.h), one library call.
#include "cuda_ops.h"
#include "op_checks.h"
#include "ops.h"

namespace aiprod {
namespace {

// cudaLinear(x, weight, opts): as linear (f32 output), on the device.
Napi::Value CudaLinear(const Napi::CallbackInfo& info) {
  CudaOp c(info.Env(), "linear");
  const LinearCheck k = check_linear(info, c.op());
  auto y = c.alloc(DType::F32, k.out_shape);
  aiprod_cuda_linear_args a{};
  a.x = dptr(k.x), a.x_dtype = cuda_dtype(k.x->dtype());
  a.m = k.m, a.k = k.k, a.n = k.n;
  a.w = dptr(k.w), a.w_dtype = cuda_dtype(k.w->dtype()), a.w_scale = k.weight_scale;
  a.bias = dptr(k.bias), a.bias_dtype = dtype_or0(k.bias);
  a.activation = k.gelu_tanh ? 1 : 0;
  a.gate = dptr(k.gate), a.gate_dtype = dtype_or0(k.gate);
  a.residual = dptr(k.residual), a.residual_dtype = dtype_or0(k.residual);
  a.y = y->bytes(), a.y_dtype = cuda_dtype(DType::F32);
  if (k.m && k.n) {
    c.call(c.api()->linear, a,
           describe_args({{"x", k.x}, {"weight", k.w}, {"bias", k.bias}, {"gate", k.gate}, {"residual", k.residual}}));
  }
  return c.wrap(DType::F32, k.out_shape, std::move(y));
}

// cudaMatmul(a, b, opts): as matmul (f32), on the device.
Napi::Value CudaMatmul(const Napi::CallbackInfo& info) {
  CudaOp c(info.Env(), "matmul");
  const MatmulCheck k = check_matmul(info, c.op());
  auto out = c.alloc(DType::F32, k.out_shape);
  aiprod_cuda_matmul_args a{};
  a.a = dptr(k.a), a.b = dptr(k.b), a.c = out->bytes(), a.dtype = cuda_dtype(DType::F32);
  a.batch = k.batch, a.m = k.m, a.k = k.k, a.n = k.n;
  a.stride_a = k.m * k.k, a.stride_b = k.b_batched ? k.k * k.n : 0, a.stride_c = k.m * k.n;
  a.b_transposed = k.transpose_b ? 1 : 0;
  if (k.batch && k.m && k.n) c.call(c.api()->matmul, a, describe_args({{"a", k.a}, {"b", k.b}}));
  return c.wrap(DType::F32, k.out_shape, std::move(out));
}

// cudaAttention(q, k, v, opts): as attention, on the device. The kernel takes q, k and v of one dtype (f32 or
// bf16) and writes that dtype; a bf16 result is widened to f32 on the device, so the output is f32 as on the CPU.
Napi::Value CudaAttention(const Napi::CallbackInfo& info) {
  CudaOp c(info.Env(), "attention");
  const AttentionCheck k = check_attention(info, c.op());
  const std::string shapes = describe_args({{"q", k.q}, {"k", k.k}, {"v", k.v}, {"bias", k.bias}});
  const DType dt = k.q->dtype();
  if (k.k->dtype() != dt || k.v->dtype() != dt || (dt != DType::F32 && dt != DType::BF16)) {
    c.unsupported("on cuda, q, k and v must share one dtype, f32 or bf16 (got " + shapes + "); cast them first");
  }
  const std::vector<int64_t>& qs = k.q->shape();
  auto out = c.alloc(DType::F32, qs);
  std::shared_ptr<Buffer> tmp = dt == DType::F32 ? out : c.alloc(dt, qs);
  aiprod_cuda_attention_args a{};
  a.q = dptr(k.q), a.k = dptr(k.k), a.v = dptr(k.v), a.out = tmp->bytes(), a.dtype = cuda_dtype(dt);
  a.batch = k.args.batch, a.heads = k.args.heads, a.kv_heads = k.args.kv_heads;
  a.nq = k.args.nq, a.nk = k.args.nk, a.d = k.args.d;
  a.scale = k.args.scale;
  a.bias = static_cast<const float*>(dptr(k.bias));
  a.bias_stride_b = k.args.bias_stride_b, a.bias_stride_h = k.args.bias_stride_h;
  a.causal = k.args.causal ? 1 : 0;
  a.window = k.args.window;
  if (k.q->numel() == 0) return c.wrap(DType::F32, qs, std::move(out));
  c.call(c.api()->attention, a, shapes);
  if (tmp != out) {
    const std::vector<int64_t> flat = {int64_t(k.q->numel())};
    cuda_strided_copy(c, tmp->bytes(), dt, {1}, out->bytes(), DType::F32, {1}, flat, shapes);
  }
  return c.wrap(DType::F32, qs, std::move(out));
}

}  // namespace

void register_cuda_linear_ops(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaLinear", Napi::Function::New(env, CudaLinear, "cudaLinear"));
  exports.Set("cudaMatmul", Napi::Function::New(env, CudaMatmul, "cudaMatmul"));
  exports.Set("cudaAttention", Napi::Function::New(env, CudaAttention, "cudaAttention"));
}

}  // namespace aiprod
