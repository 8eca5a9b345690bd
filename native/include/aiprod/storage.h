// Host memory for tensors: 64-byte aligned (one cache line, one AVX-512 register) so every kernel may use
// aligned loads at the start of a tensor.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

namespace aiprod {

class HostStorage {
 public:
  // Throws std::bad_alloc when the memory is not there.
  HostStorage(size_t nbytes, bool zero);
  ~HostStorage();
  HostStorage(const HostStorage&) = delete;
  HostStorage& operator=(const HostStorage&) = delete;

  void* data() { return data_; }
  const void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }

 private:
  void* data_ = nullptr;
  size_t nbytes_ = 0;
  bool mapped_ = false;  // from mmap (large buffers), else from aligned_alloc
};

constexpr size_t kTensorAlignment = 64;

}  // namespace aiprod
