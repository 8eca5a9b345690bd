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
  // Row n of W, elements [k0, k0+kc), as f32 values into out (typed loops: no per-element dtype switch).
  void row_f32(size_t n, size_t k0, size_t kc, float* out) const {
    const size_t i = n * k + k0;
    switch (dtype) {
      case DType::F32: std::memcpy(out, static_cast<const float*>(w) + i, kc * sizeof(float)); break;
      case DType::BF16: {
        const uint16_t* src = static_cast<const uint16_t*>(w) + i;
        for (size_t p = 0; p < kc; ++p) out[p] = bf16_to_f32(src[p]);
        break;
      }
      case DType::F16: {
        const uint16_t* src = static_cast<const uint16_t*>(w) + i;
        for (size_t p = 0; p < kc; ++p) out[p] = f16_to_f32(src[p]);
        break;
      }
      case DType::F8E4M3: {
        const uint8_t* src = static_cast<const uint8_t*>(w) + i;
        for (size_t p = 0; p < kc; ++p) out[p] = bf16_to_f32(f32_to_bf16(f8e4m3_to_f32(src[p]) * scale));
        break;
      }
    }
  }
};

// B(k, n) from an f32 matrix, [K,N] row-major (or [N,K] when transposed).
struct MatrixSource {
  const float* b;
  size_t ld;  // row length
  bool transposed;
};

// Column n of B, elements k0..k0+kc, as f32 into out.
inline void column_f32(const WeightSource& src, size_t n, size_t k0, size_t kc, float* out) { src.row_f32(n, k0, kc, out); }
inline void column_f32(const MatrixSource& src, size_t n, size_t k0, size_t kc, float* out) {
  if (src.transposed) {
    std::memcpy(out, src.b + n * src.ld + k0, kc * sizeof(float));
  } else {
    for (size_t p = 0; p < kc; ++p) out[p] = src.b[(k0 + p) * src.ld + n];
  }
}

// f32 panel: dst[p*nr_full + j] = B(k0+p, n0+j), zero where j >= ncols. col is kc floats of scratch.
template <class Src>
void pack_b_f32(const Src& src, size_t n0, size_t ncols, size_t k0, size_t kc, size_t nr_full, float* dst, float* col) {
  for (size_t j = 0; j < nr_full; ++j) {
    if (j < ncols) {
      column_f32(src, n0 + j, k0, kc, col);
      for (size_t p = 0; p < kc; ++p) dst[p * nr_full + j] = col[p];
    } else {
      for (size_t p = 0; p < kc; ++p) dst[p * nr_full + j] = 0.0f;
    }
  }
}

// bf16-pair panel: dst[(p/2)*2*nr + 2j + (p&1)] = bf16(B(k0+p, n0+j)); odd kc padded with a zero step.
template <class Src>
void pack_b_bf16(const Src& src, size_t n0, size_t ncols, size_t k0, size_t kc, size_t nr_full, uint16_t* dst, float* col) {
  const size_t steps = (kc + 1) / 2;
  std::memset(dst, 0, steps * 2 * nr_full * sizeof(uint16_t));
  for (size_t j = 0; j < ncols; ++j) {
    column_f32(src, n0 + j, k0, kc, col);
    for (size_t p = 0; p < kc; ++p) dst[(p / 2) * 2 * nr_full + 2 * j + (p & 1)] = f32_to_bf16(col[p]);
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
