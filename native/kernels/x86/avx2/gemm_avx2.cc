// AVX2+FMA GEMM micro-kernel (6 x 16 f32 tile: 12 accumulators of the 16 ymm registers) and row helpers.
#include <immintrin.h>

#include "aiprod/gemm.h"
#include "vmath_avx2.h"

namespace aiprod {
namespace {

constexpr size_t MR = 6, NR = 16;

void ukernel_f32(size_t kc, const float* ap, const float* bp, float* c, size_t ldc, size_t mr, size_t nr, bool accumulate) {
  __m256 c0[MR], c1[MR];
#pragma GCC unroll 6
  for (size_t i = 0; i < MR; ++i) c0[i] = c1[i] = _mm256_setzero_ps();
  for (size_t p = 0; p < kc; ++p) {
    const __m256 b0 = _mm256_load_ps(bp), b1 = _mm256_load_ps(bp + 8);
#pragma GCC unroll 6
    for (size_t i = 0; i < MR; ++i) {
      const __m256 a = _mm256_broadcast_ss(ap + i);
      c0[i] = _mm256_fmadd_ps(a, b0, c0[i]);
      c1[i] = _mm256_fmadd_ps(a, b1, c1[i]);
    }
    ap += MR;
    bp += NR;
  }
  if (nr == NR) {
    for (size_t i = 0; i < mr; ++i) {
      float* row = c + i * ldc;
      if (accumulate) {
        c0[i] = _mm256_add_ps(c0[i], _mm256_loadu_ps(row));
        c1[i] = _mm256_add_ps(c1[i], _mm256_loadu_ps(row + 8));
      }
      _mm256_storeu_ps(row, c0[i]);
      _mm256_storeu_ps(row + 8, c1[i]);
    }
    return;
  }
  const __m256i m0 = avx2::tail_mask8(nr), m1 = avx2::tail_mask8(nr > 8 ? nr - 8 : 0);
  for (size_t i = 0; i < mr; ++i) {
    float* row = c + i * ldc;
    if (accumulate) {
      c0[i] = _mm256_add_ps(c0[i], _mm256_maskload_ps(row, m0));
      c1[i] = _mm256_add_ps(c1[i], _mm256_maskload_ps(row + 8, m1));
    }
    _mm256_maskstore_ps(row, m0, c0[i]);
    _mm256_maskstore_ps(row + 8, m1, c1[i]);
  }
}

void epilogue_row(float* c, size_t n, const float* bias, Activation act, const float* gate, const float* residual) {
  size_t j = 0;
  for (; j + 8 <= n; j += 8) {
    __m256 v = _mm256_loadu_ps(c + j);
    if (bias) v = _mm256_add_ps(v, _mm256_loadu_ps(bias + j));
    if (act == Activation::GeluTanh) v = avx2::vgelu_tanh(v);
    if (gate) v = _mm256_mul_ps(v, _mm256_loadu_ps(gate + j));
    if (residual) v = _mm256_add_ps(v, _mm256_loadu_ps(residual + j));
    _mm256_storeu_ps(c + j, v);
  }
  if (j < n) epilogue_row_ref(c + j, n - j, bias ? bias + j : nullptr, act, gate ? gate + j : nullptr, residual ? residual + j : nullptr);
}

float exp_sum(const float* s, float* p, size_t n, float max) {
  __m256 sum = _mm256_setzero_ps();
  const __m256 vmax = _mm256_set1_ps(max);
  size_t j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m256 e = avx2::vexp(_mm256_sub_ps(_mm256_loadu_ps(s + j), vmax));
    _mm256_storeu_ps(p + j, e);
    sum = _mm256_add_ps(sum, e);
  }
  if (j < n) {
    const __m256i m = avx2::tail_mask8(n - j);
    const __m256 e = _mm256_and_ps(avx2::vexp(_mm256_sub_ps(_mm256_maskload_ps(s + j, m), vmax)), _mm256_castsi256_ps(m));
    _mm256_maskstore_ps(p + j, m, e);
    sum = _mm256_add_ps(sum, e);
  }
  return avx2::hsum(sum);
}

float max_of(const float* s, size_t n) {
  __m256 mx = _mm256_set1_ps(-__builtin_inff());
  size_t j = 0;
  for (; j + 8 <= n; j += 8) mx = _mm256_max_ps(mx, _mm256_loadu_ps(s + j));
  float r = avx2::hmax(mx);
  for (; j < n; ++j) r = s[j] > r ? s[j] : r;
  return r;
}

void scale(float* x, size_t n, float f) {
  const __m256 vf = _mm256_set1_ps(f);
  size_t j = 0;
  for (; j + 8 <= n; j += 8) _mm256_storeu_ps(x + j, _mm256_mul_ps(_mm256_loadu_ps(x + j), vf));
  for (; j < n; ++j) x[j] *= f;
}

}  // namespace

const GemmKernels* gemm_kernels_avx2() {
  static const GemmKernels table = {Isa::Avx2, MR, NR, ukernel_f32, nullptr, epilogue_row, exp_sum, max_of, scale};
  return &table;
}

}  // namespace aiprod
