// AVX-512 (F/DQ) path of the pointwise row kernels: 16-lane traits for the shared templates in
// pointwise_simd.h, with masked loads/stores for tails. Compiled with AVX-512 flags for this file only.
#include <immintrin.h>

#include "../pointwise_simd.h"

namespace aiprod {
namespace {

struct V16 {
  using R = __m512;
  static constexpr size_t W = 16;
  static __mmask16 lane_mask(size_t n) { return n >= 16 ? __mmask16(0xffff) : __mmask16((1u << n) - 1u); }
  static R load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, R v) { _mm512_storeu_ps(p, v); }
  static R loadn(const float* p, size_t n, float fill) {
    return _mm512_mask_loadu_ps(_mm512_set1_ps(fill), lane_mask(n), p);
  }
  static void storen(float* p, R v, size_t n) { _mm512_mask_storeu_ps(p, lane_mask(n), v); }
  static R set1(float v) { return _mm512_set1_ps(v); }
  static R add(R a, R b) { return _mm512_add_ps(a, b); }
  static R sub(R a, R b) { return _mm512_sub_ps(a, b); }
  static R mul(R a, R b) { return _mm512_mul_ps(a, b); }
  static R div(R a, R b) { return _mm512_div_ps(a, b); }
  static R fmadd(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
  static R fnmadd(R a, R b, R c) { return _mm512_fnmadd_ps(a, b, c); }
  static R fmaddsub(R a, R b, R c) { return _mm512_fmaddsub_ps(a, b, c); }
  static R min(R a, R b) { return _mm512_min_ps(a, b); }
  static R max(R a, R b) { return _mm512_max_ps(a, b); }
  // Own horizontal reductions: GCC 12's _mm512_reduce_*_ps and 512->256 casts trip
  // -Wuninitialized inside its own headers.
  static float hsum(R v) {
    const __m256 h = _mm256_add_ps(_mm512_extractf32x8_ps(v, 0), _mm512_extractf32x8_ps(v, 1));
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
  }
  static float hmax(R v) {
    const __m256 h = _mm256_max_ps(_mm512_extractf32x8_ps(v, 0), _mm512_extractf32x8_ps(v, 1));
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_max_ss(s, _mm_movehdup_ps(s)));
  }
  static R round(R v) { return _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static R pow2(R n) {
    const __m512i e = _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127));
    return _mm512_castsi512_ps(_mm512_slli_epi32(e, 23));
  }
  static R select_ge0(R x, R a, R b) {
    return _mm512_mask_mov_ps(b, _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ), a);
  }
  static R load_pairs(const float* p) {
    const __m512 c = _mm512_castps256_ps512(_mm256_loadu_ps(p));
    return _mm512_permutexvar_ps(_mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7), c);
  }
  static R swap_pairs(R v) { return _mm512_permute_ps(v, 0xB1); }
};

}  // namespace

const PointwiseKernels* avx512_pointwise_kernels() {
  static const PointwiseKernels table = simd::make_pointwise_table<V16>(Isa::Avx512);
  return &table;
}

}  // namespace aiprod
