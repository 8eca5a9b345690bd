// Tests of the CUDA emulation itself (host only): that it runs kernels written against aiprod_cuda/kernel.h
// and ptx.h correctly in every thread order, and that it catches what a GPU would get wrong silently:
// a missing __syncthreads, a missing cp.async wait, a wrong tensor-core fragment layout, divergent barriers
// and collectives, deadlocks. Run by test/cuda/emulation.test.ts; exits non-zero on any failure.
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "aiprod_cuda/kernel.h"
#include "aiprod_cuda/ptx.h"

using namespace aiprod_cuda;

static int g_failures = 0;
#define CHECK(cond, ...)                            \
  do {                                              \
    if (!(cond)) {                                  \
      std::printf("FAIL %s:%d: ", __FILE__, __LINE__); \
      std::printf(__VA_ARGS__);                     \
      std::printf("\n");                            \
      g_failures++;                                 \
    }                                               \
  } while (0)

// ---- kernels under test --------------------------------------------------------------------------------

// Reverses each block's slice through shared memory. Without the barrier, a thread reads a slot that its
// partner has not written yet.
template <bool kBarrier>
__global__ void reverse_kernel(const float* in, float* out, int n) {
  AIPROD_DYNAMIC_SMEM(float, tile);
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  tile[threadIdx.x] = i < n ? in[i] : 0.f;
  if (kBarrier) __syncthreads();
  if (i < n) out[i] = tile[blockDim.x - 1 - threadIdx.x];
}

// Sum of each block's values: a static __shared__ array, a barrier, then a warp shuffle tree.
__global__ void block_sum_kernel(const float* in, float* out, int n) {
  __shared__ float partial[32];
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  float v = i < n ? in[i] : 0.f;
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  if (threadIdx.x % 32 == 0) partial[threadIdx.x / 32] = v;
  __syncthreads();
  if (threadIdx.x < 32) {
    v = threadIdx.x < blockDim.x / 32 ? partial[threadIdx.x] : 0.f;
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    if (threadIdx.x == 0) atomicAdd(out, v);
  }
}

// C[M,N] = A[M,K] * W[N,K]^T, bf16 in, f32 out: one warp per 16x16 output tile, tiles of A and W staged in
// shared memory by cp.async, fragments by ldmatrix, products by mma.sync. M, N multiples of 16, K of 16.
// kWrongLayout swaps A's fragment registers 1 and 2 (rows 8-15 vs columns 8-15): a classic layout mistake.
// kSkipWait omits the cp.async wait; kSkipBarrier omits the barrier between the copy and the fragment loads.
enum Fault { kNone = 0, kWrongLayout = 1, kSkipWait = 2, kSkipBarrier = 4 };
template <int kFault>
__global__ void mma_gemm_kernel(const uint16_t* a, const uint16_t* w, float* c, int m, int n, int k) {
  __shared__ __align__(16) uint16_t sa[16][16 + 8];  // +8: rows stay 16-byte aligned, banks staggered
  __shared__ __align__(16) uint16_t sw[16][16 + 8];
  (void)m;
  const int lane = threadIdx.x;
  const int row0 = blockIdx.y * 16, col0 = blockIdx.x * 16;
  float acc[2][4] = {{0, 0, 0, 0}, {0, 0, 0, 0}};
  for (int k0 = 0; k0 < k; k0 += 16) {
    // 32 lanes x 16 bytes = one 16x16 bf16 tile: lane copies row lane/2, half lane%2.
    const int r = lane / 2, h = (lane % 2) * 8;
    cp_async_16(&sa[r][h], a + size_t(row0 + r) * k + k0 + h);
    cp_async_16(&sw[r][h], w + size_t(col0 + r) * k + k0 + h);
    cp_async_commit();
    if (!(kFault & kSkipWait)) cp_async_wait<0>();
    if (!(kFault & kSkipBarrier)) __syncwarp();
    uint32_t af[4], bf[4];
    ldmatrix_x4(af, &sa[lane % 16][(lane / 16) * 8]);
    // W rows n, columns k: matrices {n0-7,k0-7}, {n0-7,k8-15}, {n8-15,k0-7}, {n8-15,k8-15}.
    ldmatrix_x4(bf, &sw[(lane / 16) * 8 + lane % 8][((lane / 8) % 2) * 8]);
    if (kFault & kWrongLayout) {
      const uint32_t t = af[1];
      af[1] = af[2];
      af[2] = t;
    }
    const uint32_t b0[2] = {bf[0], bf[1]}, b1[2] = {bf[2], bf[3]};
    mma_bf16_16816(acc[0], af, b0, acc[0]);
    mma_bf16_16816(acc[1], af, b1, acc[1]);
    __syncwarp();
  }
  const int g = lane / 4, t = lane % 4;
  for (int j = 0; j < 2; ++j) {
    for (int i = 0; i < 4; ++i) {
      const int row = row0 + g + (i >= 2 ? 8 : 0), col = col0 + j * 8 + 2 * t + (i & 1);
      c[size_t(row) * n + col] = acc[j][i];
    }
  }
}

// C[128, 64] = A[128, K] * B[K, 64], bf16 in, f32 out, through sm_90a wgmma m64n64k16: 2 warpgroups (256 threads),
// warpgroup q owns rows 64q..64q+63. Per k step of 16, the threads write the operands into dynamic shared memory
// in the no-swizzle canonical layouts (ptx.h): A K-major (LBO 128 B, SBO 256 B), B K-major or N-major (LBO 1024 B
// between the two K atoms, SBO 128 B between N atoms, so a swapped LBO/SBO reads the wrong atoms).
// kASmem: A through a descriptor, else A fragments from registers (read straight from global memory).
// The accumulators start as garbage and the first step does not accumulate (scale-d = 0).
// Faults: kWgWrongAcc stores D with the two register bits of row and column swapped; kWgSkipWait stores D
// before the wgmma.wait_group (and waits only at the end); kWgSkipFence omits wgmma.fence (an error).
enum WgFault { kWgNone = 0, kWgWrongAcc = 1, kWgSkipWait = 2, kWgSkipFence = 4 };
template <int kTransB, bool kASmem, int kFault>
__global__ void wgmma_gemm_kernel(const uint16_t* a, const uint16_t* b, float* c, int k) {
  AIPROD_DYNAMIC_SMEM(uint16_t, smem);
  const int tid = threadIdx.x, q = tid / 128, i = tid % 128, w = i / 32, g = (i % 32) / 4, t = i % 4;
  uint16_t* sb = smem;                   // 16 x 64: 2 K atoms x 8 N atoms
  uint16_t* sa = smem + 1024 + q * 1024; // 64 x 16 of this warpgroup
  float d[32];
  for (int r = 0; r < 32; ++r) d[r] = 12345.f;
  for (int k0 = 0; k0 < k; k0 += 16) {
    __syncthreads();  // the previous step's operands are consumed (its wgmma waited for)
    for (int e = tid; e < 16 * 64; e += 256) {
      const int kk = e / 64, n = e % 64;
      const uint16_t v = b[size_t(k0 + kk) * 64 + n];
      const int atom = (kk / 8) * 512 + (n / 8) * 64;  // LBO 1024 B = 512 elements, SBO 128 B = 64
      sb[atom + (kTransB ? (kk % 8) * 8 + n % 8 : (n % 8) * 8 + kk % 8)] = v;
    }
    for (int e = i; e < 64 * 16; e += 128) {
      const int m = e / 16, kk = e % 16;
      sa[(m / 8) * 128 + (kk / 8) * 64 + (m % 8) * 8 + kk % 8] = a[size_t(64 * q + m) * k + k0 + kk];
    }
    fence_proxy_async_shared();
    __syncthreads();
    if (!(kFault & kWgSkipFence)) {
      wgmma_fence_operand(d);
      wgmma_fence();
    }
    const uint64_t bdesc = wgmma_desc(sb, 1024, 128);
    if (kASmem) {
      wgmma_m64n64k16_bf16_ss<0, kTransB>(d, wgmma_desc(sa, 128, 256), bdesc, k0 > 0);
    } else {
      auto at = [&](int m, int kk) { return a[size_t(64 * q + 16 * w + m) * k + k0 + kk]; };
      const uint32_t af[4] = {uint32_t(at(g, 2 * t)) | uint32_t(at(g, 2 * t + 1)) << 16,
                              uint32_t(at(g + 8, 2 * t)) | uint32_t(at(g + 8, 2 * t + 1)) << 16,
                              uint32_t(at(g, 2 * t + 8)) | uint32_t(at(g, 2 * t + 9)) << 16,
                              uint32_t(at(g + 8, 2 * t + 8)) | uint32_t(at(g + 8, 2 * t + 9)) << 16};
      wgmma_m64n64k16_bf16_rs<kTransB>(d, af, bdesc, k0 > 0);
    }
    wgmma_commit_group();
    if (!(kFault & kWgSkipWait)) wgmma_wait_group<0>();
    wgmma_fence_operand(d);
  }
  for (int r = 0; r < 32; ++r) {
    const int hi = (kFault & kWgWrongAcc) ? (r & 1) : ((r >> 1) & 1), lo = (kFault & kWgWrongAcc) ? ((r >> 1) & 1) : (r & 1);
    const int row = 64 * q + 16 * w + g + 8 * hi, col = 8 * (r >> 2) + 2 * t + lo;
    c[size_t(row) * 64 + col] = d[r];
  }
  if (kFault & kWgSkipWait) wgmma_wait_group<0>();
}

__global__ void divergent_barrier_kernel(int* out) {
  if (threadIdx.x < 16) return;
  __syncthreads();
  out[threadIdx.x] = 1;
}

__global__ void divergent_shuffle_kernel(int* out) {
  int v = int(threadIdx.x);
  if (threadIdx.x % 2) v = __shfl_xor_sync(0xffffffffu, v, 1);
  else v = __ballot_sync(0xffffffffu, 1);
  out[threadIdx.x] = v;
}

// Lanes 0-15 of warp 0 wait at the block barrier while lanes 16-31 wait for them at a full-warp shuffle.
__global__ void deadlock_kernel(int* out) {
  if (threadIdx.x < 16) {
    __syncthreads();
  } else {
    if (threadIdx.x < 32) out[0] = __shfl_sync(0xffffffffu, 1, 0);
    __syncthreads();
  }
}

__global__ void partial_mask_kernel(int* out) {
  // Lanes 0-15 shuffle among themselves while 16-31 do something else: legal with the right mask.
  int v = int(threadIdx.x);
  if (threadIdx.x < 16) v = __shfl_sync(0x0000ffffu, v, 15 - int(threadIdx.x));
  out[threadIdx.x] = v;
}

// ---- host side -----------------------------------------------------------------------------------------

static uint16_t to_bf16(float f) { return f32_to_bf16(f); }

static const aiprod_emu::Order kOrders[] = {aiprod_emu::Order::forward, aiprod_emu::Order::reverse,
                                            aiprod_emu::Order::shuffled};
static const char* order_name(aiprod_emu::Order o) {
  return o == aiprod_emu::Order::forward ? "forward" : o == aiprod_emu::Order::reverse ? "reverse" : "shuffled";
}
static void set_order(aiprod_emu::Order o, uint64_t seed = 7) {
  aiprod_emu::Options opt;
  opt.order = o;
  opt.seed = seed;
  aiprod_emu::set_options(opt);
}

static bool reverse_ok(bool barrier, int n, int block) {
  std::vector<float> in(n), out(n, -1.f);
  for (int i = 0; i < n; ++i) in[i] = float(i);
  const unsigned grid = ceil_div(size_t(n), size_t(block));
  if (barrier) {
    launch("reverse", reverse_kernel<true>, dim3(grid), dim3(block), block * sizeof(float), nullptr, in.data(), out.data(), n);
  } else {
    launch("reverse", reverse_kernel<false>, dim3(grid), dim3(block), block * sizeof(float), nullptr, in.data(), out.data(), n);
  }
  for (int b = 0; b < int(grid); ++b) {
    for (int t = 0; t < block; ++t) {
      const int i = b * block + t, j = b * block + (block - 1 - t);
      if (i < n && out[i] != (j < n ? in[j] : 0.f)) return false;
    }
  }
  return true;
}

static void test_barrier_detection() {
  for (auto o : kOrders) {
    set_order(o);
    CHECK(reverse_ok(true, 1000, 128), "reverse with __syncthreads must be exact in %s order", order_name(o));
    CHECK(!reverse_ok(false, 1000, 128), "a missing __syncthreads must change the result in %s order", order_name(o));
  }
}

static void test_block_sum() {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  for (int n : {1, 31, 256, 1000, 4099}) {
    std::vector<float> in(n);
    double ref = 0;
    for (auto& v : in) {
      v = float(int(dist(rng) * 64)) / 64.f;  // exact sums in f32: any order gives the same answer
      ref += v;
    }
    for (auto o : kOrders) {
      set_order(o);
      float out = 0.f;
      launch("block_sum", block_sum_kernel, dim3(ceil_div(size_t(n), 256)), dim3(256), 0, nullptr, in.data(), &out, n);
      CHECK(out == float(ref), "block sum n=%d %s: %g vs %g", n, order_name(o), out, ref);
      auto st = aiprod_emu::last_stats();
      CHECK(st.collectives > 0 && st.barriers > 0, "stats count collectives and barriers");
    }
  }
}

template <int kFault>
static double gemm_max_error(int m, int n, int k, uint64_t seed) {
  std::mt19937 rng{unsigned(seed)};
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<uint16_t> a(size_t(m) * k), w(size_t(n) * k);
  for (auto& v : a) v = to_bf16(dist(rng));
  for (auto& v : w) v = to_bf16(dist(rng));
  std::vector<float> c(size_t(m) * n, 0.f);
  launch("mma_gemm", mma_gemm_kernel<kFault>, dim3(n / 16, m / 16), dim3(32), 0, nullptr, a.data(), w.data(), c.data(), m, n, k);
  double worst = 0;
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < n; ++j) {
      double s = 0, mag = 0;
      for (int p = 0; p < k; ++p) {
        const double x = bf16_to_f32(a[size_t(i) * k + p]) * double(bf16_to_f32(w[size_t(j) * k + p]));
        s += x;
        mag += std::fabs(x);
      }
      const double e = std::fabs(c[size_t(i) * n + j] - s) / (mag + 1e-30);
      worst = std::isnan(c[size_t(i) * n + j]) ? INFINITY : std::max(worst, e);
    }
  }
  return worst;
}

static void test_mma() {
  for (auto o : kOrders) {
    set_order(o);
    // Bound: f32 accumulation of exact bf16 products, k/16 roundings of partial sums: k * 2^-24 relative to Σ|x|.
    const double e = gemm_max_error<kNone>(48, 32, 64, 1);
    CHECK(e <= 64 * 6e-8, "mma gemm error %g (%s)", e, order_name(o));
    const double wrong = gemm_max_error<kWrongLayout>(48, 32, 64, 1);
    CHECK(wrong > 1e-2, "a wrong A fragment layout must be caught (error %g, %s)", wrong, order_name(o));
    const double nowait = gemm_max_error<kSkipWait>(48, 32, 64, 1);
    CHECK(!(nowait < 1e-2), "reading before cp.async.wait_group must be caught (error %g, %s)", nowait, order_name(o));
  }
  const auto st = aiprod_emu::last_stats();
  CHECK(st.collectives >= uint64_t(3 * 32 * 4 * 6), "mma and ldmatrix ran as warp collectives (%llu)",
        (unsigned long long)st.collectives);
}

// Max over C of |got - ref| / sum_k |a b| against a double reference; NaN or a launch error: infinity.
template <int kTransB, bool kASmem, int kFault>
static double wgmma_gemm_error(int k, uint64_t seed, std::string* error = nullptr) {
  std::mt19937 rng{unsigned(seed)};
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<uint16_t> a(size_t(128) * k), b(size_t(k) * 64);
  for (auto& v : a) v = to_bf16(dist(rng));
  for (auto& v : b) v = to_bf16(dist(rng));
  std::vector<float> c(128 * 64, -1.f);
  try {
    launch("wgmma_gemm", wgmma_gemm_kernel<kTransB, kASmem, kFault>, dim3(1), dim3(256), 3 * 1024 * 2, nullptr,
           a.data(), b.data(), c.data(), k);
  } catch (const Error& e) {
    if (error) *error = e.what();
    return INFINITY;
  }
  double worst = 0;
  for (int i = 0; i < 128; ++i) {
    for (int j = 0; j < 64; ++j) {
      double s = 0, mag = 0;
      for (int p = 0; p < k; ++p) {
        const double x = double(bf16_to_f32(a[size_t(i) * k + p])) * bf16_to_f32(b[size_t(p) * 64 + j]);
        s += x;
        mag += std::fabs(x);
      }
      const float got = c[size_t(i) * 64 + j];
      worst = std::isnan(got) ? INFINITY : std::max(worst, std::fabs(got - s) / (mag + 1e-30));
    }
  }
  return worst;
}

static void test_wgmma() {
  for (auto o : kOrders) {
    set_order(o);
    // Bound: exact bf16 products, f32 accumulation rounded once per k step of 16: (k / 16) * 2^-24 relative to
    // sum |a b| (the emulation rounds each step once; the hardware's internal order may differ within it).
    const double bound = 48 / 16 * 6e-8;
    const double e0 = wgmma_gemm_error<0, false, kWgNone>(48, 11), e1 = wgmma_gemm_error<1, false, kWgNone>(48, 12);
    const double e2 = wgmma_gemm_error<0, true, kWgNone>(48, 13), e3 = wgmma_gemm_error<1, true, kWgNone>(48, 14);
    const auto st = aiprod_emu::last_stats();
    CHECK(st.collectives >= uint64_t(3 * 256), "wgmma ran as warpgroup collectives (%llu)",
          (unsigned long long)st.collectives);
    CHECK(e0 <= bound && e1 <= bound && e2 <= bound && e3 <= bound,
          "wgmma gemm errors (A regs / smem x B K-/N-major) %g %g %g %g > %g (%s)", e0, e1, e2, e3, bound, order_name(o));
    const double wrong = wgmma_gemm_error<1, false, kWgWrongAcc>(48, 12);
    CHECK(wrong > 1e-2, "a wrong wgmma accumulator layout must be caught (error %g, %s)", wrong, order_name(o));
    const double nowait = wgmma_gemm_error<0, true, kWgSkipWait>(48, 13);
    CHECK(!(nowait < 1e-2), "reading accumulators before wgmma.wait_group must be caught (error %g, %s)", nowait,
          order_name(o));
    std::string msg;
    const double nofence = wgmma_gemm_error<0, false, kWgSkipFence>(48, 11, &msg);
    CHECK(std::isinf(nofence) && msg.find("wgmma.fence") != std::string::npos,
          "wgmma.mma_async without wgmma.fence must be an error (%s)", msg.c_str());
  }
}

static bool launch_fails(const char* what, void (*kernel)(int*), unsigned threads, const char* expect) {
  std::vector<int> out(threads, 0);
  try {
    launch(what, kernel, dim3(1), dim3(threads), 0, nullptr, out.data());
  } catch (const Error& e) {
    const bool named = std::string(e.what()).find(expect) != std::string::npos;
    if (!named) std::printf("  message was: %s\n", e.what());
    return named;
  }
  return false;
}

static void test_errors() {
  set_order(aiprod_emu::Order::forward);
  CHECK(launch_fails("divergent_barrier", divergent_barrier_kernel, 64, "exited"), "divergent __syncthreads is an error");
  CHECK(launch_fails("divergent_shuffle", divergent_shuffle_kernel, 32, "divergent warp collective"),
        "lanes at different collectives is an error");
  CHECK(launch_fails("deadlock", deadlock_kernel, 64, "deadlock"), "a deadlock is reported");
  std::vector<int> out(32);
  launch("partial_mask", partial_mask_kernel, dim3(1), dim3(32), 0, nullptr, out.data());
  bool ok = true;
  for (int i = 0; i < 32; ++i) ok = ok && out[i] == (i < 16 ? 15 - i : i);
  CHECK(ok, "a shuffle among a partial mask works");
  bool threw = false;
  try {
    launch("too_big", partial_mask_kernel, dim3(1), dim3(2048), 0, nullptr, out.data());
  } catch (const Error& e) {
    threw = std::string(e.what()).find("threads per block") != std::string::npos;
  }
  CHECK(threw, "an invalid launch configuration is refused");
}

int main() {
  test_barrier_detection();
  test_block_sum();
  test_mma();
  test_wgmma();
  test_errors();
  if (g_failures) {
    std::printf("%d emulation check(s) failed\n", g_failures);
    return 1;
  }
  std::printf("emulation: all checks passed\n");
  return 0;
}
