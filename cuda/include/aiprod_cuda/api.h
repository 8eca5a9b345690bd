/* The CUDA library's whole surface: one versioned table of C function pointers, fetched with dlsym after
 * dlopen. The CPU addon never links against CUDA, so it loads on machines without a driver or toolkit.
 * Every call returns 0 on success, otherwise the CUDA error code, with a message naming the failed CUDA call
 * written into err. */
#ifndef AIPROD_CUDA_API_H
#define AIPROD_CUDA_API_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AIPROD_CUDA_API_VERSION 1

typedef struct aiprod_cuda_error {
  int code;
  char message[256];
} aiprod_cuda_error;

typedef struct aiprod_cuda_device_info {
  char name[256];
  size_t total_memory;
  size_t free_memory;
  int cc_major;
  int cc_minor;
  int multiprocessors;
} aiprod_cuda_device_info;

/* Same numbering as aiprod::DType and aiprod::BinaryOp in native/include/aiprod. */
enum { AIPROD_CUDA_F32 = 0, AIPROD_CUDA_BF16 = 1, AIPROD_CUDA_F16 = 2 };
enum { AIPROD_CUDA_ADD = 0, AIPROD_CUDA_MUL = 1 };

typedef struct aiprod_cuda_api {
  int api_version;
  /* CUDA runtime version the library was built with, e.g. 13000. */
  int runtime_version;
  /* Architectures compiled in, e.g. "80;90a". */
  const char* architectures;
  /* Driver version (0 with no driver) and device count (0 with no device: not an error). */
  int (*driver_version)(int* version, aiprod_cuda_error* err);
  int (*device_count)(int* count, aiprod_cuda_error* err);
  int (*device_info)(int device, aiprod_cuda_device_info* info, aiprod_cuda_error* err);
  int (*malloc)(int device, size_t nbytes, void** ptr, aiprod_cuda_error* err);
  int (*free)(void* ptr, aiprod_cuda_error* err);
  int (*copy_to_device)(void* dst, const void* src, size_t nbytes, aiprod_cuda_error* err);
  int (*copy_to_host)(void* dst, const void* src, size_t nbytes, aiprod_cuda_error* err);
  /* out = a op b, n elements of dtype, all device pointers; synchronous. */
  int (*binary)(int op, int dtype, const void* a, const void* b, void* out, size_t n, aiprod_cuda_error* err);
  /* out = cast(in), device pointers, dtypes among F32/BF16/F16; synchronous. */
  int (*cast)(int from, const void* in, int to, void* out, size_t n, aiprod_cuda_error* err);
} aiprod_cuda_api;

/* NULL when the library does not offer this version. */
const aiprod_cuda_api* aiprod_cuda_get_api(int version);

#ifdef __cplusplus
}
#endif

#endif
