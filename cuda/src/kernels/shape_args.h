// Validation shared by the launchers of strided ops (copy, binary): up to 8 dims, non-negative sizes, known
// dtypes. Plain C++.
#ifndef AIPROD_CUDA_SHAPE_ARGS_H
#define AIPROD_CUDA_SHAPE_ARGS_H

#include <cstdint>
#include <string>

#include "aiprod_cuda/api.h"
#include "aiprod_cuda/error.h"

namespace aiprod_cuda {

inline const char* dtype_name(int d) {
  switch (d) {
    case AIPROD_CUDA_F32: return "f32";
    case AIPROD_CUDA_BF16: return "bf16";
    case AIPROD_CUDA_F16: return "f16";
    case AIPROD_CUDA_F8E4M3: return "f8e4m3";
  }
  return "unknown dtype";
}
inline bool valid_dtype(int d) { return d >= AIPROD_CUDA_F32 && d <= AIPROD_CUDA_F8E4M3; }
inline size_t dtype_size(int d) { return d == AIPROD_CUDA_F32 ? 4 : (d == AIPROD_CUDA_F8E4M3 ? 1 : 2); }

inline std::string shape_string(int ndim, const int64_t* shape) {
  std::string s = "[";
  for (int i = 0; i < ndim; ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

// Number of elements, after checking ndim in 0..8 and every size >= 0.
inline int64_t checked_numel(const char* op, int ndim, const int64_t* shape) {
  if (ndim < 0 || ndim > 8) invalid_argument(std::string(op) + ": " + std::to_string(ndim) + " dims (0-8 supported)");
  int64_t n = 1;
  for (int i = 0; i < ndim; ++i) {
    if (shape[i] < 0) invalid_argument(std::string(op) + ": negative size in shape " + shape_string(ndim, shape));
    n *= shape[i];
  }
  return n;
}

}  // namespace aiprod_cuda

#endif
