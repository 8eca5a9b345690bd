#include "aiprod/map_pool.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <mutex>
#include <new>

#if !defined(_WIN32)
#include <sys/mman.h>
#include <unistd.h>
#endif

#if !defined(_WIN32)
namespace aiprod {
namespace {

constexpr size_t kHugePage = size_t(2) << 20;
// What the pool may keep: the outputs of a model's convolutions and mid-sized products. Not more by default: a
// 1 GiB pool kept ~900 MiB of a benchmark's setup buffers alive (RSS before a 19B block forward 1.7 -> 2.6 GB)
// and did not speed the block up (its 384 MiB activations are allocated once per forward).
size_t pool_cap_bytes() {
  static const size_t cap = [] {
    if (const char* env = std::getenv("AIPROD_MAP_POOL_MB")) return size_t(std::max(0L, std::atol(env))) << 20;
    const size_t phys = size_t(sysconf(_SC_PHYS_PAGES)) * size_t(sysconf(_SC_PAGESIZE));
    return std::min(size_t(256) << 20, phys / 16);
  }();
  return cap;
}

size_t page_size() {
  static const size_t p = size_t(sysconf(_SC_PAGESIZE));
  return p;
}

// Spans are rounded so that near sizes share entries: to the page below 2 MiB, to 2 MiB from there.
size_t rounded_span(size_t nbytes) {
  const size_t unit = nbytes >= kHugePage ? kHugePage : page_size();
  return (nbytes + unit - 1) / unit * unit;
}

struct Pool {
  std::mutex mu;
  std::multimap<size_t, void*> free;  // span -> mapping
  size_t bytes = 0;
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: tensors may be released during static destruction
  return *p;
}

Mapping map_fresh_span(size_t span) {
  const bool huge = span >= kHugePage;
  const size_t over = huge ? span + kHugePage : span;
  void* p = mmap(nullptr, over, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  if (huge) {
    // Start on a 2 MiB boundary (map one huge page extra, unmap the unaligned head and the tail) so every
    // whole huge page of the buffer can be one: an unaligned 4 MiB output got at most one.
    const uintptr_t base = reinterpret_cast<uintptr_t>(p);
    const uintptr_t aligned = (base + kHugePage - 1) & ~uintptr_t(kHugePage - 1);
    if (aligned > base) munmap(p, aligned - base);
    if (base + over > aligned + span) munmap(reinterpret_cast<void*>(aligned + span), base + over - aligned - span);
    p = reinterpret_cast<void*>(aligned);
#if defined(MADV_HUGEPAGE)
    // Transparent huge pages where the kernel offers them (madvise mode): a 32 MiB output then takes 16 page
    // faults instead of 8192.
    madvise(p, span, MADV_HUGEPAGE);
#endif
  }
  return {p, span};
}

}  // namespace

Mapping map_acquire(size_t nbytes, bool* fresh) {
  const size_t span = rounded_span(nbytes);
  {
    Pool& pl = pool();
    std::lock_guard<std::mutex> lock(pl.mu);
    // The smallest kept mapping that fits, if it wastes at most a quarter.
    auto it = pl.free.lower_bound(span);
    if (it != pl.free.end() && it->first <= span + span / 4) {
      const Mapping m{it->second, it->first};
      pl.bytes -= m.span;
      pl.free.erase(it);
      *fresh = false;
      return m;
    }
  }
  *fresh = true;
  return map_fresh_span(span);
}

Mapping map_fresh(size_t nbytes, bool* fresh) {
  *fresh = true;
  return map_fresh_span(rounded_span(nbytes));
}

void map_unmap(Mapping m) { munmap(m.data, m.span); }

void map_release(Mapping m) {
  Pool& pl = pool();
  {
    std::lock_guard<std::mutex> lock(pl.mu);
    const size_t cap = pool_cap_bytes();
    if (m.span <= cap / 2) {
      // Make room by dropping the largest kept mappings first (the least likely to fit the next requests).
      while (pl.bytes + m.span > cap && !pl.free.empty()) {
        auto last = std::prev(pl.free.end());
        munmap(last->second, last->first);
        pl.bytes -= last->first;
        pl.free.erase(last);
      }
      pl.free.emplace(m.span, m.data);
      pl.bytes += m.span;
      return;
    }
  }
  munmap(m.data, m.span);
}

size_t map_pool_bytes() {
  Pool& pl = pool();
  std::lock_guard<std::mutex> lock(pl.mu);
  return pl.bytes;
}

void map_pool_clear() {
  Pool& pl = pool();
  std::lock_guard<std::mutex> lock(pl.mu);
  for (auto& [span, p] : pl.free) munmap(p, span);
  pl.free.clear();
  pl.bytes = 0;
}

}  // namespace aiprod
#endif  // !_WIN32
