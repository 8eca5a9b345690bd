#include "aiprod/storage.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace aiprod {

HostStorage::HostStorage(size_t nbytes, bool zero) : nbytes_(nbytes) {
  // aligned_alloc wants a size that is a multiple of the alignment; round up (and never ask for 0 bytes).
  size_t rounded = (nbytes + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
  if (rounded == 0) rounded = kTensorAlignment;
  data_ = std::aligned_alloc(kTensorAlignment, rounded);
  if (!data_) throw std::bad_alloc();
  if (zero) std::memset(data_, 0, rounded);
}

HostStorage::~HostStorage() { std::free(data_); }

}  // namespace aiprod
