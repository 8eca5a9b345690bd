// Device helpers shared by the pointwise kernels (norm, modulate, unary, binary, rope): warp and block
// reductions, 4-wide vector loads/stores of f32 or bf16 data, and host-side checks used by their launchers.
// Arithmetic that the CPU reference rounds step by step uses __fmul_rn/__fadd_rn/__fsub_rn, so nvcc cannot
// contract it into an FMA and the GPU rounds exactly like native/kernels/ref.
#ifndef AIPROD_CUDA_POINTWISE_DEVICE_H
#define AIPROD_CUDA_POINTWISE_DEVICE_H

#include <cstdint>
#include <string>

#include "aiprod_cuda/kernel.h"
#include "aiprod_cuda/numerics.h"
#include "shape_args.h"

namespace aiprod_cuda {
namespace pw {

AIPROD_DI float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

AIPROD_DI float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// Sum (or max) over the whole block (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
// `red` is 32 floats of shared memory; the leading barrier lets the caller reuse it back to back.
template <bool kMax>
AIPROD_DI float block_reduce(float v, float* red) {
  v = kMax ? warp_max(v) : warp_sum(v);
  const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5;
  __syncthreads();
  if (lane == 0) red[warp] = v;
  __syncthreads();
  const float part = lane < (blockDim.x >> 5) ? red[lane] : (kMax ? -INFINITY : 0.0f);
  return kMax ? warp_max(part) : warp_sum(part);
}

AIPROD_DI float block_sum(float v, float* red) { return block_reduce<false>(v, red); }
AIPROD_DI float block_max(float v, float* red) { return block_reduce<true>(v, red); }

// f32 or bf16 element access (dtype 0 or 1; the launchers validated it).
AIPROD_DI float ld(const void* p, int dtype, size_t i) {
  return dtype == 0 ? static_cast<const float*>(p)[i] : bf16_to_f32(static_cast<const uint16_t*>(p)[i]);
}
AIPROD_DI void st(void* p, int dtype, size_t i, float v) {
  if (dtype == 0) {
    static_cast<float*>(p)[i] = v;
  } else {
    static_cast<uint16_t*>(p)[i] = f32_to_bf16(v);
  }
}

// Four consecutive elements from index i (a multiple of 4): one 16-byte (f32) or 8-byte (bf16) access; the
// launcher checked the alignment (vec_ok).
AIPROD_DI void ld4(const void* p, int dtype, size_t i, float* v) {
  if (dtype == 0) {
    const float4 q = *reinterpret_cast<const float4*>(static_cast<const float*>(p) + i);
    v[0] = q.x, v[1] = q.y, v[2] = q.z, v[3] = q.w;
  } else {
    const uint2 q = *reinterpret_cast<const uint2*>(static_cast<const uint16_t*>(p) + i);
    v[0] = __uint_as_float(q.x << 16), v[1] = __uint_as_float(q.x & 0xffff0000u);
    v[2] = __uint_as_float(q.y << 16), v[3] = __uint_as_float(q.y & 0xffff0000u);
  }
}
AIPROD_DI void st4(void* p, int dtype, size_t i, const float* v) {
  if (dtype == 0) {
    float4 q;
    q.x = v[0], q.y = v[1], q.z = v[2], q.w = v[3];
    *reinterpret_cast<float4*>(static_cast<float*>(p) + i) = q;
  } else {
    uint2 q;
    q.x = pack_bf16x2(v[0], v[1]), q.y = pack_bf16x2(v[2], v[3]);
    *reinterpret_cast<uint2*>(static_cast<uint16_t*>(p) + i) = q;
  }
}

// ---- host side ----------------------------------------------------------------------------------------------

inline bool f32_or_bf16(int dtype) { return dtype == AIPROD_CUDA_F32 || dtype == AIPROD_CUDA_BF16; }

// Whether p can take ld4/st4 at every multiple of 4 elements.
inline bool vec_ok(const void* p, int dtype) {
  return !p || reinterpret_cast<uintptr_t>(p) % (dtype == AIPROD_CUDA_F32 ? 16u : 8u) == 0;
}

inline void need_float_dtype(const char* op, const char* arg, int dtype) {
  if (!f32_or_bf16(dtype)) {
    invalid_argument(std::string(op) + ": " + arg + " dtype " + dtype_name(dtype) + " (code " + std::to_string(dtype) +
                     ") is not supported; use f32 or bf16");
  }
}

inline void need_ptr(const char* op, const char* arg, const void* p, const std::string& shape) {
  if (!p) invalid_argument(std::string(op) + ": " + arg + " is null for " + shape);
}

// Grid for a grid-stride loop over n items.
inline unsigned stride_blocks(size_t n, unsigned threads) {
  const size_t b = (n + threads - 1) / threads;
  return unsigned(b < 8192 ? (b ? b : 1) : 8192);
}

}  // namespace pw
}  // namespace aiprod_cuda

#endif
