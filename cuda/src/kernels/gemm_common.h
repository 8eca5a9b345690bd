// Shared by the GEMM kernels (linear.cu, matmul.cu): the operand description, the fused epilogue and the
// operand conversions, with the CPU's numerics (native/include/aiprod/gemm.h, native/kernels/ref/gemm_ref.cc):
//   - bf16 math: x rounded to bf16 (nearest even), bf16 weights as they are, f8e4m3 weights decoded as
//     round_bf16(f8 * w_scale), so every product is bf16 x bf16 (exact in f32), accumulated in f32;
//   - f32 math: f32 products, f32 accumulation;
//   - epilogue: v = acc + bias; v = gelu_tanh(v); v *= gate; v += residual (each optional), in f32, then
//     stored in y's dtype.
#ifndef AIPROD_CUDA_GEMM_COMMON_H
#define AIPROD_CUDA_GEMM_COMMON_H

#include "aiprod_cuda/kernel.h"
#include "aiprod_cuda/numerics.h"

// Full unrolling of the fragment loops (keeps accumulators and fragments in registers under nvcc; a compiler
// hint only, nothing for the host compiler).
#if defined(__CUDACC__)
#define AIPROD_GEMM_UNROLL _Pragma("unroll")
#else
#define AIPROD_GEMM_UNROLL
#endif

namespace aiprod_cuda {
namespace gemm {

// c[batch][m][n] = a[batch][m][k] . B, where B is b[batch] as [N,K] (b_kn = false: a Linear weight, or a
// transposed matmul operand) or [K,N] (b_kn = true). Dense rows (lda = k, ldb = k or n, ldc = n).
struct Operands {
  const void* a;
  int a_dtype;  // f32 or bf16 (rounded to bf16 on the tensor-core path)
  size_t stride_a;
  const void* b;
  int b_dtype;  // f32 (SIMT path only), bf16, or f8e4m3 (times b_scale, rounded to bf16)
  size_t stride_b;
  float b_scale;
  size_t batch, m, n, k;
};

// out = residual + gate * act(acc + bias), each optional; gate and residual [m,n] (batch 1 only).
struct Epilogue {
  const void* bias;
  int bias_dtype;
  int act;  // 0 none, 1 gelu_tanh
  const void* gate;
  int gate_dtype;
  const void* residual;
  int residual_dtype;
  void* y;
  int y_dtype;
  size_t stride_y;  // elements between batch items of y
};

// aiprod::gelu_tanh, the same formula.
AIPROD_DI float gelu_tanh(float x) {
  const float k = 0.7978845608028654f;  // sqrt(2/pi)
  return 0.5f * x * (1.0f + tanhf(k * (x + 0.044715f * x * x * x)));
}

// Applies the epilogue to the accumulator of element (row, col) of batch item `z` and stores it. Each element
// is read (gate, residual) and written (y) by one thread only, so residual/gate may alias y (same dtype).
AIPROD_DI void epilogue_store(const Epilogue& ep, size_t n, size_t z, size_t row, size_t col, float acc) {
  const size_t i = row * n + col;
  float v = acc;
  if (ep.bias) v += load_as_f32(ep.bias, ep.bias_dtype, col);
  if (ep.act == 1) v = gelu_tanh(v);
  if (ep.gate) v *= load_as_f32(ep.gate, ep.gate_dtype, i);
  if (ep.residual) v += load_as_f32(ep.residual, ep.residual_dtype, i);
  store_from_f32(ep.y, ep.y_dtype, z * ep.stride_y + i, v);
}

// One tensor-core operand element as bf16 bits: bf16 as is, f32 rounded to nearest even, f8e4m3 decoded,
// scaled and rounded (the CPU's round_bf16(q * scale)).
AIPROD_DI uint16_t bf16_operand(const void* p, int dtype, size_t i, float f8_scale) {
  if (dtype == 1) return static_cast<const uint16_t*>(p)[i];
  if (dtype == 0) return f32_to_bf16(static_cast<const float*>(p)[i]);
  return f32_to_bf16(f8e4m3_to_f32(static_cast<const uint8_t*>(p)[i]) * f8_scale);
}

}  // namespace gemm
}  // namespace aiprod_cuda

#endif
