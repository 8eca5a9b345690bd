// AVX2 + FMA + F16C path for the elementwise ops and casts. Compiled with -mavx2 -mfma -mf16c for this file
// only; called only after cpuid/xgetbv said the CPU and OS support it. Bit-exact with ref/: tails use the
// same scalar functions, and NaNs are canonicalized the way half.h specifies.
#include <immintrin.h>

#include "aiprod/half.h"
#include "aiprod/kernels.h"

namespace aiprod {
namespace {

inline __m256 apply(BinaryOp op, __m256 a, __m256 b) {
  return op == BinaryOp::Add ? _mm256_add_ps(a, b) : _mm256_mul_ps(a, b);
}
inline float apply1(BinaryOp op, float a, float b) { return op == BinaryOp::Add ? a + b : a * b; }

inline __m256 load_bf16(const uint16_t* p) {
  const __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
}

inline void store_bf16(uint16_t* p, __m256 v) {
  const __m256i x = _mm256_castps_si256(v);
  const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(x, 16), _mm256_set1_epi32(1));
  __m256i r = _mm256_srli_epi32(_mm256_add_epi32(_mm256_add_epi32(x, _mm256_set1_epi32(0x7fff)), lsb), 16);
  const __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q));
  r = _mm256_blendv_epi8(r, _mm256_set1_epi32(0x7fc0), nan);
  const __m128i packed = _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), packed);
}

inline __m256 load_f16(const uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

inline void store_f16(uint16_t* p, __m256 v) {
  // Replace NaN lanes by the canonical quiet NaN, so F16C gives 0x7E00 like ref.
  const __m256 nan = _mm256_cmp_ps(v, v, _CMP_UNORD_Q);
  v = _mm256_blendv_ps(v, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fc00000)), nan);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
}

void binary_f32(BinaryOp op, const float* a, const float* b, float* out, size_t n) {
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    for (size_t j = 0; j < 32; j += 8) {
      _mm256_storeu_ps(out + i + j, apply(op, _mm256_loadu_ps(a + i + j), _mm256_loadu_ps(b + i + j)));
    }
  }
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, apply(op, _mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
  for (; i < n; ++i) out[i] = apply1(op, a[i], b[i]);
}

template <__m256 (*Load)(const uint16_t*), void (*Store)(uint16_t*, __m256), float (*Load1)(uint16_t),
          uint16_t (*Store1)(float)>
void binary_16(BinaryOp op, const uint16_t* a, const uint16_t* b, uint16_t* out, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) Store(out + i, apply(op, Load(a + i), Load(b + i)));
  for (; i < n; ++i) out[i] = Store1(apply1(op, Load1(a[i]), Load1(b[i])));
}

template <__m256 (*Load)(const uint16_t*), float (*Load1)(uint16_t)>
void to_f32(const uint16_t* in, float* out, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, Load(in + i));
  for (; i < n; ++i) out[i] = Load1(in[i]);
}

template <void (*Store)(uint16_t*, __m256), uint16_t (*Store1)(float)>
void from_f32(const float* in, uint16_t* out, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) Store(out + i, _mm256_loadu_ps(in + i));
  for (; i < n; ++i) out[i] = Store1(in[i]);
}

}  // namespace

const KernelTable* avx2_kernels() {
  static const KernelTable table = {
      Isa::Avx2,
      binary_f32,
      binary_16<load_bf16, store_bf16, bf16_to_f32, f32_to_bf16>,
      binary_16<load_f16, store_f16, f16_to_f32, f32_to_f16>,
      to_f32<load_bf16, bf16_to_f32>,
      from_f32<store_bf16, f32_to_bf16>,
      to_f32<load_f16, f16_to_f32>,
      from_f32<store_f16, f32_to_f16>,
  };
  return &table;
}

}  // namespace aiprod
