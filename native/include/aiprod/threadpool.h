// One process-wide pool of native threads, sized to the machine (or AIPROD_THREADS). Addon instances in
// several worker_threads share it. A parallel_for that finds the pool busy (another thread's op, or a nested
// call) runs its chunks on the calling thread instead of waiting, so there is no deadlock and no
// oversubscription.
#pragma once
#include <cstddef>
#include <functional>

namespace aiprod {

// Number of threads that work on one parallel_for, the caller included.
int thread_count();

// Calls fn(chunk) for chunk in [0, n_chunks), spread over the pool; returns when all are done. If fn throws,
// the remaining chunks are skipped and the first exception is rethrown on the calling thread.
void parallel_for(size_t n_chunks, const std::function<void(size_t chunk)>& fn);

// Split [0, n) into ranges of at least min_grain elements, about 4 per thread, and run fn(begin, end) on each.
void parallel_range(size_t n, size_t min_grain, const std::function<void(size_t begin, size_t end)>& fn);

}  // namespace aiprod
