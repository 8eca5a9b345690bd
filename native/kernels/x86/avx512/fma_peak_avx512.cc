// AVX-512 FMA throughput loop for measure_fma_peak. acc = acc * a + b with a just below 1 converges to
// b / (1 - a), so values stay normal (no subnormal slow path) and never overflow however long it runs.
#include <immintrin.h>

#include "aiprod/fma_peak.h"
#include "vmath_avx512.h"

namespace aiprod {

float fma_loop_avx512(uint64_t iterations) {
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-6f);
  __m512 acc[12];
  for (int j = 0; j < 12; ++j) acc[j] = _mm512_set1_ps(float(j));
  for (uint64_t i = 0; i < iterations; ++i) {
    // 4 x 12 independent chains per trip keeps the loop counter and branch a small share of the issue slots.
#pragma GCC unroll 4
    for (int r = 0; r < 4; ++r) {
#pragma GCC unroll 12
      for (int j = 0; j < 12; ++j) acc[j] = _mm512_fmadd_ps(acc[j], a, b);
    }
  }
  return avx512::sum_lanes(acc);
}

}  // namespace aiprod
