// The device runtime of the host emulation: "device" memory is 256-byte aligned host memory under a budget
// (AIPROD_EMU_DEVICE_MEMORY_MB, default 8192) so that out-of-memory paths run in CI; streams run their work
// at once (every op completes before its call returns), events record host time.
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "../runtime/allocations.h"
#include "../runtime/runtime.h"

namespace aiprod_cuda {
namespace rt {

const int kRuntimeVersion = 0;
const char* const kArchitectures = "host-emulation";

namespace {
Allocations g_allocs;
size_t budget() {
  static const size_t b = [] {
    const char* e = std::getenv("AIPROD_EMU_DEVICE_MEMORY_MB");
    const long mb = e ? std::atol(e) : 8192;
    return size_t(mb > 0 ? mb : 8192) << 20;
  }();
  return b;
}
struct Event {
  std::chrono::steady_clock::time_point t;
  bool recorded = false;
};
int g_device = 0;
}  // namespace

int driver_version() { return 0; }
int device_count(std::string*) { return 1; }

aiprod_cuda_device_info device_info(int device) {
  if (device != 0) invalid_argument("device " + std::to_string(device) + " does not exist (the emulation has device 0)");
  aiprod_cuda_device_info info;
  std::memset(&info, 0, sizeof info);
  std::snprintf(info.name, sizeof info.name, "CUDA emulation on the host CPU");
  info.total_memory = budget();
  info.free_memory = budget() - g_allocs.in_use();
  info.cc_major = 8;
  info.cc_minor = 0;
  info.multiprocessors = 1;
  info.emulated = 1;
  return info;
}

void set_device(int device) {
  if (device != 0) invalid_argument("device " + std::to_string(device) + " does not exist (the emulation has device 0)");
  g_device = device;
}

void* malloc(size_t nbytes, void*) {
  const size_t n = (nbytes + 255) / 256 * 256;
  if (g_allocs.in_use() + n > budget()) {
    throw Error(AIPROD_CUDA_ERR_OUT_OF_MEMORY, "out of device memory allocating " + mib(n) + " (in use " +
                                                   mib(g_allocs.in_use()) + " of " + mib(budget()) + ")");
  }
  void* p = std::aligned_alloc(256, n ? n : 256);
  if (!p) throw Error(AIPROD_CUDA_ERR_OUT_OF_MEMORY, "out of host memory emulating a device allocation of " + mib(n));
  g_allocs.add(p, n);
  return p;
}

void free(void* ptr, void*) {
  if (!ptr) return;
  if (!g_allocs.remove(ptr)) invalid_argument("free of a pointer that is not a live device allocation");
  std::free(ptr);
}

void memory_stats(size_t* in_use, size_t* cached, size_t* peak) {
  *in_use = g_allocs.in_use();
  *cached = 0;
  *peak = g_allocs.peak();
}
void reset_peak() { g_allocs.reset_peak(); }
void trim() {}
void* host_alloc_pinned(size_t nbytes) {
  void* p = std::aligned_alloc(256, (nbytes + 255) / 256 * 256 + 256);
  if (!p) throw Error(AIPROD_CUDA_ERR_OUT_OF_MEMORY, "out of host memory for a pinned buffer of " + mib(nbytes));
  return p;
}
void host_free_pinned(void* ptr) { std::free(ptr); }
void memcpy(void* dst, const void* src, size_t nbytes, int kind, void*) {
  if (kind < 0 || kind > 2) invalid_argument("memcpy: kind must be 0 (host to device), 1 or 2");
  if (nbytes) std::memmove(dst, src, nbytes);
}
void memset(void* dst, int value, size_t nbytes, void*) { std::memset(dst, value, nbytes); }

void* stream_create() { return new int(0); }
void stream_destroy(void* stream) { delete static_cast<int*>(stream); }
void stream_synchronize(void*) {}
void* event_create() { return new Event(); }
void event_destroy(void* event) { delete static_cast<Event*>(event); }
void event_record(void* event, void*) {
  auto* e = static_cast<Event*>(event);
  e->t = std::chrono::steady_clock::now();
  e->recorded = true;
}
void event_synchronize(void*) {}
void stream_wait_event(void*, void*) {}
float event_elapsed_ms(void* start, void* end) {
  auto* a = static_cast<Event*>(start);
  auto* b = static_cast<Event*>(end);
  if (!a->recorded || !b->recorded) invalid_argument("event_elapsed_ms: an event was never recorded");
  return std::chrono::duration<float, std::milli>(b->t - a->t).count();
}

}  // namespace rt
}  // namespace aiprod_cuda
