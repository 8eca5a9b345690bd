// The device runtime on the CUDA runtime API. Memory comes from the device's stream-ordered pool
// (cudaMallocAsync) with its release threshold raised so freed blocks stay cached for the next allocation
// on the stream; trim() hands the cache back. Out of memory: trim, synchronize, retry once, then
// AIPROD_CUDA_ERR_OUT_OF_MEMORY with what is in use.
#include <cuda_runtime.h>

#include <cstdint>
#include <cstdio>
#include <cstring>

#include "allocations.h"
#include "runtime.h"

#ifndef AIPROD_CUDA_ARCHS
#define AIPROD_CUDA_ARCHS "unknown"
#endif

namespace aiprod_cuda {
namespace rt {

const int kRuntimeVersion = CUDART_VERSION;
const char* const kArchitectures = AIPROD_CUDA_ARCHS;

namespace {

Allocations g_allocs;

void check(cudaError_t status, const char* call) {
  if (status == cudaSuccess) return;
  cudaGetLastError();  // clear the sticky-free error state for the next call
  throw Error(int(status), std::string(call) + " failed: " + cudaGetErrorString(status) + " (" +
                               cudaGetErrorName(status) + ")");
}

int current_device() {
  int d = 0;
  check(cudaGetDevice(&d), "cudaGetDevice");
  return d;
}

cudaMemPool_t pool_of(int device) {
  cudaMemPool_t pool;
  check(cudaDeviceGetDefaultMemPool(&pool, device), "cudaDeviceGetDefaultMemPool");
  static bool configured[64] = {};
  if (device < 64 && !configured[device]) {
    uint64_t keep = UINT64_MAX;  // cache everything freed; trim() releases it
    check(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep), "cudaMemPoolSetAttribute");
    configured[device] = true;
  }
  return pool;
}

}  // namespace

int driver_version() {
  int v = 0;
  if (cudaDriverGetVersion(&v) != cudaSuccess) return 0;
  return v;
}

int device_count(std::string* why_none) {
  int n = 0;
  const cudaError_t status = cudaGetDeviceCount(&n);
  if (status == cudaErrorNoDevice || status == cudaErrorInsufficientDriver) {
    cudaGetLastError();
    if (why_none) *why_none = std::string(cudaGetErrorString(status)) + " (" + cudaGetErrorName(status) + ")";
    return 0;
  }
  check(status, "cudaGetDeviceCount");
  return n;
}

aiprod_cuda_device_info device_info(int device) {
  cudaDeviceProp prop;
  check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
  aiprod_cuda_device_info info;
  std::memset(&info, 0, sizeof info);
  std::snprintf(info.name, sizeof info.name, "%s", prop.name);
  info.total_memory = prop.totalGlobalMem;
  info.cc_major = prop.major;
  info.cc_minor = prop.minor;
  info.multiprocessors = prop.multiProcessorCount;
  const int before = current_device();
  check(cudaSetDevice(device), "cudaSetDevice");
  size_t free_mem = 0, total = 0;
  check(cudaMemGetInfo(&free_mem, &total), "cudaMemGetInfo");
  check(cudaSetDevice(before), "cudaSetDevice");
  info.free_memory = free_mem;
  return info;
}

void set_device(int device) { check(cudaSetDevice(device), "cudaSetDevice"); }

void* malloc(size_t nbytes, void* stream) {
  const size_t n = nbytes ? nbytes : 1;
  void* p = nullptr;
  cudaError_t status = cudaMallocAsync(&p, n, static_cast<cudaStream_t>(stream));
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    trim();
    cudaDeviceSynchronize();
    status = cudaMallocAsync(&p, n, static_cast<cudaStream_t>(stream));
  }
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    size_t free_mem = 0, total = 0;
    cudaMemGetInfo(&free_mem, &total);
    throw Error(AIPROD_CUDA_ERR_OUT_OF_MEMORY, "out of device memory allocating " + mib(n) + " (in use by aiprod " +
                                                   mib(g_allocs.in_use()) + ", device free " + mib(free_mem) +
                                                   " of " + mib(total) + ")");
  }
  check(status, "cudaMallocAsync");
  g_allocs.add(p, n);
  return p;
}

void free(void* ptr, void* stream) {
  if (!ptr) return;
  if (!g_allocs.remove(ptr)) invalid_argument("free of a pointer that is not a live device allocation");
  check(cudaFreeAsync(ptr, static_cast<cudaStream_t>(stream)), "cudaFreeAsync");
}

void memory_stats(size_t* in_use, size_t* cached, size_t* peak) {
  *in_use = g_allocs.in_use();
  *peak = g_allocs.peak();
  uint64_t reserved = 0;
  cudaMemPoolGetAttribute(pool_of(current_device()), cudaMemPoolAttrReservedMemCurrent, &reserved);
  *cached = reserved > *in_use ? size_t(reserved) - *in_use : 0;
}

void reset_peak() { g_allocs.reset_peak(); }

void trim() {
  check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
  check(cudaMemPoolTrimTo(pool_of(current_device()), 0), "cudaMemPoolTrimTo");
}

void* host_alloc_pinned(size_t nbytes) {
  void* p = nullptr;
  const cudaError_t status = cudaMallocHost(&p, nbytes ? nbytes : 1);
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    throw Error(AIPROD_CUDA_ERR_OUT_OF_MEMORY, "out of pinned host memory allocating " + mib(nbytes));
  }
  check(status, "cudaMallocHost");
  return p;
}

void host_free_pinned(void* ptr) { check(cudaFreeHost(ptr), "cudaFreeHost"); }

void memcpy(void* dst, const void* src, size_t nbytes, int kind, void* stream) {
  static const cudaMemcpyKind kinds[] = {cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost, cudaMemcpyDeviceToDevice};
  if (kind < 0 || kind > 2) invalid_argument("memcpy: kind must be 0 (host to device), 1 or 2");
  if (!nbytes) return;
  if (stream) {
    check(cudaMemcpyAsync(dst, src, nbytes, kinds[kind], static_cast<cudaStream_t>(stream)), "cudaMemcpyAsync");
  } else {
    check(cudaMemcpy(dst, src, nbytes, kinds[kind]), "cudaMemcpy");
  }
}

void memset(void* dst, int value, size_t nbytes, void* stream) {
  check(cudaMemsetAsync(dst, value, nbytes, static_cast<cudaStream_t>(stream)), "cudaMemsetAsync");
}

void* stream_create() {
  cudaStream_t s;
  check(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
  return s;
}
void stream_destroy(void* stream) { check(cudaStreamDestroy(static_cast<cudaStream_t>(stream)), "cudaStreamDestroy"); }
void stream_synchronize(void* stream) {
  check(cudaStreamSynchronize(static_cast<cudaStream_t>(stream)), "cudaStreamSynchronize");
}
void* event_create() {
  cudaEvent_t e;
  check(cudaEventCreate(&e), "cudaEventCreate");
  return e;
}
void event_destroy(void* event) { check(cudaEventDestroy(static_cast<cudaEvent_t>(event)), "cudaEventDestroy"); }
void event_record(void* event, void* stream) {
  check(cudaEventRecord(static_cast<cudaEvent_t>(event), static_cast<cudaStream_t>(stream)), "cudaEventRecord");
}
void event_synchronize(void* event) { check(cudaEventSynchronize(static_cast<cudaEvent_t>(event)), "cudaEventSynchronize"); }
void stream_wait_event(void* stream, void* event) {
  check(cudaStreamWaitEvent(static_cast<cudaStream_t>(stream), static_cast<cudaEvent_t>(event), 0), "cudaStreamWaitEvent");
}
float event_elapsed_ms(void* start, void* end) {
  float ms = 0;
  check(cudaEventElapsedTime(&ms, static_cast<cudaEvent_t>(start), static_cast<cudaEvent_t>(end)), "cudaEventElapsedTime");
  return ms;
}

}  // namespace rt
}  // namespace aiprod_cuda
