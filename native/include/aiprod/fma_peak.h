// This CPU's arithmetic peak, measured rather than computed from a spec sheet: clocks, turbo and the number of
// FMA pipes differ per part and per VM. Benchmarks report each kernel as a fraction of it.
#pragma once
#include <cstdint>
#include <string>

namespace aiprod {

// Per-ISA loops (native/kernels/x86/*/fma_peak_*.cc). Each runs `iterations` rounds over 12 independent
// accumulators (enough to hide FMA latency on two pipes) and returns a value built from all of them, so the
// compiler cannot drop the work. *_flops_per_iteration says how many floating-point operations one round is.
float fma_loop_avx2(uint64_t iterations);
float fma_loop_avx512(uint64_t iterations);
float dpbf16_loop_avx512bf16(uint64_t iterations);
constexpr double kFmaAvx2FlopsPerIteration = 4 * 12 * 8 * 2;        // 4 x 12 FMAs x 8 lanes x (mul + add)
constexpr double kFmaAvx512FlopsPerIteration = 4 * 12 * 16 * 2;     // 4 x 12 FMAs x 16 lanes x (mul + add)
constexpr double kDpbf16FlopsPerIteration = 4 * 12 * 16 * 2 * 2;    // 4 x 12 vdpbf16ps x 16 lanes x 2 pairs x 2

enum class PeakKind : uint8_t { F32 = 0, Bf16 = 1 };

struct PeakResult {
  double gflops = 0;    // all threads together
  int threads = 0;      // one per CPU this process may run on, each pinned to its CPU
  bool pinned = false;  // false where the OS has no per-thread affinity call
  std::string isa;      // "avx512", "avx2" or "avx512_bf16": the instructions that were timed
  double checksum = 0;  // the loops' results, summed (kept so the work is observably used)
};

// Runs the loop of `kind` on its own pinned threads (not the engine's pool) for about `seconds` after a short
// warm-up. Throws std::runtime_error when this build or CPU has no such instructions (bf16 without
// AVX512_BF16, f32 without AVX2) or `seconds` is out of range.
PeakResult measure_fma_peak(PeakKind kind, double seconds);

}  // namespace aiprod
