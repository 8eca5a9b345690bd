// AVX-512 GEMM micro-kernels (14 x 32 f32 tile: 28 accumulators, two B vectors and one A broadcast per row per
// step; A packed, or read in place from rows) and the row helpers the GEMM and attention drivers use.
#include <immintrin.h>

#include "aiprod/gemm.h"
#include "tile_avx512.h"
#include "vmath_avx512.h"

namespace aiprod {
namespace {

using avx512::tail_mask16;
constexpr size_t MR = 14, NR = 32;

// R rows x 32 columns over kc steps; A step p holds the R row values at ap[p*ap_step + i] (a packed panel has
// ap_step = R; attention reads Vᵀ in place from row-major V with ap_step = d). R = 14 is the GEMM tile; R = 8
// serves products whose row count is a multiple of 8 (attention's Oᵀ = Vᵀ·Pᵀ over head dims 64 and 128, which
// 14-row panels pad by 9%).
template <size_t R, bool kInPlace = false>
inline void tile_f32(size_t kc, const float* ap, size_t ap_step, const float* bp, float* c, size_t ldc, size_t mr,
                     size_t nr, bool accumulate) {
  __m512 c0[R], c1[R];
#pragma GCC unroll 14
  for (size_t i = 0; i < R; ++i) c0[i] = c1[i] = _mm512_setzero_ps();
  avx512::prefetch_tile(c, ldc, mr);
  for (size_t p = 0; p < kc; ++p) {
    const __m512 b0 = _mm512_load_ps(bp), b1 = _mm512_load_ps(bp + 16);
    _mm_prefetch(reinterpret_cast<const char*>(bp + 8 * NR), _MM_HINT_T0);
    // in place, each step starts a new line of A (a packed panel streams and needs no help)
    if (kInPlace) _mm_prefetch(reinterpret_cast<const char*>(ap + 8 * ap_step), _MM_HINT_T0);
#pragma GCC unroll 14
    for (size_t i = 0; i < R; ++i) {
      const __m512 a = _mm512_set1_ps(ap[i]);
      c0[i] = _mm512_fmadd_ps(a, b0, c0[i]);
      c1[i] = _mm512_fmadd_ps(a, b1, c1[i]);
    }
    ap += ap_step;
    bp += NR;
  }
  avx512::store_tile<R>(c0, c1, c, ldc, mr, nr, accumulate);
}

template <size_t R>
void ukernel_f32_tile(size_t kc, const float* ap, const float* bp, float* c, size_t ldc, size_t mr, size_t nr, bool accumulate) {
  tile_f32<R>(kc, ap, R, bp, c, ldc, mr, nr, accumulate);
}

void ukernel_f32_narrow_at(size_t kc, const float* ap, size_t ap_step, const float* bp, float* c, size_t ldc, size_t mr,
                           size_t nr, bool accumulate) {
  tile_f32<8, true>(kc, ap, ap_step, bp, c, ldc, mr, nr, accumulate);
}

// c0/c1 (14 rows x 32) += A·B over len steps with A's 14 rows read in place: row i, step p at a[i*lda + p].
// Two base pointers, seven rows each: the row addresses stay base + constant·lda, which the compiler keeps in
// registers (one pointer per row would spill).
inline void accumulate_rows(__m512 (&c0)[MR], __m512 (&c1)[MR], const float* a, size_t lda, const float*& bp, size_t len) {
  const float* a7 = a + 7 * lda;
  for (size_t p = 0; p < len; ++p) {
    const __m512 b0 = _mm512_load_ps(bp), b1 = _mm512_load_ps(bp + 16);
    _mm_prefetch(reinterpret_cast<const char*>(bp + 8 * NR), _MM_HINT_T0);
#pragma GCC unroll 7
    for (size_t i = 0; i < 7; ++i) {
      const __m512 x = _mm512_set1_ps(a[i * lda + p]);
      c0[i] = _mm512_fmadd_ps(x, b0, c0[i]);
      c1[i] = _mm512_fmadd_ps(x, b1, c1[i]);
    }
#pragma GCC unroll 7
    for (size_t i = 0; i < 7; ++i) {
      const __m512 x = _mm512_set1_ps(a7[i * lda + p]);
      c0[7 + i] = _mm512_fmadd_ps(x, b0, c0[7 + i]);
      c1[7 + i] = _mm512_fmadd_ps(x, b1, c1[7 + i]);
    }
    bp += NR;
  }
}

void ukernel_f32_rows(size_t nseg, size_t seg_len, const ptrdiff_t* seg_off, const float* a, size_t lda,
                      const float* bp, float* c, size_t ldc, size_t mr, size_t nr, bool accumulate) {
  __m512 c0[MR], c1[MR];
#pragma GCC unroll 14
  for (size_t i = 0; i < MR; ++i) c0[i] = c1[i] = _mm512_setzero_ps();
  avx512::prefetch_tile(c, ldc, mr);
  for (size_t s = 0; s < nseg; ++s) accumulate_rows(c0, c1, a + seg_off[s], lda, bp, seg_len);
  avx512::store_tile<MR>(c0, c1, c, ldc, mr, nr, accumulate);
}

// Attention's Sᵀ tile (14 keys x 32 queries; K rows read in place, B = a Q panel) with its softmax weights
// P = 2^(S - m) computed before the tile leaves the registers (see GemmKernels::score_exp). The tile lives in L1,
// so no C prefetch. The accumulators start at -m (m is per query, the same for every key row), so S - m leaves the
// product loop without a subtraction per vector (+3% on the kernel at kc = 64).
void score_exp(size_t kc, const float* a, size_t lda, const float* bp, float* p, size_t mr, const float* m, float* sum) {
  __m512 c0[MR], c1[MR];
  const __m512 neg_m0 = _mm512_sub_ps(_mm512_setzero_ps(), _mm512_loadu_ps(m));
  const __m512 neg_m1 = _mm512_sub_ps(_mm512_setzero_ps(), _mm512_loadu_ps(m + 16));
#pragma GCC unroll 14
  for (size_t i = 0; i < MR; ++i) c0[i] = neg_m0, c1[i] = neg_m1;
  accumulate_rows(c0, c1, a, lda, bp, kc);
  __m512 s0 = _mm512_loadu_ps(sum), s1 = _mm512_loadu_ps(sum + 16);
#pragma GCC unroll 14
  for (size_t i = 0; i < MR; ++i) {
    if (i >= mr) break;
    const __m512 e0 = avx512::vexp2(c0[i]);
    const __m512 e1 = avx512::vexp2(c1[i]);
    _mm512_store_ps(p + i * NR, e0);
    _mm512_store_ps(p + i * NR + 16, e1);
    s0 = _mm512_add_ps(s0, e0);
    s1 = _mm512_add_ps(s1, e1);
  }
  _mm512_storeu_ps(sum, s0);
  _mm512_storeu_ps(sum + 16, s1);
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

void colmax(const float* s, size_t rows, float* mx) {
  __m512 m0 = _mm512_loadu_ps(mx), m1 = _mm512_loadu_ps(mx + 16);
  for (size_t r = 0; r < rows; ++r, s += NR) {
    m0 = _mm512_max_ps(m0, _mm512_load_ps(s));
    m1 = _mm512_max_ps(m1, _mm512_load_ps(s + 16));
  }
  _mm512_storeu_ps(mx, m0);
  _mm512_storeu_ps(mx + 16, m1);
}

void colexp(float* s, size_t rows, const float* m, float* sum) {
  const __m512 m0 = _mm512_loadu_ps(m), m1 = _mm512_loadu_ps(m + 16);
  __m512 s0 = _mm512_loadu_ps(sum), s1 = _mm512_loadu_ps(sum + 16);
  for (size_t r = 0; r < rows; ++r, s += NR) {
    const __m512 e0 = avx512::vexp(_mm512_sub_ps(_mm512_load_ps(s), m0));
    const __m512 e1 = avx512::vexp(_mm512_sub_ps(_mm512_load_ps(s + 16), m1));
    _mm512_store_ps(s, e0);
    _mm512_store_ps(s + 16, e1);
    s0 = _mm512_add_ps(s0, e0);
    s1 = _mm512_add_ps(s1, e1);
  }
  _mm512_storeu_ps(sum, s0);
  _mm512_storeu_ps(sum + 16, s1);
}

void rowmul(float* x, size_t rows, const float* f) {
  const __m512 f0 = _mm512_loadu_ps(f), f1 = _mm512_loadu_ps(f + 16);
  for (size_t r = 0; r < rows; ++r, x += NR) {
    _mm512_storeu_ps(x, _mm512_mul_ps(_mm512_loadu_ps(x), f0));
    _mm512_storeu_ps(x + 16, _mm512_mul_ps(_mm512_loadu_ps(x + 16), f1));
  }
}

}  // namespace

const GemmKernels* gemm_kernels_avx512() {
  static const GemmKernels table = {Isa::Avx512, MR, NR, ukernel_f32_tile<MR>, nullptr, epilogue_row, colmax, colexp, rowmul, ukernel_f32_rows,
                                     8, ukernel_f32_tile<8>, ukernel_f32_narrow_at, score_exp};
  return &table;
}

}  // namespace aiprod
