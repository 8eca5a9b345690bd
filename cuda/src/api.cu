// The CUDA library behind aiprod_cuda_api: device queries, memory, and the first elementwise kernels.
// Numerics follow native/include/aiprod/half.h: round to nearest even, canonical NaNs.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdio>
#include <cstring>

#include "aiprod_cuda/api.h"

#ifndef AIPROD_CUDA_ARCHS
#define AIPROD_CUDA_ARCHS "unknown"
#endif

namespace {

int fail(aiprod_cuda_error* err, cudaError_t code, const char* call) {
  if (err) {
    err->code = int(code);
    std::snprintf(err->message, sizeof(err->message), "%s failed: %s (%s, code %d)", call,
                  cudaGetErrorString(code), cudaGetErrorName(code), int(code));
  }
  return int(code);
}

#define AIPROD_CUDA_CHECK(call)                        \
  do {                                                 \
    cudaError_t status_ = (call);                      \
    if (status_ != cudaSuccess) return fail(err, status_, #call); \
  } while (0)

__device__ inline float load(const void* p, int dtype, size_t i) {
  if (dtype == AIPROD_CUDA_F32) return static_cast<const float*>(p)[i];
  const unsigned short bits = static_cast<const unsigned short*>(p)[i];
  if (dtype == AIPROD_CUDA_BF16) return __uint_as_float(unsigned(bits) << 16);
  return __half2float(__ushort_as_half(bits));
}

__device__ inline void store(void* p, int dtype, size_t i, float v) {
  if (dtype == AIPROD_CUDA_F32) {
    static_cast<float*>(p)[i] = v;
    return;
  }
  unsigned short bits;
  if (v != v) {
    bits = dtype == AIPROD_CUDA_BF16 ? 0x7fc0 : 0x7e00;  // canonical NaNs, as on the CPU
  } else if (dtype == AIPROD_CUDA_BF16) {
    bits = __bfloat16_as_ushort(__float2bfloat16_rn(v));
  } else {
    bits = __half_as_ushort(__float2half_rn(v));
  }
  static_cast<unsigned short*>(p)[i] = bits;
}

__global__ void binary_kernel(int op, int dtype, const void* a, const void* b, void* out, size_t n) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    const float x = load(a, dtype, i), y = load(b, dtype, i);
    store(out, dtype, i, op == AIPROD_CUDA_ADD ? x + y : x * y);
  }
}

__global__ void cast_kernel(int from, const void* in, int to, void* out, size_t n) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    store(out, to, i, load(in, from, i));
  }
}

unsigned grid_for(size_t n) {
  const size_t blocks = (n + 255) / 256;
  return unsigned(blocks < 65535 ? (blocks == 0 ? 1 : blocks) : 65535);
}

bool valid_dtype(int d) { return d == AIPROD_CUDA_F32 || d == AIPROD_CUDA_BF16 || d == AIPROD_CUDA_F16; }

int invalid(aiprod_cuda_error* err, const char* what) {
  return fail(err, cudaErrorInvalidValue, what);
}

int driver_version(int* version, aiprod_cuda_error* err) {
  *version = 0;
  AIPROD_CUDA_CHECK(cudaDriverGetVersion(version));
  return 0;
}

int device_count(int* count, aiprod_cuda_error* err) {
  *count = 0;
  const cudaError_t status = cudaGetDeviceCount(count);
  // No device and no driver both mean "nothing to run on", which callers report rather than treat as a failure.
  if (status == cudaErrorNoDevice || status == cudaErrorInsufficientDriver) {
    *count = 0;
    fail(err, status, "cudaGetDeviceCount");
    return 0;
  }
  if (status != cudaSuccess) return fail(err, status, "cudaGetDeviceCount");
  return 0;
}

int device_info(int device, aiprod_cuda_device_info* info, aiprod_cuda_error* err) {
  cudaDeviceProp prop;
  AIPROD_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  std::memset(info, 0, sizeof(*info));
  std::snprintf(info->name, sizeof(info->name), "%s", prop.name);
  info->total_memory = prop.totalGlobalMem;
  info->cc_major = prop.major;
  info->cc_minor = prop.minor;
  info->multiprocessors = prop.multiProcessorCount;
  AIPROD_CUDA_CHECK(cudaSetDevice(device));
  size_t free_mem = 0, total = 0;
  AIPROD_CUDA_CHECK(cudaMemGetInfo(&free_mem, &total));
  info->free_memory = free_mem;
  return 0;
}

int device_malloc(int device, size_t nbytes, void** ptr, aiprod_cuda_error* err) {
  *ptr = nullptr;
  AIPROD_CUDA_CHECK(cudaSetDevice(device));
  AIPROD_CUDA_CHECK(cudaMalloc(ptr, nbytes == 0 ? 1 : nbytes));
  return 0;
}

int device_free(void* ptr, aiprod_cuda_error* err) {
  AIPROD_CUDA_CHECK(cudaFree(ptr));
  return 0;
}

int copy_to_device(void* dst, const void* src, size_t nbytes, aiprod_cuda_error* err) {
  AIPROD_CUDA_CHECK(cudaMemcpy(dst, src, nbytes, cudaMemcpyHostToDevice));
  return 0;
}

int copy_to_host(void* dst, const void* src, size_t nbytes, aiprod_cuda_error* err) {
  AIPROD_CUDA_CHECK(cudaMemcpy(dst, src, nbytes, cudaMemcpyDeviceToHost));
  return 0;
}

int binary(int op, int dtype, const void* a, const void* b, void* out, size_t n, aiprod_cuda_error* err) {
  if (!valid_dtype(dtype) || (op != AIPROD_CUDA_ADD && op != AIPROD_CUDA_MUL)) return invalid(err, "binary: bad op or dtype");
  if (n == 0) return 0;
  binary_kernel<<<grid_for(n), 256>>>(op, dtype, a, b, out, n);
  AIPROD_CUDA_CHECK(cudaGetLastError());
  AIPROD_CUDA_CHECK(cudaDeviceSynchronize());
  return 0;
}

int cast(int from, const void* in, int to, void* out, size_t n, aiprod_cuda_error* err) {
  if (!valid_dtype(from) || !valid_dtype(to)) return invalid(err, "cast: bad dtype");
  if (n == 0) return 0;
  cast_kernel<<<grid_for(n), 256>>>(from, in, to, out, n);
  AIPROD_CUDA_CHECK(cudaGetLastError());
  AIPROD_CUDA_CHECK(cudaDeviceSynchronize());
  return 0;
}

const aiprod_cuda_api kApi = {
    AIPROD_CUDA_API_VERSION, CUDART_VERSION, AIPROD_CUDA_ARCHS, driver_version, device_count, device_info,
    device_malloc, device_free, copy_to_device, copy_to_host, binary, cast,
};

}  // namespace

extern "C" __attribute__((visibility("default"))) const aiprod_cuda_api* aiprod_cuda_get_api(int version) {
  return version == AIPROD_CUDA_API_VERSION ? &kApi : nullptr;
}
