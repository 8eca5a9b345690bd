// Elementwise ops (aiprod_cuda_unary_args), the CPU reference's formulas (native/kernels/ref/pointwise_ref.cc,
// native/kernels/shape/shape.cc affine), f32 math, one rounding to y's dtype:
//   0 gelu_tanh 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))   1 gelu_erf 0.5·x·(1 + erf(x/√2))
//   2 silu x/(1 + e^−x)   3 leaky_relu (x >= 0 ? x : x·param)   4 affine x·param + param2 (two roundings)
//   5 lerp x + param·(x2 − x)   6 sigmoid 1/(1 + e^−x)   7 tanh
// Arithmetic is rounded step by step (no FMA contraction): kinds 3-5 are bit-identical to the CPU; kinds 0-2, 6
// and 7 differ only by the GPU's tanhf/erff/expf (a few ulp). y may alias x or x2.
// One thread per 4 elements (16/8-byte accesses) when the pointers are aligned, a scalar tail, grid-stride.
#include "aiprod_cuda/kernel.h"
#include "aiprod_cuda/numerics.h"
#include "ops.h"
#include "pointwise_device.h"

namespace aiprod_cuda {
namespace {

template <int kKind>
AIPROD_DI float act(float x, float x2, float p, float p2) {
  if (kKind == 0) {
    const float u = __fmul_rn(0.7978845608028654f, __fadd_rn(x, __fmul_rn(__fmul_rn(0.044715f * x, x), x)));
    return __fmul_rn(0.5f * x, __fadd_rn(1.0f, tanhf(u)));
  }
  if (kKind == 1) return __fmul_rn(0.5f * x, __fadd_rn(1.0f, erff(x * 0.7071067811865476f)));
  if (kKind == 2) return x / __fadd_rn(1.0f, expf(-x));
  if (kKind == 3) return x >= 0.0f ? x : x * p;
  if (kKind == 4) return __fadd_rn(__fmul_rn(x, p), p2);
  if (kKind == 6) return 1.0f / __fadd_rn(1.0f, expf(-x));
  if (kKind == 7) return tanhf(x);
  return __fadd_rn(x, __fmul_rn(p, __fsub_rn(x2, x)));
}

template <int kKind, bool kVec>
__global__ void unary_kernel(const void* x, int xdt, const void* x2, int x2dt, void* y, int ydt, size_t n, float p,
                             float p2) {
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  size_t done = 0;
  if (kVec) {
    const size_t n4 = n / 4;
    for (size_t t = size_t(blockIdx.x) * blockDim.x + threadIdx.x; t < n4; t += stride) {
      float v[4], v2[4] = {0.f, 0.f, 0.f, 0.f};
      pw::ld4(x, xdt, 4 * t, v);
      if (kKind == 5) pw::ld4(x2, x2dt, 4 * t, v2);
      for (int k = 0; k < 4; ++k) v[k] = act<kKind>(v[k], v2[k], p, p2);
      pw::st4(y, ydt, 4 * t, v);
    }
    done = n4 * 4;
  }
  for (size_t i = done + size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const float b = kKind == 5 ? pw::ld(x2, x2dt, i) : 0.0f;
    pw::st(y, ydt, i, act<kKind>(pw::ld(x, xdt, i), b, p, p2));
  }
}

template <int kKind>
void launch_kind(const aiprod_cuda_unary_args& a, bool vec, Stream st) {
  static const char* names[] = {"unary_gelu_tanh", "unary_gelu_erf", "unary_silu", "unary_leaky_relu", "unary_affine", "unary_lerp",
                                "unary_sigmoid", "unary_tanh"};
  const unsigned blocks = pw::stride_blocks(vec ? (a.n + 3) / 4 : a.n, 256);
  if (vec) launch(names[kKind], unary_kernel<kKind, true>, dim3(blocks), dim3(256), 0, st, a.x, a.x_dtype, a.x2, a.x2_dtype, a.y, a.y_dtype, a.n, a.param, a.param2);
  else launch(names[kKind], unary_kernel<kKind, false>, dim3(blocks), dim3(256), 0, st, a.x, a.x_dtype, a.x2, a.x2_dtype, a.y, a.y_dtype, a.n, a.param, a.param2);
}

}  // namespace

void unary(const aiprod_cuda_unary_args& a, void* stream) {
  if (a.kind < 0 || a.kind > 7) {
    invalid_argument("unary: unknown kind " + std::to_string(a.kind) +
                     " (0 gelu_tanh, 1 gelu_erf, 2 silu, 3 leaky_relu, 4 affine, 5 lerp, 6 sigmoid, 7 tanh)");
  }
  const bool two = a.kind == 5;
  pw::need_float_dtype("unary", "x", a.x_dtype);
  if (two) pw::need_float_dtype("unary lerp", "x2", a.x2_dtype);
  pw::need_float_dtype("unary", "y", a.y_dtype);
  if (a.n == 0) return;
  const std::string shape = "n " + std::to_string(a.n);
  pw::need_ptr("unary", "x", a.x, shape);
  if (two) pw::need_ptr("unary lerp", "x2", a.x2, shape);
  pw::need_ptr("unary", "y", a.y, shape);
  const bool vec = pw::vec_ok(a.x, a.x_dtype) && pw::vec_ok(a.y, a.y_dtype) && (!two || pw::vec_ok(a.x2, a.x2_dtype));
  Stream st = static_cast<Stream>(stream);
  switch (a.kind) {
    case 0: launch_kind<0>(a, vec, st); break;
    case 1: launch_kind<1>(a, vec, st); break;
    case 2: launch_kind<2>(a, vec, st); break;
    case 3: launch_kind<3>(a, vec, st); break;
    case 4: launch_kind<4>(a, vec, st); break;
    case 5: launch_kind<5>(a, vec, st); break;
    case 6: launch_kind<6>(a, vec, st); break;
    default: launch_kind<7>(a, vec, st); break;
  }
}

}  // namespace aiprod_cuda
