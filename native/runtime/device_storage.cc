#include "aiprod/device_storage.h"

#include <mutex>

namespace aiprod {

void cuda_check(int rc, const aiprod_cuda_error& err, const std::string& call) {
  if (rc == 0) return;
  throw CudaError(rc, err.message[0] ? std::string(err.message) : call + " failed with CUDA error " + std::to_string(rc));
}

DeviceStorage::DeviceStorage(const aiprod_cuda_api* api, size_t nbytes, const std::string& what, void* stream)
    : api_(api), nbytes_(nbytes) {
  if (nbytes == 0) return;  // nothing to allocate; bytes() is null and never dereferenced
  aiprod_cuda_error err{};
  const int rc = api_->malloc(nbytes, stream, &ptr_, &err);
  if (rc != 0) {
    ptr_ = nullptr;
    throw CudaError(rc, "device allocation of " + std::to_string(nbytes) + " bytes for " + what + " failed: " +
                            (err.message[0] ? err.message : "CUDA error " + std::to_string(rc)));
  }
}

DeviceStorage::~DeviceStorage() {
  if (!ptr_) return;
  aiprod_cuda_error err{};
  api_->free(ptr_, nullptr, &err);  // a destructor cannot report; free only fails on a corrupted pointer
}

namespace {
std::mutex g_copy_mutex;
void* g_copy_stream = nullptr;  // one per process, never destroyed (the library outlives every tensor)
void* g_copy_event = nullptr;
}  // namespace

void* cuda_copy_stream(const aiprod_cuda_api* api) {
  std::lock_guard<std::mutex> lock(g_copy_mutex);
  if (!g_copy_stream) {
    aiprod_cuda_error err{};
    cuda_check(api->stream_create(&g_copy_stream, &err), err, "stream_create (copy stream)");
    err = aiprod_cuda_error{};
    cuda_check(api->event_create(&g_copy_event, &err), err, "event_create (copy stream)");
  }
  return g_copy_stream;
}

void cuda_copy_fence(const aiprod_cuda_api* api) {
  void* stream = cuda_copy_stream(api);
  std::lock_guard<std::mutex> lock(g_copy_mutex);
  aiprod_cuda_error err{};
  cuda_check(api->event_record(g_copy_event, stream, &err), err, "event_record (copy fence)");
  err = aiprod_cuda_error{};
  // The default stream (NULL) waits on the GPU for the copies; the host does not wait.
  cuda_check(api->stream_wait_event(nullptr, g_copy_event, &err), err, "stream_wait_event (copy fence)");
}

void cuda_copy_async(const aiprod_cuda_api* api, void* dst, const void* src, size_t nbytes, const std::string& what) {
  if (nbytes == 0) return;
  void* stream = cuda_copy_stream(api);
  aiprod_cuda_error err{};
  const int rc = api->memcpy(dst, src, nbytes, 0, stream, &err);
  if (rc != 0) {
    throw CudaError(rc, "async memcpy host to device of " + what + " failed: " +
                            (err.message[0] ? err.message : "CUDA error " + std::to_string(rc)));
  }
}

void cuda_copy(const aiprod_cuda_api* api, void* dst, const void* src, size_t nbytes, int kind, const std::string& what) {
  if (nbytes == 0) return;
  aiprod_cuda_error err{};
  const int rc = api->memcpy(dst, src, nbytes, kind, nullptr, &err);
  if (rc != 0) {
    static const char* kinds[] = {"host to device", "device to host", "device to device"};
    throw CudaError(rc, "memcpy " + std::string(kinds[kind]) + " of " + what + " failed: " +
                            (err.message[0] ? err.message : "CUDA error " + std::to_string(rc)));
  }
}

}  // namespace aiprod
