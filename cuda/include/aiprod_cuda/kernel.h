/* What every CUDA kernel source includes first. The same .cu file compiles two ways:
 *  - with nvcc for the GPU (sm_80, sm_90a): the CUDA runtime and inline PTX;
 *  - with a plain C++ compiler for the host emulation (aiprod_cuda/emu/emu.h), which CI runs.
 * Kernels use only what this header, ptx.h and numerics.h provide, so they never branch on where they run. */
#ifndef AIPROD_CUDA_KERNEL_H
#define AIPROD_CUDA_KERNEL_H

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#if defined(__CUDACC__)
#include <cuda_runtime.h>
#else
#include "aiprod_cuda/emu/emu.h"
#endif

// Device helpers: inlined on the GPU, plain inline functions under emulation.
#define AIPROD_DI __device__ __forceinline__
#define AIPROD_HD __host__ __device__ __forceinline__

// `T* name` pointing at the block's dynamic shared memory (16-byte aligned; poisoned under emulation).
#if defined(__CUDACC__)
#define AIPROD_DYNAMIC_SMEM(T, name)                          \
  extern __shared__ __align__(16) unsigned char aiprod_smem_[]; \
  T* name = reinterpret_cast<T*>(aiprod_smem_)
#else
#define AIPROD_DYNAMIC_SMEM(T, name) T* name = static_cast<T*>(::aiprod_emu::dynamic_shared_memory())
#endif

#include "aiprod_cuda/error.h"

namespace aiprod_cuda {

#if defined(__CUDACC__)
using Stream = cudaStream_t;
#else
using Stream = void*;
#endif

// Launches `kernel` over grid x block with `smem` bytes of dynamic shared memory on `stream`.
template <class... P, class... A>
inline void launch(const char* name, void (*kernel)(P...), dim3 grid, dim3 block, size_t smem, Stream stream,
                   A... args) {
#if defined(__CUDACC__)
  if (smem > 48 * 1024) {
    cudaError_t e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem));
    if (e != cudaSuccess) {
      throw Error(int(e), std::string("cudaFuncSetAttribute(") + name + ", " + std::to_string(smem) +
                              " bytes of shared memory): " + cudaGetErrorString(e));
    }
  }
  kernel<<<grid, block, smem, stream>>>(P(args)...);
  cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) throw Error(int(e), std::string("launch of ") + name + ": " + cudaGetErrorString(e));
#else
  (void)stream;
  try {
    aiprod_emu::launch_fn(name, grid, block, smem, [&] { kernel(P(args)...); });
  } catch (const std::runtime_error& e) {
    throw Error(719 /* cudaErrorLaunchFailure */, e.what());
  }
#endif
}

AIPROD_HD unsigned ceil_div(size_t a, size_t b) { return unsigned((a + b - 1) / b); }

}  // namespace aiprod_cuda

#endif
