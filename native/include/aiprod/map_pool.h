// Large host buffers come from anonymous mappings; a fresh mapping costs a page fault (and the kernel zeroing the
// page) on first touch, which on a VM made writing a convolution's or a GEMM's output cost as much as 10-20% of
// the op. The pool keeps recently released mappings, up to a byte cap, and hands them back for requests of
// (nearly) the same size, as inference loops make: the same shapes every step. Cap: AIPROD_MAP_POOL_MB, by
// default 1/16 of physical memory up to 256 MiB (0 disables the pool); single mappings up to half the cap are kept.
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
// Outside the pool: a fresh mapping (laid out as map_acquire's), and unmapping one.
Mapping map_fresh(size_t nbytes, bool* fresh);
void map_unmap(Mapping m);
// Bytes currently kept (for tests), and unmaps everything kept.
size_t map_pool_bytes();
void map_pool_clear();

}  // namespace aiprod
