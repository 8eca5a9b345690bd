// Memory that tensors view. A Buffer is shared (std::shared_ptr) by every tensor that views it: a reshape or a
// contiguous slice is a new tensor over the same bytes, and the memory goes back when the last view is gone.
// Three kinds: HostStorage (owned, 64-byte aligned), MappedFile (a checkpoint file mapped copy-on-write, so
// weights stay in the page cache and in their stored dtype; writing to a mapped tensor never touches the file)
// and DeviceStorage (CUDA device memory from the CUDA library's allocator, device_storage.h).
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace aiprod {

class Buffer {
 public:
  virtual ~Buffer() = default;
  virtual uint8_t* bytes() = 0;
  virtual size_t nbytes() const = 0;
  // True for device memory (DeviceStorage): bytes() is then a device pointer, never dereferenced on the host.
  virtual bool on_device() const { return false; }
  // Bumped by every write through any view, so caches of derived data (packed weights) see the change.
  std::atomic<uint64_t> version{0};
};

class HostStorage : public Buffer {
 public:
  // Throws std::bad_alloc when the memory is not there. Large buffers come from (and go back to) the pool of
  // released mappings (map_pool.h) unless `pooled` is false: workspaces that are released on purpose to give
  // memory back to the OS (Scratch::trim).
  HostStorage(size_t nbytes, bool zero, bool pooled = true);
  ~HostStorage() override;
  HostStorage(const HostStorage&) = delete;
  HostStorage& operator=(const HostStorage&) = delete;

  uint8_t* bytes() override { return static_cast<uint8_t*>(data_); }
  size_t nbytes() const override { return nbytes_; }
  void* data() { return data_; }
  const void* data() const { return data_; }

 private:
  void* data_ = nullptr;
  size_t nbytes_ = 0;
  size_t span_ = 0;  // mapped length for large buffers (map_pool.h); 0: from aligned_alloc
  bool pooled_ = true;
};

class MappedFile : public Buffer {
 public:
  // Maps the whole file; throws std::runtime_error naming the path and the system error.
  explicit MappedFile(const std::string& path);
  ~MappedFile() override;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  uint8_t* bytes() override { return data_; }
  size_t nbytes() const override { return nbytes_; }

 private:
  uint8_t* data_ = nullptr;
  size_t nbytes_ = 0;
};

constexpr size_t kTensorAlignment = 64;

}  // namespace aiprod
