#include "aiprod/device_storage.h"

namespace aiprod {

void cuda_check(int rc, const aiprod_cuda_error& err, const std::string& call) {
  if (rc == 0) return;
  throw CudaError(rc, err.message[0] ? std::string(err.message) : call + " failed with CUDA error " + std::to_string(rc));
}

DeviceStorage::DeviceStorage(const aiprod_cuda_api* api, size_t nbytes, const std::string& what)
    : api_(api), nbytes_(nbytes) {
  if (nbytes == 0) return;  // nothing to allocate; bytes() is null and never dereferenced
  aiprod_cuda_error err{};
  const int rc = api_->malloc(nbytes, nullptr, &ptr_, &err);
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
