#include "aiprod/packed_cache.h"

#include <cstdlib>
#include <list>
#include <mutex>

namespace aiprod {
namespace {

struct Entry {
  uint64_t uid, version;
  std::string tag;
  std::shared_ptr<const HostStorage> data;
};

std::mutex g_mutex;
std::list<Entry> g_lru;  // most recently used first
size_t g_bytes = 0;

size_t capacity() {
  static const size_t cap = [] {
    const char* env = std::getenv("AIPROD_PACK_CACHE_MB");
    const long mb = env ? std::atol(env) : 1024;
    return mb > 0 ? size_t(mb) << 20 : size_t(0);
  }();
  return cap;
}

void evict_to(size_t limit) {
  while (g_bytes > limit && !g_lru.empty()) {
    g_bytes -= g_lru.back().data->nbytes();
    g_lru.pop_back();
  }
}

}  // namespace

std::shared_ptr<const HostStorage> packed_weights(const WeightKey& key, const std::string& tag, size_t nbytes,
                                                  const std::function<void(HostStorage&)>& pack) {
  const bool cacheable = key.uid != 0 && nbytes <= capacity();
  if (cacheable) {
    std::lock_guard<std::mutex> lock(g_mutex);
    for (auto it = g_lru.begin(); it != g_lru.end(); ++it) {
      if (it->uid == key.uid && it->version == key.version && it->tag == tag) {
        g_lru.splice(g_lru.begin(), g_lru, it);
        return it->data;
      }
    }
  }
  auto storage = std::make_shared<HostStorage>(nbytes, false);
  pack(*storage);
  if (cacheable) {
    std::lock_guard<std::mutex> lock(g_mutex);
    evict_to(capacity() - nbytes);
    g_lru.push_front(Entry{key.uid, key.version, tag, storage});
    g_bytes += nbytes;
  }
  return storage;
}

void packed_cache_forget(uint64_t uid) {
  std::lock_guard<std::mutex> lock(g_mutex);
  for (auto it = g_lru.begin(); it != g_lru.end();) {
    if (it->uid == uid) {
      g_bytes -= it->data->nbytes();
      it = g_lru.erase(it);
    } else {
      ++it;
    }
  }
}

size_t packed_cache_bytes() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_bytes;
}

}  // namespace aiprod
