// f32 views of f32/bf16 buffers for the pointwise drivers: f32 data is used in place, bf16 is widened into a
// caller-owned scratch row (and results narrowed once on the way out) with the active path's converters.
#pragma once
#include <cstdint>
#include <vector>

#include "aiprod/half.h"
#include "aiprod/kernels.h"
#include "aiprod/pointwise.h"

namespace aiprod {
namespace staging {

// Elements [off, off+n) of b as f32: a pointer into b for f32, else converted into buf (n floats).
inline const float* read(FloatIn b, size_t off, size_t n, float* buf) {
  if (b.dtype == DType::F32) return static_cast<const float*>(b.data) + off;
  kernels().bf16_to_f32(static_cast<const uint16_t*>(b.data) + off, buf, n);
  return buf;
}

// Where a kernel should write elements [off, off+n) of o: in place for f32, else buf (then commit()).
inline float* target(FloatOut o, size_t off, float* buf) {
  return o.dtype == DType::F32 ? static_cast<float*>(o.data) + off : buf;
}

inline void commit(FloatOut o, size_t off, const float* src, size_t n) {
  if (o.dtype != DType::F32) kernels().f32_to_bf16(src, static_cast<uint16_t*>(o.data) + off, n);
}

inline void store_scalar(FloatOut o, size_t i, float v) {
  if (o.dtype == DType::F32) static_cast<float*>(o.data)[i] = v;
  else static_cast<uint16_t*>(o.data)[i] = f32_to_bf16(v);
}

// A whole small parameter (norm weights, biases) as f32, converted once.
inline std::vector<float> whole(FloatIn b, size_t n) {
  std::vector<float> v(n);
  const float* p = read(b, 0, n, v.data());
  if (p != v.data()) v.assign(p, p + n);
  return v;
}

// Rows of d elements per thread-pool chunk: at least ~32K elements of work per chunk.
inline size_t row_grain(size_t d) { return d >= 32768 ? 1 : 32768 / (d ? d : 1); }

}  // namespace staging
}  // namespace aiprod
