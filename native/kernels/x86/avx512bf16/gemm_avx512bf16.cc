// AVX512_BF16 GEMM micro-kernel: 14 x 32 tile, vdpbf16ps multiplies bf16 pairs and accumulates in f32, twice the
// products per instruction of an f32 FMA. Compiled with -mavx512bf16 for this file only; used only when cpuid
// reports AVX512_BF16.
#include <immintrin.h>

#include "aiprod/gemm.h"
#include "../avx512/tile_avx512.h"

namespace aiprod {
namespace {

constexpr size_t MR = 14, NR = 32;

void ukernel_bf16(size_t kc2, const uint16_t* ap, const uint16_t* bp, float* c, size_t ldc, size_t mr, size_t nr,
                  bool accumulate) {
  __m512 c0[MR], c1[MR];
#pragma GCC unroll 14
  for (size_t i = 0; i < MR; ++i) c0[i] = c1[i] = _mm512_setzero_ps();
  avx512::prefetch_tile(c, ldc, mr);
  const int32_t* a32 = reinterpret_cast<const int32_t*>(ap);
  for (size_t p = 0; p < kc2; ++p) {
    const __m512bh b0 = (__m512bh)_mm512_load_si512(bp);
    const __m512bh b1 = (__m512bh)_mm512_load_si512(bp + 32);
    _mm_prefetch(reinterpret_cast<const char*>(bp + 8 * 2 * NR), _MM_HINT_T0);
#pragma GCC unroll 14
    for (size_t i = 0; i < MR; ++i) {
      const __m512bh a = (__m512bh)_mm512_set1_epi32(a32[i]);
      c0[i] = _mm512_dpbf16_ps(c0[i], a, b0);
      c1[i] = _mm512_dpbf16_ps(c1[i], a, b1);
    }
    a32 += MR;
    bp += 2 * NR;
  }
  avx512::store_tile<MR>(c0, c1, c, ldc, mr, nr, accumulate);
}

}  // namespace

UkernelBf16 gemm_bf16_ukernel_avx512bf16() { return ukernel_bf16; }

}  // namespace aiprod
