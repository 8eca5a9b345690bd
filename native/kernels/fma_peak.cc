// measure_fma_peak: one thread per CPU this process may use, each pinned to its CPU so the OS cannot stack two
// loops on one core, all released together after a warm-up (clocks ramp up, AVX-512 frequency licences settle).
// Each thread times its own loop; the peak is the sum of the per-thread rates. These threads are separate from
// the engine's pool, which stays idle meanwhile.
#include "aiprod/fma_peak.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "aiprod/cpu_features.h"

#if defined(__linux__)
#include <pthread.h>
#include <sched.h>
#endif

namespace aiprod {
namespace {

using Clock = std::chrono::steady_clock;

struct Loop {
  float (*fn)(uint64_t);
  double flops_per_iteration;
  const char* isa;
};

Loop pick_loop(PeakKind kind) {
  [[maybe_unused]] const CpuFeatures& f = cpu_features();
  if (kind == PeakKind::Bf16) {
#ifdef AIPROD_HAVE_AVX512BF16
    if (f.avx512_bf16) return {dpbf16_loop_avx512bf16, kDpbf16FlopsPerIteration, "avx512_bf16"};
    throw std::runtime_error("the bf16 peak needs AVX512_BF16 (vdpbf16ps), which this CPU or OS does not offer");
#else
    throw std::runtime_error("the bf16 peak needs the avx512bf16 kernels, which this build does not include");
#endif
  }
#ifdef AIPROD_HAVE_AVX512
  if (f.avx512) return {fma_loop_avx512, kFmaAvx512FlopsPerIteration, "avx512"};
#endif
#ifdef AIPROD_HAVE_AVX2
  if (f.avx2) return {fma_loop_avx2, kFmaAvx2FlopsPerIteration, "avx2"};
#endif
  throw std::runtime_error("the f32 peak needs AVX2+FMA or AVX-512, which this build or CPU does not offer");
}

// The CPUs this process may run on (its affinity mask), or -1 per hardware thread where there is no mask.
std::vector<int> usable_cpus() {
  std::vector<int> cpus;
#if defined(__linux__)
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (int c = 0; c < CPU_SETSIZE; ++c) {
      if (CPU_ISSET(c, &set)) cpus.push_back(c);
    }
  }
#endif
  if (cpus.empty()) cpus.assign(std::max(1u, std::thread::hardware_concurrency()), -1);
  return cpus;
}

// Pins the calling thread to one CPU.
bool pin_self(int cpu) {
#if defined(__linux__)
  if (cpu < 0) return false;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
#else
  (void)cpu;
  return false;
#endif
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

struct ThreadResult {
  bool pinned = false;
  double flops = 0;
  double seconds = 0;
  double checksum = 0;
};

// Pins itself, calibrates a chunk of about 2 ms (so the clock is read rarely and overrun is small), warms up
// for ~0.2 s, waits for every thread, then runs whole chunks until `seconds` have passed.
void run_thread(const Loop& loop, int cpu, double seconds, std::atomic<int>& ready, std::atomic<bool>& go, ThreadResult& out) {
  out.pinned = pin_self(cpu);
  uint64_t chunk = 1 << 12;
  double checksum = 0;
  for (;;) {
    const auto t0 = Clock::now();
    checksum += loop.fn(chunk);
    const double dt = seconds_since(t0);
    if (dt >= 1e-3) {
      chunk = std::max<uint64_t>(1, uint64_t(double(chunk) * 2e-3 / dt));
      break;
    }
    chunk *= 2;
  }
  const auto warm = Clock::now();
  while (seconds_since(warm) < 0.2) checksum += loop.fn(chunk);
  ready.fetch_add(1, std::memory_order_acq_rel);
  while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
  uint64_t iterations = 0;
  const auto t0 = Clock::now();
  double elapsed = 0;
  do {
    checksum += loop.fn(chunk);
    iterations += chunk;
    elapsed = seconds_since(t0);
  } while (elapsed < seconds);
  out.flops = double(iterations) * loop.flops_per_iteration;
  out.seconds = elapsed;
  out.checksum = checksum;
}

}  // namespace

PeakResult measure_fma_peak(PeakKind kind, double seconds) {
  if (!(seconds > 0 && seconds <= 60)) throw std::runtime_error("seconds must be in (0, 60]");
  const Loop loop = pick_loop(kind);
  const std::vector<int> cpus = usable_cpus();
  std::vector<ThreadResult> results(cpus.size());
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (size_t i = 0; i < cpus.size(); ++i) {
    threads.emplace_back(run_thread, std::cref(loop), cpus[i], seconds, std::ref(ready), std::ref(go), std::ref(results[i]));
  }
  while (ready.load(std::memory_order_acquire) < int(threads.size())) std::this_thread::yield();
  go.store(true, std::memory_order_release);
  for (auto& t : threads) t.join();
  PeakResult r;
  r.pinned = true;
  for (const ThreadResult& t : results) {
    r.pinned = r.pinned && t.pinned;
    r.gflops += t.flops / t.seconds / 1e9;
    r.checksum += t.checksum;
  }
  r.threads = int(threads.size());
  r.isa = loop.isa;
  return r;
}

}  // namespace aiprod
