// Large host buffers come from anonymous mappings; a fresh mapping costs a page fault (and the kernel zeroing the
// page) on first touch, which on a VM made writing a convolution's or a GEMM's output cost as much as 10-20% of
// the op. MapPool keeps recently released mappings, up to a byte cap, and hands them back for requests of
// (nearly) the same size, as inference loops make: the same shapes every step.
#pragma once
#include <cstddef>

namespace aiprod {

struct Mapping {
  void* data = nullptr;
  size_t span = 0;  // mapped length (what munmap gets)
};

// A mapping of at least nbytes, 2 MiB aligned (and advised for transparent huge pages) from 2 MiB up. Reused
// mappings hold old contents; fresh ones are zero (`fresh` says which). Throws std::bad_alloc.
Mapping map_acquire(size_t nbytes, bool* fresh);
// Keeps the mapping for reuse, or unmaps it when the pool is full.
void map_release(Mapping m);
// Bytes currently kept (for tests), and unmaps everything kept.
size_t map_pool_bytes();
void map_pool_clear();

}  // namespace aiprod
