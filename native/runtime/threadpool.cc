#include "aiprod/threadpool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace aiprod {
namespace {

int configured_threads() {
  if (const char* env = std::getenv("AIPROD_THREADS")) {
    const int n = std::atoi(env);
    if (n > 0) return std::min(n, 1024);
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : int(hw);
}

// A job is published by bumping generation_; workers take chunks from next_ until it runs out.
class Pool {
 public:
  explicit Pool(int n_threads) : n_threads_(n_threads) {
    for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this] { worker_loop(); });
    for (auto& t : workers_) t.detach();  // the pool lives for the whole process
  }

  int size() const { return n_threads_; }

  void run(size_t n_chunks, const std::function<void(size_t)>& fn) {
    std::unique_lock<std::mutex> busy(run_mutex_, std::try_to_lock);
    if (!busy.owns_lock() || n_threads_ == 1 || n_chunks <= 1) {
      for (size_t c = 0; c < n_chunks; ++c) fn(c);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      fn_ = &fn;
      n_chunks_ = n_chunks;
      next_.store(0, std::memory_order_relaxed);
      failed_.store(false, std::memory_order_relaxed);
      error_ = nullptr;
      active_workers_ = int(workers_.size());
      ++generation_;
    }
    wake_.notify_all();
    work();
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return active_workers_ == 0; });
    fn_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void work() {
    for (;;) {
      const size_t c = next_.fetch_add(1, std::memory_order_relaxed);
      if (c >= n_chunks_ || failed_.load(std::memory_order_relaxed)) return;
      try {
        (*fn_)(c);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!error_) error_ = std::current_exception();
        failed_.store(true, std::memory_order_relaxed);
      }
    }
  }

  void worker_loop() {
    uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
      }
      work();
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (--active_workers_ == 0) done_.notify_one();
      }
    }
  }

  const int n_threads_;
  std::vector<std::thread> workers_;
  std::mutex run_mutex_;  // one parallel_for at a time
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  uint64_t generation_ = 0;
  int active_workers_ = 0;
  const std::function<void(size_t)>* fn_ = nullptr;
  size_t n_chunks_ = 0;
  std::atomic<size_t> next_{0};
  std::atomic<bool> failed_{false};
  std::exception_ptr error_;
};

Pool& pool() {
  static Pool* p = new Pool(configured_threads());  // never destroyed: its threads outlive static destructors
  return *p;
}

}  // namespace

int thread_count() { return pool().size(); }

void parallel_for(size_t n_chunks, const std::function<void(size_t)>& fn) { pool().run(n_chunks, fn); }

void parallel_range(size_t n, size_t min_grain, const std::function<void(size_t, size_t)>& fn) {
  if (n == 0) return;
  const size_t grain = std::max<size_t>(min_grain, 1);
  size_t chunks = std::min<size_t>((n + grain - 1) / grain, size_t(thread_count()) * 4);
  chunks = std::max<size_t>(chunks, 1);
  const size_t per = (n + chunks - 1) / chunks;
  parallel_for(chunks, [&](size_t c) {
    const size_t begin = c * per;
    const size_t end = std::min(n, begin + per);
    if (begin < end) fn(begin, end);
  });
}

}  // namespace aiprod
