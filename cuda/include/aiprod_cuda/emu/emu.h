/* Host emulation of the CUDA execution model, so the kernels in cuda/src/kernels compile with a plain C++
 * compiler and run on the CPU, unmodified. What it models (and checks):
 *  - grids and blocks: every block runs to completion on one host thread; blocks of a grid are spread over
 *    host threads (AIPROD_EMU_THREADS, default: all cores), so atomics between blocks are exercised too;
 *  - threads as cooperative fibers (one stack each) that switch only at synchronization points;
 *  - __syncthreads: a block barrier; a thread that exits while others wait, or a barrier reached by only part
 *    of the block, is an error (undefined behaviour on a GPU);
 *  - warp collectives (__shfl_*_sync, votes, __syncwarp, and the tensor-core and ldmatrix instructions of
 *    aiprod_cuda/ptx.h): every lane named in the mask must arrive at the same collective; the results are
 *    computed from all lanes' operands at once, as the hardware does; warpgroup collectives (sm_90's wgmma:
 *    4 contiguous warps, 128 threads) the same way, and wgmma's asynchronous accumulators are written only
 *    at the wgmma.wait_group that retires them;
 *  - shared memory: `__shared__` variables are per block; dynamic shared memory is filled with a poison byte
 *    pattern (NaN for f32/bf16/f16) before each block, so a read before any write shows in the result;
 *  - the order in which threads run between two synchronization points is a parameter (forward, reverse, or
 *    a seeded shuffle): a kernel that depends on it has a race (a missing barrier), and tests run both orders.
 * Everything here is host-only; device builds (nvcc) never include this file. */
#ifndef AIPROD_CUDA_EMU_H
#define AIPROD_CUDA_EMU_H

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <tuple>
#include <type_traits>
#include <algorithm>
#include <math.h>
#include <utility>

namespace aiprod_emu {

struct uint3_ {
  unsigned x, y, z;
};

}  // namespace aiprod_emu

// ---- CUDA vocabulary on the host ------------------------------------------------------------------------
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
// Per block: all fibers of a block run on one host thread, and blocks on different host threads get their own.
#define __shared__ static thread_local
#define __constant__ static const

using uint3 = aiprod_emu::uint3_;
struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
  constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
};
struct alignas(8) float2 { float x, y; };
struct alignas(16) float4 { float x, y, z, w; };
struct alignas(8) uint2 { unsigned x, y; };
struct alignas(16) uint4 { unsigned x, y, z, w; };
struct alignas(8) int2 { int x, y; };
struct alignas(16) int4 { int x, y, z, w; };
typedef void* cudaStream_t;
constexpr int warpSize = 32;

namespace aiprod_emu {

// The calling fiber's coordinates (valid only inside a kernel running under launch()).
const uint3_& thread_idx();
const uint3_& block_idx();
const uint3_& block_dim();
const uint3_& grid_dim();

void syncthreads();
// Generic warp collective: every lane in `mask` deposits `in_bytes` bytes; when all have arrived, `combine`
// runs once with the deposits of all 32 lanes (absent lanes: zeros) and writes each lane's `out_bytes`
// result; the caller gets its own. `kind` names the instruction, so a lane at another collective is an error.
using CombineFn = void (*)(const void* ins, void* outs, unsigned mask, const void* ctx);
void warp_collective(const char* kind, unsigned mask, const void* in, size_t in_bytes, void* out, size_t out_bytes,
                     CombineFn combine, const void* ctx = nullptr);
unsigned lane_id();
// Warpgroup collective (sm_90's wgmma): the 4 contiguous warps 4w..4w+3 of a block (128 threads) must all arrive
// at the same `kind`; `combine` then runs once with the 128 threads' deposits (thread i of the warpgroup at
// ins + i * in_bytes; `mask` is 0) and writes each thread's `out_bytes`. A warpgroup with fewer than 128
// threads, a thread at another collective or an exited thread is an error.
void warpgroup_collective(const char* kind, const void* in, size_t in_bytes, void* out, size_t out_bytes,
                          CombineFn combine, const void* ctx = nullptr);
// Dynamic shared memory of the running block (poisoned before the block starts), and its size in bytes.
void* dynamic_shared_memory();
size_t dynamic_shared_memory_bytes();
// Raises an emulation error from inside a kernel (the launch fails with this message).
[[noreturn]] void fail(const std::string& message);

enum class Order { forward, reverse, shuffled };
struct Options {
  Order order = Order::forward;
  uint64_t seed = 1;       // for Order::shuffled
  int host_threads = 0;    // 0: AIPROD_EMU_THREADS or all cores
};
// Options for launches from this host thread (tests set them; the default is forward order).
void set_options(const Options& options);
Options options();

// Runs `body` for every thread of every block. Throws std::runtime_error naming the kernel and the failure
// (deadlock, divergent barrier, bad collective, error raised by the kernel, launch configuration).
void launch(const char* name, dim3 grid, dim3 block, size_t dynamic_smem, void (*body)(const void*), const void* ctx);

// Statistics of the last launch on this host thread (tests check that collectives really happened).
struct Stats {
  uint64_t blocks = 0, threads = 0, barriers = 0, collectives = 0, switches = 0;
};
Stats last_stats();

template <class F>
void launch_fn(const char* name, dim3 grid, dim3 block, size_t smem, const F& f) {
  launch(name, grid, block, smem, [](const void* p) { (*static_cast<const F*>(p))(); }, &f);
}

}  // namespace aiprod_emu

#define threadIdx (::aiprod_emu::thread_idx())
#define blockIdx (::aiprod_emu::block_idx())
#define blockDim (::aiprod_emu::block_dim())
#define gridDim (::aiprod_emu::grid_dim())

inline void __syncthreads() { aiprod_emu::syncthreads(); }

namespace aiprod_emu {
template <class T>
struct ShflIn {
  T value;
  int src;  // source lane (already resolved by the caller's variant)
  int width;
};
template <class T>
void shfl_combine(const void* ins, void* outs, unsigned mask, const void*) {
  const auto* in = static_cast<const ShflIn<T>*>(ins);
  T* out = static_cast<T*>(outs);
  for (int lane = 0; lane < 32; ++lane) {
    if (!(mask >> lane & 1u)) continue;
    const int w = in[lane].width;
    const int base = lane & ~(w - 1);
    int src = in[lane].src;
    // Out-of-segment sources read the lane's own value, as the hardware does for shfl.up/down clamps;
    // idx wraps within the segment.
    const int s = (src < base || src >= base + w) ? lane : src;
    if (!(mask >> s & 1u)) fail("__shfl_*_sync: lane " + std::to_string(lane) + " reads lane " + std::to_string(s) +
                                 ", which is not in the mask");
    out[lane] = in[s].value;
  }
}
template <class T>
T shfl(const char* kind, unsigned mask, T v, int src, int width) {
  ShflIn<T> in{v, src, width};
  T out{};
  warp_collective(kind, mask, &in, sizeof(in), &out, sizeof(T), &shfl_combine<T>);
  return out;
}
struct VoteIn {
  int pred;
};
void ballot_combine(const void* ins, void* outs, unsigned mask, const void*);
}  // namespace aiprod_emu

template <class T>
inline T __shfl_sync(unsigned mask, T v, int src, int width = 32) {
  const int lane = int(aiprod_emu::lane_id());
  const int base = lane & ~(width - 1);
  return aiprod_emu::shfl("__shfl_sync", mask, v, base + (src & (width - 1)), width);
}
template <class T>
inline T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int width = 32) {
  const int lane = int(aiprod_emu::lane_id());
  return aiprod_emu::shfl("__shfl_xor_sync", mask, v, lane ^ lane_mask, width);
}
template <class T>
inline T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = 32) {
  const int lane = int(aiprod_emu::lane_id());
  return aiprod_emu::shfl("__shfl_down_sync", mask, v, lane + int(delta), width);
}
template <class T>
inline T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = 32) {
  const int lane = int(aiprod_emu::lane_id());
  return aiprod_emu::shfl("__shfl_up_sync", mask, v, lane - int(delta), width);
}
inline unsigned __ballot_sync(unsigned mask, int pred) {
  aiprod_emu::VoteIn in{pred != 0};
  unsigned out = 0;
  aiprod_emu::warp_collective("__ballot_sync", mask, &in, sizeof(in), &out, sizeof(out), &aiprod_emu::ballot_combine);
  return out;
}
inline int __any_sync(unsigned mask, int pred) { return __ballot_sync(mask, pred) != 0; }
inline int __all_sync(unsigned mask, int pred) { return __ballot_sync(mask, pred) == mask; }
inline void __syncwarp(unsigned mask = 0xffffffffu) {
  aiprod_emu::warp_collective("__syncwarp", mask, nullptr, 0, nullptr, 0, nullptr);
}

// Atomics: blocks run on several host threads, so these are real atomics.
template <class T>
inline T atomicAdd(T* p, T v) {
  if constexpr (std::is_floating_point<T>::value) {
    T old;
    __atomic_load(p, &old, __ATOMIC_RELAXED);
    T next = old + v;
    while (!__atomic_compare_exchange(p, &old, &next, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) next = old + v;
    return old;
  } else {
    return __atomic_fetch_add(p, v, __ATOMIC_RELAXED);
  }
}
template <class T>
inline T atomicMax(T* p, T v) {
  T old;
  __atomic_load(p, &old, __ATOMIC_RELAXED);
  while (old < v && !__atomic_compare_exchange(p, &old, &v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
  }
  return old;
}
template <class T>
inline T atomicExch(T* p, T v) { return __atomic_exchange_n(p, v, __ATOMIC_RELAXED); }
inline void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

// Intrinsics and bit casts.
inline float __uint_as_float(unsigned u) { float f; std::memcpy(&f, &u, 4); return f; }
inline unsigned __float_as_uint(float f) { unsigned u; std::memcpy(&u, &f, 4); return u; }
inline float __int_as_float(int u) { float f; std::memcpy(&f, &u, 4); return f; }
inline int __float_as_int(float f) { int u; std::memcpy(&u, &f, 4); return u; }
inline float __expf(float x) { return std::exp(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
// Round-to-nearest arithmetic that nvcc never contracts into an FMA (the CPU reference rounds each step).
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __saturatef(float x) { return x < 0.f ? 0.f : (x > 1.f ? 1.f : x); }
template <class T>
inline T __ldg(const T* p) { return *p; }
using std::max;
using std::min;

#endif
