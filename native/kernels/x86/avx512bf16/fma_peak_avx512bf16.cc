// AVX512_BF16 dot-product throughput loop for measure_fma_peak: vdpbf16ps does, per f32 lane, two bf16
// products added into the accumulator. Compiled with -mavx512bf16 for this file only (its own source group),
// and called only when cpuid reports AVX512_BF16. The products are small (1e-6 per pair), so the accumulators
// grow slowly and stay far from overflow for any realistic run length.
#include <immintrin.h>

#include "aiprod/fma_peak.h"
#include "../avx512/vmath_avx512.h"

namespace aiprod {

float dpbf16_loop_avx512bf16(uint64_t iterations) {
  const __m512 one_e3 = _mm512_set1_ps(1e-3f);
  const __m512bh a = _mm512_cvtne2ps_pbh(one_e3, one_e3);
  const __m512bh b = _mm512_cvtne2ps_pbh(one_e3, one_e3);
  __m512 acc[12];
  for (int j = 0; j < 12; ++j) acc[j] = _mm512_set1_ps(float(j));
  for (uint64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 4
    for (int r = 0; r < 4; ++r) {
#pragma GCC unroll 12
      for (int j = 0; j < 12; ++j) acc[j] = _mm512_dpbf16_ps(acc[j], a, b);
    }
  }
  return avx512::sum_lanes(acc);
}

}  // namespace aiprod
