// AVX-512 (F/BW/DQ/VL) path for the elementwise ops and casts. Compiled with AVX-512 flags for this file only.
// Tails use masked loads and stores, so every element goes through the same vector arithmetic; bit-exact with
// ref/ (the bf16 rounding is done with integer ops rather than vcvtneps2bf16, which flushes subnormals).
#include <immintrin.h>

#include "aiprod/kernels.h"

namespace aiprod {
namespace {

inline __mmask16 tail_mask(size_t m) { return m >= 16 ? __mmask16(0xffff) : __mmask16((1u << m) - 1u); }

inline __m512 apply(BinaryOp op, __m512 a, __m512 b) {
  return op == BinaryOp::Add ? _mm512_add_ps(a, b) : _mm512_mul_ps(a, b);
}

inline __m512 load_bf16(const uint16_t* p, __mmask16 k) {
  const __m512i w = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(k, p));
  return _mm512_castsi512_ps(_mm512_slli_epi32(w, 16));
}

inline void store_bf16(uint16_t* p, __m512 v, __mmask16 k) {
  const __m512i x = _mm512_castps_si512(v);
  const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(x, 16), _mm512_set1_epi32(1));
  __m512i r = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(x, _mm512_set1_epi32(0x7fff)), lsb), 16);
  const __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
  r = _mm512_mask_mov_epi32(r, nan, _mm512_set1_epi32(0x7fc0));
  _mm256_mask_storeu_epi16(p, k, _mm512_cvtepi32_epi16(r));
}

inline __m512 load_f16(const uint16_t* p, __mmask16 k) { return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(k, p)); }

inline void store_f16(uint16_t* p, __m512 v, __mmask16 k) {
  const __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
  v = _mm512_mask_mov_ps(v, nan, _mm512_castsi512_ps(_mm512_set1_epi32(0x7fc00000)));  // -> canonical 0x7E00
  _mm256_mask_storeu_epi16(p, k, _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
}

void binary_f32(BinaryOp op, const float* a, const float* b, float* out, size_t n) {
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    for (size_t j = 0; j < 64; j += 16) {
      _mm512_storeu_ps(out + i + j, apply(op, _mm512_loadu_ps(a + i + j), _mm512_loadu_ps(b + i + j)));
    }
  }
  for (; i < n; i += 16) {
    const __mmask16 k = tail_mask(n - i);
    _mm512_mask_storeu_ps(out + i, k, apply(op, _mm512_maskz_loadu_ps(k, a + i), _mm512_maskz_loadu_ps(k, b + i)));
  }
}

template <__m512 (*Load)(const uint16_t*, __mmask16), void (*Store)(uint16_t*, __m512, __mmask16)>
void binary_16(BinaryOp op, const uint16_t* a, const uint16_t* b, uint16_t* out, size_t n) {
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 k = tail_mask(n - i);
    Store(out + i, apply(op, Load(a + i, k), Load(b + i, k)), k);
  }
}

template <__m512 (*Load)(const uint16_t*, __mmask16)>
void to_f32(const uint16_t* in, float* out, size_t n) {
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 k = tail_mask(n - i);
    _mm512_mask_storeu_ps(out + i, k, Load(in + i, k));
  }
}

template <void (*Store)(uint16_t*, __m512, __mmask16)>
void from_f32(const float* in, uint16_t* out, size_t n) {
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 k = tail_mask(n - i);
    Store(out + i, _mm512_maskz_loadu_ps(k, in + i), k);
  }
}

}  // namespace

const KernelTable* avx512_kernels() {
  static const KernelTable table = {
      Isa::Avx512,
      binary_f32,
      binary_16<load_bf16, store_bf16>,
      binary_16<load_f16, store_f16>,
      to_f32<load_bf16>,
      from_f32<store_bf16>,
      to_f32<load_f16>,
      from_f32<store_f16>,
  };
  return &table;
}

}  // namespace aiprod
