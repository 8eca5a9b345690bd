// Book-keeping shared by both runtimes: the size of every live allocation, bytes in use, the peak, and a
// message for out-of-memory errors.
#ifndef AIPROD_CUDA_ALLOCATIONS_H
#define AIPROD_CUDA_ALLOCATIONS_H

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace aiprod_cuda {
namespace rt {

class Allocations {
 public:
  void add(void* p, size_t n) {
    std::lock_guard<std::mutex> lock(mu_);
    sizes_[p] = n;
    in_use_ += n;
    if (in_use_ > peak_) peak_ = in_use_;
  }
  // Returns the size of p, or 0 if p was not allocated here.
  size_t remove(void* p) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sizes_.find(p);
    if (it == sizes_.end()) return 0;
    const size_t n = it->second;
    in_use_ -= n;
    sizes_.erase(it);
    return n;
  }
  bool contains(const void* p) {
    std::lock_guard<std::mutex> lock(mu_);
    return sizes_.count(const_cast<void*>(p)) != 0;
  }
  size_t in_use() {
    std::lock_guard<std::mutex> lock(mu_);
    return in_use_;
  }
  size_t peak() {
    std::lock_guard<std::mutex> lock(mu_);
    return peak_;
  }
  void reset_peak() {
    std::lock_guard<std::mutex> lock(mu_);
    peak_ = in_use_;
  }

 private:
  std::mutex mu_;
  std::unordered_map<void*, size_t> sizes_;
  size_t in_use_ = 0, peak_ = 0;
};

inline std::string mib(size_t bytes) { return std::to_string((bytes + (1u << 19)) >> 20) + " MiB"; }

}  // namespace rt
}  // namespace aiprod_cuda

#endif
