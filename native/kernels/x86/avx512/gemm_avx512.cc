// AVX-512 GEMM micro-kernel (14 x 32 f32 tile: 28 accumulators, two B vectors and one A broadcast per row per
// step) and the row helpers the GEMM and attention drivers use.
#include <immintrin.h>

#include "aiprod/gemm.h"
#include "vmath_avx512.h"

namespace aiprod {
namespace {

using avx512::tail_mask16;
constexpr size_t MR = 14, NR = 32;

void ukernel_f32(size_t kc, const float* ap, const float* bp, float* c, size_t ldc, size_t mr, size_t nr, bool accumulate) {
  __m512 c0[MR], c1[MR];
#pragma GCC unroll 14
  for (size_t i = 0; i < MR; ++i) c0[i] = c1[i] = _mm512_setzero_ps();
  for (size_t p = 0; p < kc; ++p) {
    const __m512 b0 = _mm512_load_ps(bp), b1 = _mm512_load_ps(bp + 16);
    _mm_prefetch(reinterpret_cast<const char*>(bp + 8 * NR), _MM_HINT_T0);
#pragma GCC unroll 14
    for (size_t i = 0; i < MR; ++i) {
      const __m512 a = _mm512_set1_ps(ap[i]);
      c0[i] = _mm512_fmadd_ps(a, b0, c0[i]);
      c1[i] = _mm512_fmadd_ps(a, b1, c1[i]);
    }
    ap += MR;
    bp += NR;
  }
  const __mmask16 m0 = tail_mask16(nr), m1 = nr > 16 ? tail_mask16(nr - 16) : __mmask16(0);
  for (size_t i = 0; i < mr; ++i) {
    float* row = c + i * ldc;
    if (accumulate) {
      c0[i] = _mm512_add_ps(c0[i], _mm512_maskz_loadu_ps(m0, row));
      c1[i] = _mm512_add_ps(c1[i], _mm512_maskz_loadu_ps(m1, row + 16));
    }
    _mm512_mask_storeu_ps(row, m0, c0[i]);
    _mm512_mask_storeu_ps(row + 16, m1, c1[i]);
  }
}

void epilogue_row(float* c, size_t n, const float* bias, Activation act, const float* gate, const float* residual) {
  for (size_t j = 0; j < n; j += 16) {
    const __mmask16 m = tail_mask16(n - j);
    __m512 v = _mm512_maskz_loadu_ps(m, c + j);
    if (bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, bias + j));
    if (act == Activation::GeluTanh) v = avx512::vgelu_tanh(v);
    if (gate) v = _mm512_mul_ps(v, _mm512_maskz_loadu_ps(m, gate + j));
    if (residual) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, residual + j));
    _mm512_mask_storeu_ps(c + j, m, v);
  }
}

float exp_sum(const float* s, float* p, size_t n, float max) {
  __m512 sum = _mm512_setzero_ps();
  const __m512 vmax = _mm512_set1_ps(max);
  for (size_t j = 0; j < n; j += 16) {
    const __mmask16 m = tail_mask16(n - j);
    const __m512 e = avx512::vexp(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, s + j), vmax));
    _mm512_mask_storeu_ps(p + j, m, e);
    sum = _mm512_add_ps(sum, _mm512_maskz_mov_ps(m, e));
  }
  return _mm512_reduce_add_ps(sum);
}

float max_of(const float* s, size_t n) {
  __m512 mx = _mm512_set1_ps(-__builtin_inff());
  for (size_t j = 0; j < n; j += 16) {
    const __mmask16 m = tail_mask16(n - j);
    mx = _mm512_mask_max_ps(mx, m, mx, _mm512_maskz_loadu_ps(m, s + j));
  }
  return _mm512_reduce_max_ps(mx);
}

void scale(float* x, size_t n, float f) {
  const __m512 vf = _mm512_set1_ps(f);
  for (size_t j = 0; j < n; j += 16) {
    const __mmask16 m = tail_mask16(n - j);
    _mm512_mask_storeu_ps(x + j, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + j), vf));
  }
}

}  // namespace

const GemmKernels* gemm_kernels_avx512() {
  static const GemmKernels table = {Isa::Avx512, MR, NR, ukernel_f32, nullptr, epilogue_row, exp_sum, max_of, scale};
  return &table;
}

}  // namespace aiprod
