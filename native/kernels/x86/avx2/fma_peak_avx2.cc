// AVX2 FMA throughput loop for measure_fma_peak (8-lane YMM). Same recurrence as the AVX-512 loop: values stay
// normal and bounded however long it runs.
#include <immintrin.h>

#include "aiprod/fma_peak.h"

namespace aiprod {

float fma_loop_avx2(uint64_t iterations) {
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-6f);
  __m256 acc[12];
  for (int j = 0; j < 12; ++j) acc[j] = _mm256_set1_ps(float(j));
  for (uint64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 4
    for (int r = 0; r < 4; ++r) {
#pragma GCC unroll 12
      for (int j = 0; j < 12; ++j) acc[j] = _mm256_fmadd_ps(acc[j], a, b);
    }
  }
  __m256 sum = acc[0];
  for (int j = 1; j < 12; ++j) sum = _mm256_add_ps(sum, acc[j]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, sum);
  float total = 0;
  for (float v : lanes) total += v;
  return total;
}

}  // namespace aiprod
