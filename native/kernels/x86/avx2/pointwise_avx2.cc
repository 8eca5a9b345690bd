// AVX2 + FMA path of the pointwise row kernels: 8-lane traits for the shared templates in pointwise_simd.h.
// Compiled with AVX2 flags for this file only; used only when cpuid/xgetbv report AVX2+FMA+F16C.
#include <immintrin.h>

#include "../pointwise_simd.h"

namespace aiprod {
namespace {

struct V8 {
  using R = __m256;
  static constexpr size_t W = 8;
  static __m256i lane_mask(size_t n) {  // all-ones in the first min(n, 8) lanes
    const int k = n >= 8 ? 8 : int(n);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(k), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static R load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, R v) { _mm256_storeu_ps(p, v); }
  static R loadn(const float* p, size_t n, float fill) {
    if (n >= W) return _mm256_loadu_ps(p);
    const __m256i k = lane_mask(n);
    return _mm256_blendv_ps(_mm256_set1_ps(fill), _mm256_maskload_ps(p, k), _mm256_castsi256_ps(k));
  }
  static void storen(float* p, R v, size_t n) {
    if (n >= W) return _mm256_storeu_ps(p, v);
    _mm256_maskstore_ps(p, lane_mask(n), v);
  }
  static R set1(float v) { return _mm256_set1_ps(v); }
  static R add(R a, R b) { return _mm256_add_ps(a, b); }
  static R sub(R a, R b) { return _mm256_sub_ps(a, b); }
  static R mul(R a, R b) { return _mm256_mul_ps(a, b); }
  static R div(R a, R b) { return _mm256_div_ps(a, b); }
  static R fmadd(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
  static R fnmadd(R a, R b, R c) { return _mm256_fnmadd_ps(a, b, c); }
  static R fmaddsub(R a, R b, R c) { return _mm256_fmaddsub_ps(a, b, c); }
  static R min(R a, R b) { return _mm256_min_ps(a, b); }
  static R max(R a, R b) { return _mm256_max_ps(a, b); }
  static float hsum(R v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  static float hmax(R v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  static R round(R v) { return _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static R pow2(R n) {
    const __m256i e = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
    return _mm256_castsi256_ps(_mm256_slli_epi32(e, 23));
  }
  static R select_ge0(R x, R a, R b) { return _mm256_blendv_ps(b, a, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ)); }
  static R load_pairs(const float* p) {
    const __m256 c = _mm256_castps128_ps256(_mm_loadu_ps(p));
    return _mm256_permutevar8x32_ps(c, _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3));
  }
  static R swap_pairs(R v) { return _mm256_permute_ps(v, 0xB1); }
};

}  // namespace

const PointwiseKernels* avx2_pointwise_kernels() {
  static const PointwiseKernels table = simd::make_pointwise_table<V8>(Isa::Avx2);
  return &table;
}

}  // namespace aiprod
