// Device memory for tensors on "cuda": a block from the CUDA library's caching allocator (api->malloc), given
// back with api->free when the last view of it goes (dispose() or the GC backstop). bytes() is a device pointer:
// host code only passes it to the library (ops, memcpy); it is never exposed to JavaScript as an ArrayBuffer.
#pragma once
#include <string>

#include "aiprod/cuda_loader.h"
#include "aiprod/storage.h"

namespace aiprod {

class DeviceStorage : public Buffer {
 public:
  // Throws CudaError (AIPROD_CUDA_ERR_OUT_OF_MEMORY when the device is full, after the allocator trimmed its
  // cache and retried). `what` names the tensor for the message, e.g. "the output f32[4,8]".
  // `stream`: the stream the memory is first used on (stream-ordered allocation); NULL, the default stream.
  DeviceStorage(const aiprod_cuda_api* api, size_t nbytes, const std::string& what, void* stream = nullptr);
  ~DeviceStorage() override;
  DeviceStorage(const DeviceStorage&) = delete;
  DeviceStorage& operator=(const DeviceStorage&) = delete;

  uint8_t* bytes() override { return static_cast<uint8_t*>(ptr_); }
  size_t nbytes() const override { return nbytes_; }
  bool on_device() const override { return true; }
  const aiprod_cuda_api* api() const { return api_; }

 private:
  const aiprod_cuda_api* api_;
  void* ptr_ = nullptr;
  size_t nbytes_ = 0;
};

// Throws CudaError(rc, "<call>: <library message>") when rc != 0.
void cuda_check(int rc, const aiprod_cuda_error& err, const std::string& call);

// The addon's copy stream (created on first use): weight uploads that should overlap the compute on the default
// stream go there; cuda_copy_fence() makes the default stream wait for every copy issued on it so far.
void* cuda_copy_stream(const aiprod_cuda_api* api);
void cuda_copy_fence(const aiprod_cuda_api* api);
// dst <- src host to device on the copy stream, asynchronous with respect to the default stream's work.
void cuda_copy_async(const aiprod_cuda_api* api, void* dst, const void* src, size_t nbytes, const std::string& what);

// dst <- src, nbytes; kind 0 host->device, 1 device->host, 2 device->device; synchronous (NULL stream with a
// pageable host side). Throws CudaError naming `what`.
void cuda_copy(const aiprod_cuda_api* api, void* dst, const void* src, size_t nbytes, int kind, const std::string& what);

}  // namespace aiprod
