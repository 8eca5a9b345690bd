// Vector exp/tanh/GELU for AVX-512 kernels (include only from files compiled with AVX-512 flags).
// exp: Cephes-style range reduction (x = n·ln2 + r, |r| <= ln2/2) and a degree-7 polynomial, about 1 ulp;
// _mm512_scalef_ps applies 2^n with gradual underflow, so exp(-inf) and very negative inputs give exactly 0.
#pragma once
#include <immintrin.h>

#include <cstddef>

namespace aiprod {
namespace avx512 {

inline __m512 vexp(__m512 x) {
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-150.0f)), _mm512_set1_ps(88.72283f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(_mm512_mul_ps(p, r), r, _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  return _mm512_scalef_ps(p, n);
}

// 2^x without range clamping, for callers whose x is finite: x = n + f with n = floor(x) and f in [0, 1) from one
// VREDUCEPS (x - floor(x), exact), a degree-5 polynomial for 2^f fitted for minimax relative error (1.5e-7
// evaluated in f32), and 2^n applied by scalef, which floors x itself (a very negative x gives exactly 0, one of
// 128 or more +inf or the largest float). One operation fewer than rounding to nearest and subtracting: this runs
// once per attention score, where every vector operation beside the FMAs shows in the throughput.
inline __m512 vexp2(__m512 x) {
  const __m512 f = _mm512_reduce_ps(x, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  __m512 p = _mm512_set1_ps(1.8775768112391233e-3f);
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(8.989340625703335e-3f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(5.582631751894951e-2f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(2.4015361070632935e-1f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(6.931530833244324e-1f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(9.999999403953552e-1f));
  return _mm512_scalef_ps(p, x);
}

// gelu_tanh(x) = 0.5·x·(1 + tanh(u)), u = sqrt(2/pi)(x + 0.044715x³); 1 + tanh(u) = 2 - 2/(exp(2u) + 1).
inline __m512 vgelu_tanh(__m512 x) {
  const __m512 x3 = _mm512_mul_ps(_mm512_mul_ps(x, x), x);
  const __m512 u = _mm512_mul_ps(_mm512_set1_ps(0.7978845608028654f), _mm512_fmadd_ps(_mm512_set1_ps(0.044715f), x3, x));
  const __m512 e = vexp(_mm512_add_ps(u, u));
  const __m512 one_plus_tanh = _mm512_sub_ps(_mm512_set1_ps(2.0f), _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(e, _mm512_set1_ps(1.0f))));
  return _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), x), one_plus_tanh);
}

// Sum of every lane of N accumulators. A plain store and scalar sum: GCC 12 warns inside its own
// _mm512_reduce_add_ps (-Wuninitialized).
template <int N>
inline float sum_lanes(const __m512 (&acc)[N]) {
  __m512 sum = acc[0];
  for (int j = 1; j < N; ++j) sum = _mm512_add_ps(sum, acc[j]);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, sum);
  float total = 0;
  for (float v : lanes) total += v;
  return total;
}

inline __mmask16 tail_mask16(size_t n) { return n >= 16 ? __mmask16(0xffff) : __mmask16((1u << n) - 1u); }

}  // namespace avx512
}  // namespace aiprod
