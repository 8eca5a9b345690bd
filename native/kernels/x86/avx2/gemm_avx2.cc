// AVX2+FMA GEMM micro-kernels (6 x 16 f32 tile: 12 accumulators of the 16 ymm registers; A packed, or read in
// place from rows) and row helpers.
#include <immintrin.h>

#include "aiprod/gemm.h"
#include "vmath_avx2.h"

namespace aiprod {
namespace {

constexpr size_t MR = 6, NR = 16;

// Writes back the register tile: full 16-column rows directly, the column tail through masks.
inline void store_tile(__m256 (&c0)[MR], __m256 (&c1)[MR], float* c, size_t ldc, size_t mr, size_t nr, bool accumulate) {
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
  store_tile(c0, c1, c, ldc, mr, nr, accumulate);
}

void ukernel_f32_rows(size_t nseg, size_t seg_len, const ptrdiff_t* seg_off, const float* a, size_t lda,
                      const float* bp, float* c, size_t ldc, size_t mr, size_t nr, bool accumulate) {
  __m256 c0[MR], c1[MR];
#pragma GCC unroll 6
  for (size_t i = 0; i < MR; ++i) c0[i] = c1[i] = _mm256_setzero_ps();
  for (size_t s = 0; s < nseg; ++s) {
    const float* as = a + seg_off[s];
    for (size_t p = 0; p < seg_len; ++p) {
      const __m256 b0 = _mm256_load_ps(bp), b1 = _mm256_load_ps(bp + 8);
#pragma GCC unroll 6
      for (size_t i = 0; i < MR; ++i) {
        const __m256 x = _mm256_broadcast_ss(as + i * lda + p);
        c0[i] = _mm256_fmadd_ps(x, b0, c0[i]);
        c1[i] = _mm256_fmadd_ps(x, b1, c1[i]);
      }
      bp += NR;
    }
  }
  store_tile(c0, c1, c, ldc, mr, nr, accumulate);
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

void colmax(const float* s, size_t rows, float* mx) {
  __m256 m0 = _mm256_loadu_ps(mx), m1 = _mm256_loadu_ps(mx + 8);
  for (size_t r = 0; r < rows; ++r, s += NR) {
    m0 = _mm256_max_ps(m0, _mm256_load_ps(s));
    m1 = _mm256_max_ps(m1, _mm256_load_ps(s + 8));
  }
  _mm256_storeu_ps(mx, m0);
  _mm256_storeu_ps(mx + 8, m1);
}

void colexp(float* s, size_t rows, const float* m, float* sum) {
  const __m256 m0 = _mm256_loadu_ps(m), m1 = _mm256_loadu_ps(m + 8);
  __m256 s0 = _mm256_loadu_ps(sum), s1 = _mm256_loadu_ps(sum + 8);
  for (size_t r = 0; r < rows; ++r, s += NR) {
    const __m256 e0 = avx2::vexp(_mm256_sub_ps(_mm256_load_ps(s), m0));
    const __m256 e1 = avx2::vexp(_mm256_sub_ps(_mm256_load_ps(s + 8), m1));
    _mm256_store_ps(s, e0);
    _mm256_store_ps(s + 8, e1);
    s0 = _mm256_add_ps(s0, e0);
    s1 = _mm256_add_ps(s1, e1);
  }
  _mm256_storeu_ps(sum, s0);
  _mm256_storeu_ps(sum + 8, s1);
}

void rowmul(float* x, size_t rows, const float* f) {
  const __m256 f0 = _mm256_loadu_ps(f), f1 = _mm256_loadu_ps(f + 8);
  for (size_t r = 0; r < rows; ++r, x += NR) {
    _mm256_storeu_ps(x, _mm256_mul_ps(_mm256_loadu_ps(x), f0));
    _mm256_storeu_ps(x + 8, _mm256_mul_ps(_mm256_loadu_ps(x + 8), f1));
  }
}

}  // namespace

const GemmKernels* gemm_kernels_avx2() {
  static const GemmKernels table = {Isa::Avx2, MR, NR, ukernel_f32, nullptr, epilogue_row, colmax, colexp, rowmul, ukernel_f32_rows, 0, nullptr, nullptr, nullptr};
  return &table;
}

}  // namespace aiprod
