// Device runtime behind the C API: memory (a caching allocator on stream-ordered pools), copies, streams and
// events. Two implementations with one interface: runtime_cuda.cu (the CUDA runtime) and
// cuda/src/emu/runtime_emu.cc (host memory, for the emulation). Errors are aiprod_cuda::Error naming the call;
// out of memory is AIPROD_CUDA_ERR_OUT_OF_MEMORY after the cache was trimmed and the allocation retried.
#ifndef AIPROD_CUDA_RUNTIME_H
#define AIPROD_CUDA_RUNTIME_H

#include <cstddef>
#include <string>

#include "aiprod_cuda/api.h"
#include "aiprod_cuda/error.h"

namespace aiprod_cuda {
namespace rt {

extern const int kRuntimeVersion;
extern const char* const kArchitectures;

int driver_version();
int device_count(std::string* why_none);  // 0 with no device or driver (why_none says which)
aiprod_cuda_device_info device_info(int device);
void set_device(int device);

void* malloc(size_t nbytes, void* stream);
void free(void* ptr, void* stream);
void memory_stats(size_t* in_use, size_t* cached, size_t* peak);
void reset_peak();
void trim();
void* host_alloc_pinned(size_t nbytes);
void host_free_pinned(void* ptr);
void memcpy(void* dst, const void* src, size_t nbytes, int kind, void* stream);
void memset(void* dst, int value, size_t nbytes, void* stream);

void* stream_create();
void stream_destroy(void* stream);
void stream_synchronize(void* stream);
void* event_create();
void event_destroy(void* event);
void event_record(void* event, void* stream);
void event_synchronize(void* event);
void stream_wait_event(void* stream, void* event);
float event_elapsed_ms(void* start, void* end);

}  // namespace rt
}  // namespace aiprod_cuda

#endif
