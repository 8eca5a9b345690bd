// A bounded LRU cache of weights already packed into micro-kernel panels. Weights are applied again and again
// (every denoising step, every VAE tile), and packing them costs 5-15% of a GEMM or convolution each time.
// Entries are keyed by the tensor's process-unique id and write version (so a rewritten or freed tensor can never
// match) plus a tag naming the packed layout (ISA, panel width, dtype, scale). Holders keep an entry alive while
// they use it, even if it is evicted meanwhile. Size: AIPROD_PACK_CACHE_MB (default 1024; 0 disables).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "aiprod/storage.h"

namespace aiprod {

struct WeightKey {
  uint64_t uid = 0;  // 0: not cacheable
  uint64_t version = 0;
};

// The packed weights for (key, tag): from the cache, or made by pack(storage) and remembered.
std::shared_ptr<const HostStorage> packed_weights(const WeightKey& key, const std::string& tag, size_t nbytes,
                                                  const std::function<void(HostStorage&)>& pack);

// Forgets every entry of a tensor (called when it is disposed or rewritten).
void packed_cache_forget(uint64_t uid);

// Current size in bytes (for tests and info).
size_t packed_cache_bytes();

}  // namespace aiprod
