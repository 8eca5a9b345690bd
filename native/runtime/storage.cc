#include "aiprod/storage.h"

#include "aiprod/map_pool.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

#if !defined(_WIN32)
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace aiprod {

// Large buffers are anonymous mappings (map_pool.h): released ones are kept for reuse up to a cap, beyond that
// they go back to the OS at once (glibc's memalign keeps freed large aligned chunks in fragmented heap space, so
// a loop of big allocations grew the process by 800 MiB). Fresh mappings are already zero.
constexpr size_t kMmapThreshold = 256 * 1024;

HostStorage::HostStorage(size_t nbytes, bool zero, bool pooled) : nbytes_(nbytes), pooled_(pooled) {
#if !defined(_WIN32)
  if (nbytes >= kMmapThreshold) {
    bool fresh = false;
    const Mapping m = pooled ? map_acquire(nbytes, &fresh) : map_fresh(nbytes, &fresh);
    if (zero && !fresh) std::memset(m.data, 0, nbytes);
    data_ = m.data;
    span_ = m.span;
    return;
  }
#endif
  // aligned_alloc wants a size that is a multiple of the alignment; round up (and never ask for 0 bytes).
  size_t rounded = (nbytes + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
  if (rounded == 0) rounded = kTensorAlignment;
  data_ = std::aligned_alloc(kTensorAlignment, rounded);
  if (!data_) throw std::bad_alloc();
  if (zero) std::memset(data_, 0, rounded);
}

HostStorage::~HostStorage() {
#if !defined(_WIN32)
  if (span_) {
    if (pooled_) {
      map_release(Mapping{data_, span_});
    } else {
      map_unmap(Mapping{data_, span_});
    }
    return;
  }
#endif
  std::free(data_);
}

#if !defined(_WIN32)
MappedFile::MappedFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open '" + path + "': " + std::strerror(errno));
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    close(fd);
    throw std::runtime_error("cannot stat '" + path + "': " + std::strerror(err));
  }
  nbytes_ = size_t(st.st_size);
  if (nbytes_ > 0) {
    // MAP_PRIVATE with write permission: pages are shared with the page cache until written, and a write (a
    // LoRA fused in place, say) makes a private copy instead of changing the checkpoint on disk.
    void* p = mmap(nullptr, nbytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      close(fd);
      throw std::runtime_error("cannot map '" + path + "': " + std::strerror(err));
    }
    data_ = static_cast<uint8_t*>(p);
  }
  close(fd);  // the mapping keeps its own reference to the file
}

MappedFile::~MappedFile() {
  if (data_) munmap(data_, nbytes_);
}
#else
MappedFile::MappedFile(const std::string& path) {
  throw std::runtime_error("memory-mapped files are not supported on this platform ('" + path + "')");
}
MappedFile::~MappedFile() = default;
#endif

}  // namespace aiprod
