// Growable, 64-byte aligned scratch buffers that live as long as their owner (typically thread_local): kernels
// reuse them across calls instead of mapping fresh memory, which costs page faults on every call. Buffers above
// kScratchKeepBytes are given back after the call (trim), so one huge op does not pin its workspace forever.
#pragma once
#include <cstddef>
#include <memory>

#include "aiprod/storage.h"

namespace aiprod {

class Scratch {
 public:
  // At least `count` elements of T, 64-byte aligned; contents are unspecified. Invalidates earlier pointers.
  // Frees the buffer if it is larger than keep_bytes.
  void trim(size_t keep_bytes = kScratchKeepBytes) {
    if (buf_ && buf_->nbytes() > keep_bytes) buf_.reset();
  }

  static constexpr size_t kScratchKeepBytes = size_t(64) << 20;

  template <typename T>
  T* get(size_t count) {
    const size_t bytes = count * sizeof(T);
    if (!buf_ || buf_->nbytes() < bytes) {
      buf_.reset();
      buf_ = std::make_unique<HostStorage>(bytes, false, /*pooled=*/false);  // trim() gives it back to the OS
    }
    return static_cast<T*>(buf_->data());
  }

 private:
  std::unique_ptr<HostStorage> buf_;
};

}  // namespace aiprod
