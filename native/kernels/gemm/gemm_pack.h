// Packing of GEMM operands into the panel layouts the micro-kernels read (see gemm.h). Portable C++: packing is
// memory-bound and touches each element once per block, so SIMD would not pay here.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "aiprod/dtype.h"
#include "aiprod/half.h"

namespace aiprod {
namespace gemm {

// B(k, n) as weights W[N,K] in any storage dtype (f8 decoded with its scale and rounded to bf16).
struct WeightSource {
  const void* w;
  DType dtype;
  float scale;
  size_t k;  // row length of W
  float f32(size_t kk, size_t n) const {
    const size_t i = n * k + kk;
    switch (dtype) {
      case DType::F32: return static_cast<const float*>(w)[i];
      case DType::BF16: return bf16_to_f32(static_cast<const uint16_t*>(w)[i]);
      case DType::F16: return f16_to_f32(static_cast<const uint16_t*>(w)[i]);
      case DType::F8E4M3: return bf16_to_f32(f32_to_bf16(f8e4m3_to_f32(static_cast<const uint8_t*>(w)[i]) * scale));
    }
    return 0.0f;
  }
};

// B(k, n) from an f32 matrix, [K,N] row-major (or [N,K] when transposed).
struct MatrixSource {
  const float* b;
  size_t ld;  // row length
  bool transposed;
  float f32(size_t kk, size_t n) const { return transposed ? b[n * ld + kk] : b[kk * ld + n]; }
};

// f32 panel: dst[p*nr_full + j] = B(k0+p, n0+j), zero where j >= ncols.
template <class Src>
void pack_b_f32(const Src& src, size_t n0, size_t ncols, size_t k0, size_t kc, size_t nr_full, float* dst) {
  for (size_t p = 0; p < kc; ++p) {
    float* d = dst + p * nr_full;
    for (size_t j = 0; j < ncols; ++j) d[j] = src.f32(k0 + p, n0 + j);
    for (size_t j = ncols; j < nr_full; ++j) d[j] = 0.0f;
  }
}

// bf16-pair panel: dst[(p/2)*2*nr + 2j + (p&1)] = bf16(B(k0+p, n0+j)); odd kc padded with a zero step.
template <class Src>
void pack_b_bf16(const Src& src, size_t n0, size_t ncols, size_t k0, size_t kc, size_t nr_full, uint16_t* dst) {
  const size_t steps = (kc + 1) / 2;
  std::memset(dst, 0, steps * 2 * nr_full * sizeof(uint16_t));
  for (size_t j = 0; j < ncols; ++j) {
    for (size_t p = 0; p < kc; ++p) dst[(p / 2) * 2 * nr_full + 2 * j + (p & 1)] = f32_to_bf16(src.f32(k0 + p, n0 + j));
  }
}

// f32 A panel: dst[p*mr_full + i] = A(m0+i, k0+p), zero for i >= rows; optionally rounded to bf16 values.
inline void pack_a_f32(const float* a, size_t lda, size_t m0, size_t rows, size_t k0, size_t kc, size_t mr_full,
                       bool round_bf16, float* dst) {
  for (size_t i = 0; i < mr_full; ++i) {
    if (i >= rows) {
      for (size_t p = 0; p < kc; ++p) dst[p * mr_full + i] = 0.0f;
      continue;
    }
    const float* row = a + (m0 + i) * lda + k0;
    if (round_bf16) {
      for (size_t p = 0; p < kc; ++p) dst[p * mr_full + i] = bf16_to_f32(f32_to_bf16(row[p]));
    } else {
      for (size_t p = 0; p < kc; ++p) dst[p * mr_full + i] = row[p];
    }
  }
}

// bf16-pair A panel: dst[(p/2)*2*mr + 2i + (p&1)] = bf16(A(m0+i, k0+p)).
inline void pack_a_bf16(const float* a, size_t lda, size_t m0, size_t rows, size_t k0, size_t kc, size_t mr_full,
                        uint16_t* dst) {
  const size_t steps = (kc + 1) / 2;
  std::memset(dst, 0, steps * 2 * mr_full * sizeof(uint16_t));
  for (size_t i = 0; i < rows; ++i) {
    const float* row = a + (m0 + i) * lda + k0;
    for (size_t p = 0; p < kc; ++p) dst[(p / 2) * 2 * mr_full + 2 * i + (p & 1)] = f32_to_bf16(row[p]);
  }
}

}  // namespace gemm
}  // namespace aiprod
