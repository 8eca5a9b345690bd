// Flash attention forward (aiprod_cuda_attention_args), three kernels:
//  - bf16 q/k/v with head dim 64 or 128 on compute capability 9.0: the sm_90a wgmma kernel (below the mma.sync
//    one; same tiles, softmax and numerics, S and O as warpgroup MMAs). Elsewhere the mma.sync kernel.
//    AIPROD_CUDA_ATTENTION=wgmma|mma|simt forces a path for these shapes (read at every call; wgmma on a real
//    GPU other than 9.0 is refused; the emulation, which reports 8.0, runs it when forced), auto/unset: default.
//  - bf16 q/k/v with head dim 64 or 128: FlashAttention-2 on the tensor cores. A block of 4 warps owns 64
//    query rows (16 per warp); its Q tile goes to registers once (ldmatrix A fragments); K and V tiles of 64 keys
//    stream through shared memory with cp.async double buffering (K[t+1] loads while S = Q K[t]^T runs, V[t+1]
//    while O += P V[t] runs). S = Q K^T is mma.m16n8k16 with K rows read by ldmatrix (non-trans: a row-major
//    [key][d] tile is the col-major B operand); the online softmax runs on the S accumulators in f32 registers
//    in base 2 (scale * log2e folded into one multiply, fast_exp2); P becomes bf16 A fragments directly from
//    the S accumulators (the C fragment of two n8 tiles is the A fragment of one k16 step), and O += P V with
//    V read by ldmatrix .trans. The final O / l is staged through shared memory and stored as bf16 rows.
//    Shared tiles are XOR-swizzled in 16-byte chunks (chunk c of row r at c ^ (r & 7)), so every ldmatrix
//    phase and every cp.async row hits 8 distinct 4-bank groups. Dynamic shared memory (64 + 4 * 64) * d * 2 B:
//    40 KiB (d 64), 80 KiB (d 128). q/k/v/out not 16-byte aligned: the same kernel with plain 2-byte accesses.
//  - f32 (and bf16 with other head dims): a SIMT flash kernel with f32 products and an f32 online softmax
//    (expf in natural units, as the CPU reference), any head dim up to 256; (128 * (d | 1) + 64 * 33) * 4 B of
//    dynamic shared memory (137 KiB at d 256: within sm_80's 163 KiB and sm_90's 227 KiB).
// Causal launches run the last query tiles (the most key tiles) first.
// Masks are aiprod::attention_visible (causal j <= i; window |i - j| < w, with causal i - j < w); key tiles
// that no query of the block can see are skipped. A row whose keys are all masked (also by -inf bias) gives
// zeros, as the CPU does. Nothing of size Nq x Nk is ever stored.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

#include "aiprod_cuda/kernel.h"
#include "aiprod_cuda/numerics.h"
#include "aiprod_cuda/ptx.h"
#include "ops.h"
#include "shape_args.h"
#include "../runtime/runtime.h"

// Loop unrolling for nvcc (the host compiler of the emulation does not know the pragma).
#if defined(__CUDACC__)
#define ATTN_UNROLL _Pragma("unroll")
#else
#define ATTN_UNROLL
#endif

namespace aiprod_cuda {
namespace {

constexpr float kLog2e = 1.4426950408889634f;

struct AttnParams {
  const void* q;
  const void* k;
  const void* v;
  void* out;
  const float* bias;
  int64_t bias_sb, bias_sh;
  int64_t heads, kv_heads, group, nq, nk, d;
  float scale;
  int causal;
  int64_t window;
};

AIPROD_DI bool visible(const AttnParams& p, int64_t i, int64_t j) {
  if (p.causal && j > i) return false;
  if (p.window && (i >= j ? i - j : j - i) >= p.window) return false;
  return true;
}

// Keys [lo, hi) that may be visible from some query in [i0, i1) (i1 > i0); lo >= hi: none.
AIPROD_DI void key_range(const AttnParams& p, int64_t i0, int64_t i1, int64_t* lo, int64_t* hi) {
  int64_t a = 0, b = p.nk;
  if (p.causal) b = b < i1 ? b : i1;
  if (p.window) {
    if (i0 + 1 > p.window) a = i0 - p.window + 1;
    if (!p.causal) {
      const int64_t e = i1 - 1 + p.window;
      b = b < e ? b : e;
    }
  }
  *lo = a;
  *hi = b;
}

// Whether every key of [j0, j1] exists and is visible from every query of [i0, i1] (no per-element masks needed).
AIPROD_DI bool tile_all_visible(const AttnParams& p, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
  if (j1 >= p.nk) return false;
  if (p.causal && j1 > i0) return false;
  if (p.window) {
    if (i1 - j0 >= p.window) return false;                // farthest key behind
    if (!p.causal && j1 - i0 >= p.window) return false;  // farthest key ahead
  }
  return true;
}

AIPROD_DI float ld_f32(const float* p, int64_t i) { return p[i]; }
AIPROD_DI float ld_f32(const uint16_t* p, int64_t i) { return bf16_to_f32(p[i]); }
AIPROD_DI void st_f32(float* p, int64_t i, float v) { p[i] = v; }
AIPROD_DI void st_f32(uint16_t* p, int64_t i, float v) { p[i] = f32_to_bf16(v); }

// ---------------------------------------------------------------------------------------------------------
// bf16 tensor-core kernel
constexpr int kBM = 64, kBN = 64, kTcThreads = 128;

// Element offset of (row, 8-column chunk ch) in a swizzled tile of D columns.
template <int D>
AIPROD_DI int swz(int row, int ch) {
  return row * D + ((ch ^ (row & 7)) << 3);
}

// One 16-byte chunk (8 bf16) of global row r (< n) of a [n, D] matrix into shared memory; r >= n: zeros.
template <int D, bool kAsync>
AIPROD_DI void load_chunk(uint16_t* dst, const uint16_t* g, int64_t r, int64_t n, int ch) {
  const bool ok = r < n;
  const uint16_t* src = g + (ok ? r * D + ch * 8 : 0);
  if (kAsync) {
    cp_async_16(dst, src, ok ? 16u : 0u);
  } else {
    ATTN_UNROLL
    for (int e = 0; e < 8; ++e) dst[e] = ok ? src[e] : uint16_t(0);
  }
}

// rows x D bf16 tile from global rows [r0, r0 + rows) of a [n, D] matrix; rows past n are zero-filled.
template <int D, bool kAsync>
AIPROD_DI void load_tile(uint16_t* tile, const uint16_t* g, int64_t r0, int64_t n, int rows) {
  constexpr int kChunks = D / 8;
  for (int c = threadIdx.x; c < rows * kChunks; c += kTcThreads) {
    const int r = c / kChunks, ch = c % kChunks;
    load_chunk<D, kAsync>(tile + swz<D>(r, ch), g, r0 + r, n, ch);
  }
}

// What the mma.sync and wgmma kernels share: the block's place in the problem, the softmax and the epilogue.
// Both keep S and O in the mma.m16n8k16 C layout per 8 columns: fragment n holds columns 8n + 2t + (e & 1) of
// rows r0 (e < 2) and r1 (e >= 2); sfrag/ofrag map (n, e) onto each kernel's register arrays (compile-time
// indices once unrolled).
AIPROD_DI float& sfrag(float (&s)[kBN / 8][4], int n, int e) { return s[n][e]; }   // mma.sync S
template <int N>  // kBN / 2
AIPROD_DI float& sfrag(float (&s)[N], int n, int e) { return s[4 * n + e]; }  // wgmma S (m64n64 D)
template <int D>
AIPROD_DI float& ofrag(float (&o)[D / 8][4], int n, int e) { return o[n][e]; }  // mma.sync O
template <int D>
AIPROD_DI float& ofrag(float (&o)[D / 64][32], int n, int e) { return o[n >> 3][4 * (n & 7) + e]; }  // wgmma O

struct TcBlock {
  int warp, lane, g, t;
  int64_t i0, i1, bh, t_lo, t_hi;
  int64_t r0, r1;  // this thread's two query rows
  const uint16_t *qg, *kg, *vg;
  const float* bias;
  float scale_log2;
  float m0, m1, l0, l1;  // running max (log2 units) and per-thread partial sums of rows r0 and r1
};

template <int D>
AIPROD_DI TcBlock tc_block(const AttnParams& p) {
  TcBlock k;
  const int tid = threadIdx.x;
  k.warp = tid >> 5;
  k.lane = tid & 31;
  k.g = k.lane >> 2;
  k.t = k.lane & 3;
  // causal: the last query tiles (the most key tiles) are scheduled first, so they do not trail at the end
  const int64_t qt = p.causal ? int64_t(gridDim.x) - 1 - blockIdx.x : int64_t(blockIdx.x);
  const int64_t h = blockIdx.y, b = blockIdx.z, kvh = h / p.group;
  k.i0 = qt * kBM;
  k.bh = b * p.heads + h;
  k.qg = static_cast<const uint16_t*>(p.q) + k.bh * p.nq * D;
  k.kg = static_cast<const uint16_t*>(p.k) + (b * p.kv_heads + kvh) * p.nk * D;
  k.vg = static_cast<const uint16_t*>(p.v) + (b * p.kv_heads + kvh) * p.nk * D;
  k.bias = p.bias ? p.bias + b * p.bias_sb + h * p.bias_sh : nullptr;
  k.scale_log2 = p.scale * kLog2e;
  k.i1 = k.i0 + kBM < p.nq ? k.i0 + kBM : p.nq;
  int64_t lo, hi;
  key_range(p, k.i0, k.i1, &lo, &hi);
  k.t_lo = lo / kBN;
  k.t_hi = lo < hi ? (hi + kBN - 1) / kBN : k.t_lo;
  k.r0 = k.i0 + k.warp * 16 + k.g;
  k.r1 = k.r0 + 8;
  k.m0 = k.m1 = -INFINITY;
  k.l0 = k.l1 = 0.f;
  return k;
}

// This warp's Q rows as ldmatrix A fragments from the swizzled Q tile.
template <int D>
AIPROD_DI void load_q_frags(uint32_t (&qf)[D / 16][4], const uint16_t* Qs, const TcBlock& k) {
  ATTN_UNROLL
  for (int kk = 0; kk < D / 16; ++kk) {
    const int row = k.warp * 16 + (k.lane & 7) + (((k.lane >> 3) & 1) << 3);
    ldmatrix_x4(qf[kk], Qs + swz<D>(row, kk * 2 + (k.lane >> 4)));
  }
}

// Key tile kt's scores S to log2 units with the masks and bias, then the online softmax: S becomes P (unnormalized,
// relative to the new running max), l and O are rescaled.
template <int D, class S, class O>
AIPROD_DI void softmax_tile(const AttnParams& p, TcBlock& k, int64_t kt, S& s, O& o) {
  const int64_t j0 = kt * kBN;
  const bool masked = !tile_all_visible(p, k.i0, k.i1 - 1, j0, j0 + kBN - 1);
  const bool plain = !masked && !k.bias;
  float mx0 = -INFINITY, mx1 = -INFINITY;
  ATTN_UNROLL
  for (int n = 0; n < kBN / 8; ++n) {
    ATTN_UNROLL
    for (int e = 0; e < 4; ++e) {
      float x = sfrag(s, n, e) * k.scale_log2;
      if (!plain) {
        const int64_t i = e < 2 ? k.r0 : k.r1, j = j0 + n * 8 + 2 * k.t + (e & 1);
        if (masked && (j >= p.nk || !visible(p, i, j))) {
          x = -INFINITY;
        } else if (k.bias && i < p.nq) {
          x += k.bias[i * p.nk + j] * kLog2e;
        }
      }
      sfrag(s, n, e) = x;
    }
    mx0 = fmaxf(mx0, fmaxf(sfrag(s, n, 0), sfrag(s, n, 1)));
    mx1 = fmaxf(mx1, fmaxf(sfrag(s, n, 2), sfrag(s, n, 3)));
  }
  mx0 = fmaxf(mx0, __shfl_xor_sync(0xffffffffu, mx0, 1));
  mx0 = fmaxf(mx0, __shfl_xor_sync(0xffffffffu, mx0, 2));
  mx1 = fmaxf(mx1, __shfl_xor_sync(0xffffffffu, mx1, 1));
  mx1 = fmaxf(mx1, __shfl_xor_sync(0xffffffffu, mx1, 2));
  const float mn0 = fmaxf(k.m0, mx0), mn1 = fmaxf(k.m1, mx1);
  const float mu0 = mn0 == -INFINITY ? 0.f : mn0, mu1 = mn1 == -INFINITY ? 0.f : mn1;  // all masked so far
  const float alpha0 = fast_exp2(k.m0 - mu0), alpha1 = fast_exp2(k.m1 - mu1);
  k.m0 = mn0;
  k.m1 = mn1;
  float sum0 = 0.f, sum1 = 0.f;
  ATTN_UNROLL
  for (int n = 0; n < kBN / 8; ++n) {
    sfrag(s, n, 0) = fast_exp2(sfrag(s, n, 0) - mu0);
    sfrag(s, n, 1) = fast_exp2(sfrag(s, n, 1) - mu0);
    sfrag(s, n, 2) = fast_exp2(sfrag(s, n, 2) - mu1);
    sfrag(s, n, 3) = fast_exp2(sfrag(s, n, 3) - mu1);
    sum0 += sfrag(s, n, 0) + sfrag(s, n, 1);
    sum1 += sfrag(s, n, 2) + sfrag(s, n, 3);
  }
  k.l0 = k.l0 * alpha0 + sum0;  // per-thread partial sums; the quad reduces them at the end
  k.l1 = k.l1 * alpha1 + sum1;
  ATTN_UNROLL
  for (int n = 0; n < D / 8; ++n) {
    ofrag<D>(o, n, 0) *= alpha0;
    ofrag<D>(o, n, 1) *= alpha0;
    ofrag<D>(o, n, 2) *= alpha1;
    ofrag<D>(o, n, 3) *= alpha1;
  }
}

// P's bf16 A fragment for keys [16 ks, 16 ks + 16): the C fragments of two n8 tiles are the A fragment of a k16 step.
template <class S>
AIPROD_DI void p_frag(uint32_t (&a)[4], S& s, int ks) {
  a[0] = pack_bf16x2(sfrag(s, 2 * ks, 0), sfrag(s, 2 * ks, 1));
  a[1] = pack_bf16x2(sfrag(s, 2 * ks, 2), sfrag(s, 2 * ks, 3));
  a[2] = pack_bf16x2(sfrag(s, 2 * ks + 1, 0), sfrag(s, 2 * ks + 1, 1));
  a[3] = pack_bf16x2(sfrag(s, 2 * ks + 1, 2), sfrag(s, 2 * ks + 1, 3));
}

// O / l as bf16, staged through this warp's own 16 rows of the Q tile (its Q fragments are in registers).
template <int D, bool kAsync, class O>
AIPROD_DI void store_out(const AttnParams& p, TcBlock& k, O& o, uint16_t* Qs) {
  const int warp = k.warp, lane = k.lane, g = k.g, t = k.t;
  float l0 = k.l0, l1 = k.l1;
  l0 += __shfl_xor_sync(0xffffffffu, l0, 1);
  l0 += __shfl_xor_sync(0xffffffffu, l0, 2);
  l1 += __shfl_xor_sync(0xffffffffu, l1, 1);
  l1 += __shfl_xor_sync(0xffffffffu, l1, 2);
  const float inv0 = l0 > 0.f ? 1.f / l0 : 0.f, inv1 = l1 > 0.f ? 1.f / l1 : 0.f;  // l = 0: every key masked
  uint16_t* Ow = Qs + warp * 16 * D;
  ATTN_UNROLL
  for (int n = 0; n < D / 8; ++n) {
    const int col = n * 8 + 2 * t;
    *reinterpret_cast<uint32_t*>(Ow + swz<D>(g, col >> 3) + (col & 7)) =
        pack_bf16x2(ofrag<D>(o, n, 0) * inv0, ofrag<D>(o, n, 1) * inv0);
    *reinterpret_cast<uint32_t*>(Ow + swz<D>(g + 8, col >> 3) + (col & 7)) =
        pack_bf16x2(ofrag<D>(o, n, 2) * inv1, ofrag<D>(o, n, 3) * inv1);
  }
  __syncwarp();
  uint16_t* og = static_cast<uint16_t*>(p.out) + k.bh * p.nq * D;
  constexpr int kChunks = D / 8;
  for (int c = lane; c < 16 * kChunks; c += 32) {
    const int r = c / kChunks, ch = c % kChunks;
    const int64_t i = k.i0 + warp * 16 + r;
    if (i >= p.nq) continue;
    const uint16_t* src = Ow + swz<D>(r, ch);
    uint16_t* dst = og + i * D + ch * 8;
    if (kAsync) {
      *reinterpret_cast<uint4*>(dst) = *reinterpret_cast<const uint4*>(src);
    } else {
      ATTN_UNROLL
      for (int e = 0; e < 8; ++e) dst[e] = src[e];
    }
  }
}

// kAsync: q, k, v, out all 16-byte aligned (cp.async and 16-byte stores); else plain 2-byte accesses.
// kAsync: q, k, v, out all 16-byte aligned (cp.async and 16-byte stores); else plain 2-byte accesses.
template <int D, bool kAsync>
__global__ void __launch_bounds__(kTcThreads) attention_bf16_tc_kernel(AttnParams p) {
  AIPROD_DYNAMIC_SMEM(uint16_t, smem);
  uint16_t* Qs = smem;               // [kBM][D]
  uint16_t* Ks = Qs + kBM * D;       // 2 x [kBN][D]
  uint16_t* Vs = Ks + 2 * kBN * D;   // 2 x [kBN][D]
  TcBlock k = tc_block<D>(p);
  const int lane = k.lane;
  const int64_t t_lo = k.t_lo, t_hi = k.t_hi;

  float o[D / 8][4];
  ATTN_UNROLL
  for (int n = 0; n < D / 8; ++n) o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.f;
  uint32_t qf[D / 16][4];

  if (t_lo < t_hi) {
    load_tile<D, kAsync>(Qs, k.qg, k.i0, p.nq, kBM);
    load_tile<D, kAsync>(Ks, k.kg, t_lo * kBN, p.nk, kBN);
    cp_async_commit();
    load_tile<D, kAsync>(Vs, k.vg, t_lo * kBN, p.nk, kBN);
    cp_async_commit();
    for (int64_t kt = t_lo; kt < t_hi; ++kt) {
      const int buf = int((kt - t_lo) & 1);
      const uint16_t* Kb = Ks + buf * kBN * D;
      const uint16_t* Vb = Vs + buf * kBN * D;
      cp_async_wait<1>();  // K[kt] (and Q) landed; V[kt] may still be in flight
      __syncthreads();     // ... for every thread; and S of kt-1 is done with the other K buffer
      if (kt == t_lo) load_q_frags<D>(qf, Qs, k);
      if (kt + 1 < t_hi) load_tile<D, kAsync>(Ks + (buf ^ 1) * kBN * D, k.kg, (kt + 1) * kBN, p.nk, kBN);
      cp_async_commit();

      // S = Q K^T: 16 rows x 64 keys per warp
      float s[kBN / 8][4];
      ATTN_UNROLL
      for (int n = 0; n < kBN / 8; ++n) s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.f;
      ATTN_UNROLL
      for (int kk = 0; kk < D / 16; ++kk) {
        ATTN_UNROLL
        for (int np = 0; np < kBN / 16; ++np) {
          uint32_t kb[4];
          const int row = np * 16 + (lane & 7) + ((lane >> 4) << 3);
          ldmatrix_x4(kb, Kb + swz<D>(row, kk * 2 + ((lane >> 3) & 1)));
          const uint32_t b0[2] = {kb[0], kb[1]}, b1[2] = {kb[2], kb[3]};
          mma_bf16_16816(s[2 * np], qf[kk], b0, s[2 * np]);
          mma_bf16_16816(s[2 * np + 1], qf[kk], b1, s[2 * np + 1]);
        }
      }

      softmax_tile<D>(p, k, kt, s, o);

      cp_async_wait<1>();  // V[kt] landed (K[kt+1] may still be in flight)
      __syncthreads();     // ... for every thread; and P V of kt-1 is done with the other V buffer
      if (kt + 1 < t_hi) load_tile<D, kAsync>(Vs + (buf ^ 1) * kBN * D, k.vg, (kt + 1) * kBN, p.nk, kBN);
      cp_async_commit();

      // O += P V: P's bf16 A fragments straight from the S accumulators
      ATTN_UNROLL
      for (int ks = 0; ks < kBN / 16; ++ks) {
        uint32_t a[4];
        p_frag(a, s, ks);
        ATTN_UNROLL
        for (int dp = 0; dp < D / 16; ++dp) {
          uint32_t vb[4];
          const int row = ks * 16 + (lane & 7) + (((lane >> 3) & 1) << 3);
          ldmatrix_x4_trans(vb, Vb + swz<D>(row, dp * 2 + (lane >> 4)));
          const uint32_t b0[2] = {vb[0], vb[1]}, b1[2] = {vb[2], vb[3]};
          mma_bf16_16816(o[2 * dp], a, b0, o[2 * dp]);
          mma_bf16_16816(o[2 * dp + 1], a, b1, o[2 * dp + 1]);
        }
      }
    }
    cp_async_wait<0>();
  }
  store_out<D, kAsync>(p, k, o, Qs);
}

// ---------------------------------------------------------------------------------------------------------
// sm_90a wgmma kernel (bf16, D 64 / 128): the tensor-core kernel above with S = Q K^T and O += P V as warpgroup
// MMAs. One warpgroup (128 threads) per 64 query rows; warp w' owns rows 16w'..16w'+15 of S and O, in the same
// per-thread layout as the mma.sync kernel (wgmma's D fragment is mma.m16n8k16's C per 8 columns, its register
// A fragment is mma's A), so the softmax, P's bf16 packing and the epilogue are unchanged. Q: ldmatrix A
// fragments (registers) from the swizzled tile; K and V tiles: cp.async double buffering (no TMA, no producer
// warps) into the no-swizzle canonical layout of ptx.h, stored as 8x8 atoms of 128 contiguous bytes: element
// (row, col) at atom (row / 8) * (D / 8) + col / 8, offset (row % 8) * 8 + col % 8 (elements). The same bytes
// are K-major B for S = Q K^T (N = keys: SBO = 16 D bytes between key atoms, LBO = 128 bytes between d atoms)
// and N-major B for O += P V (K = keys: LBO = 16 D bytes; N = d: SBO = 128 bytes). S: D/16 wgmma m64n64k16
// (one commit group, waited for before the softmax); O: 4 x D/64 wgmma m64n64k16. No overlap of the softmax
// with the next S (FA3's intra-warpgroup pipelining) yet. Same shared memory as the mma.sync kernel.
// The device code exists only in the sm_90a binary; the sm_80 binary traps if it were ever launched.
template <int D>
AIPROD_DI int atom_off(int row, int col8) {
  return ((row >> 3) * (D / 8) + col8) * 64 + (row & 7) * 8;
}

// rows x D bf16 tile from global rows [r0, r0 + rows) into the atom layout; rows past n are zero-filled. Thread
// chunks are numbered in shared-memory order (8 consecutive chunks: one atom, 128 contiguous bytes), so a warp's
// cp.async stores are conflict-free and its global reads cover whole 64-byte row pieces.
template <int D, bool kAsync>
AIPROD_DI void load_tile_atoms(uint16_t* tile, const uint16_t* g, int64_t r0, int64_t n, int rows) {
  constexpr int kChunks = D / 8;
  for (int c = threadIdx.x; c < rows * kChunks; c += kTcThreads) {
    const int atom = c >> 3, r = (atom / kChunks) * 8 + (c & 7), ch = atom % kChunks;
    load_chunk<D, kAsync>(tile + c * 8, g, r0 + r, n, ch);
  }
}

template <int D, bool kAsync>
__global__ void __launch_bounds__(kTcThreads) attention_bf16_wgmma_kernel(AttnParams p) {
#if !defined(__CUDA_ARCH__) || defined(__CUDA_ARCH_FEAT_SM90_ALL)
  AIPROD_DYNAMIC_SMEM(uint16_t, smem);
  uint16_t* Qs = smem;               // [kBM][D], swizzled as the mma.sync kernel's
  uint16_t* Ks = Qs + kBM * D;       // 2 x [kBN][D] in atoms
  uint16_t* Vs = Ks + 2 * kBN * D;   // 2 x [kBN][D] in atoms
  TcBlock k = tc_block<D>(p);
  const int64_t t_lo = k.t_lo, t_hi = k.t_hi;

  // o[c][r]: columns 64c + 8(r >> 2) + 2t + (r & 1), row r0 or r1 by bit 1 of r (wgmma D layout)
  float o[D / 64][32];
  ATTN_UNROLL
  for (int c = 0; c < D / 64; ++c) {
    ATTN_UNROLL
    for (int r = 0; r < 32; ++r) o[c][r] = 0.f;
  }
  uint32_t qf[D / 16][4];

  if (t_lo < t_hi) {
    load_tile<D, kAsync>(Qs, k.qg, k.i0, p.nq, kBM);
    load_tile_atoms<D, kAsync>(Ks, k.kg, t_lo * kBN, p.nk, kBN);
    cp_async_commit();
    load_tile_atoms<D, kAsync>(Vs, k.vg, t_lo * kBN, p.nk, kBN);
    cp_async_commit();
    for (int64_t kt = t_lo; kt < t_hi; ++kt) {
      const int buf = int((kt - t_lo) & 1);
      const uint16_t* Kb = Ks + buf * kBN * D;
      const uint16_t* Vb = Vs + buf * kBN * D;
      cp_async_wait<1>();  // K[kt] (and Q) landed; V[kt] may still be in flight
      fence_proxy_async_shared();  // ... and visible to wgmma's async proxy
      __syncthreads();     // ... for every thread; and S of kt-1 is done with the other K buffer
      if (kt == t_lo) load_q_frags<D>(qf, Qs, k);
      if (kt + 1 < t_hi) load_tile_atoms<D, kAsync>(Ks + (buf ^ 1) * kBN * D, k.kg, (kt + 1) * kBN, p.nk, kBN);
      cp_async_commit();

      // S = Q K^T: 64 rows x 64 keys per warpgroup, K-major B (keys along N)
      float s[kBN / 2];
      ATTN_UNROLL
      for (int r = 0; r < kBN / 2; ++r) s[r] = 0.f;
      wgmma_fence_operand(s);
      wgmma_fence();
      ATTN_UNROLL
      for (int kk = 0; kk < D / 16; ++kk) {
        wgmma_m64n64k16_bf16_rs<0>(s, qf[kk], wgmma_desc(Kb + atom_off<D>(0, 2 * kk), 128, 16 * D), kk > 0);
      }
      wgmma_commit_group();
      wgmma_wait_group<0>();
      wgmma_fence_operand(s);

      softmax_tile<D>(p, k, kt, s, o);  // s[4n + e]: the mma.sync kernel's s[n][e]

      cp_async_wait<1>();  // V[kt] landed (K[kt+1] may still be in flight)
      fence_proxy_async_shared();
      __syncthreads();     // ... for every thread; and P V of kt-1 is done with the other V buffer
      if (kt + 1 < t_hi) load_tile_atoms<D, kAsync>(Vs + (buf ^ 1) * kBN * D, k.vg, (kt + 1) * kBN, p.nk, kBN);
      cp_async_commit();

      // O += P V: P's bf16 A fragments straight from the S accumulators; V as N-major B (d along N)
      ATTN_UNROLL
      for (int c = 0; c < D / 64; ++c) wgmma_fence_operand(o[c]);
      wgmma_fence();
      ATTN_UNROLL
      for (int ks = 0; ks < kBN / 16; ++ks) {
        uint32_t a[4];
        p_frag(a, s, ks);
        ATTN_UNROLL
        for (int c = 0; c < D / 64; ++c) {
          wgmma_m64n64k16_bf16_rs<1>(o[c], a, wgmma_desc(Vb + atom_off<D>(16 * ks, 8 * c), 16 * D, 128), true);
        }
      }
      wgmma_commit_group();
      wgmma_wait_group<0>();
      ATTN_UNROLL
      for (int c = 0; c < D / 64; ++c) wgmma_fence_operand(o[c]);
    }
    cp_async_wait<0>();
  }

  store_out<D, kAsync>(p, k, o, Qs);
#else
  (void)p;
  __trap();  // the sm_80 binary: never launched (the launcher picks this kernel only on compute capability 9.0)
#endif
}

// ---------------------------------------------------------------------------------------------------------
// SIMT kernel: f32 products and softmax. 128 threads, 64 query rows x 32-key tiles, in 4 x 4 register tiles:
// thread (ty = tid / 8, tx = tid % 8) computes the scores of rows ty + 16a and keys tx + 8c (a, c < 4), so each
// shared load feeds 2 FMAs (a row-per-thread layout feeds ~1); the 8 threads of a row (consecutive lanes) reduce
// its max and sum by shuffles, and the same thread owns output features tx + 8u of its 4 rows (u < kDu =
// ceil(d / 8) at most). Shared rows have an odd stride, so the 4 rows or keys a warp reads at one feature fall in
// distinct banks.
constexpr int kSq = 64, kSk = 32, kSimtThreads = 128;

template <class T, int kDu>
__global__ void __launch_bounds__(kSimtThreads) attention_simt_kernel(AttnParams p) {
  AIPROD_DYNAMIC_SMEM(float, smem);
  const int d = int(p.d), ld = d | 1;
  constexpr int kLp = kSk + 1;
  float* Qs = smem;             // [kSq][ld]
  float* Ks = Qs + kSq * ld;    // [kSk][ld]
  float* Vs = Ks + kSk * ld;    // [kSk][ld]
  float* Ps = Vs + kSk * ld;    // [kSq][kLp]
  const int tid = threadIdx.x, ty = tid >> 3, tx = tid & 7;
  const int64_t qt = p.causal ? int64_t(gridDim.x) - 1 - blockIdx.x : int64_t(blockIdx.x);
  const int64_t i0 = qt * kSq, h = blockIdx.y, b = blockIdx.z, kvh = h / p.group;
  const int64_t bh = b * p.heads + h;
  const T* qg = static_cast<const T*>(p.q) + bh * p.nq * d;
  const T* kg = static_cast<const T*>(p.k) + (b * p.kv_heads + kvh) * p.nk * d;
  const T* vg = static_cast<const T*>(p.v) + (b * p.kv_heads + kvh) * p.nk * d;
  const float* bias = p.bias ? p.bias + b * p.bias_sb + h * p.bias_sh : nullptr;

  const int64_t i1 = i0 + kSq < p.nq ? i0 + kSq : p.nq;
  int64_t lo, hi;
  key_range(p, i0, i1, &lo, &hi);
  const int64_t t_lo = lo / kSk, t_hi = lo < hi ? (hi + kSk - 1) / kSk : t_lo;

  for (int e = tid; e < kSq * d; e += kSimtThreads) {  // the Q tile's rows are contiguous in global memory
    const int rr = e / d, c = e % d;
    Qs[rr * ld + c] = i0 + rr < p.nq ? ld_f32(qg, (i0 + rr) * d + c) : 0.f;
  }
  float o[4][kDu];
  float m[4], l[4];
  ATTN_UNROLL
  for (int a = 0; a < 4; ++a) {
    m[a] = -INFINITY;
    l[a] = 0.f;
    ATTN_UNROLL
    for (int u = 0; u < kDu; ++u) o[a][u] = 0.f;
  }

  for (int64_t kt = t_lo; kt < t_hi; ++kt) {
    const int64_t j0 = kt * kSk;
    __syncthreads();  // the previous tile is consumed (and Q is stored, on the first)
    for (int e = tid; e < kSk * d; e += kSimtThreads) {
      const int rr = e / d, c = e % d;
      const bool ok = j0 + rr < p.nk;
      Ks[rr * ld + c] = ok ? ld_f32(kg, (j0 + rr) * d + c) : 0.f;
      Vs[rr * ld + c] = ok ? ld_f32(vg, (j0 + rr) * d + c) : 0.f;
    }
    __syncthreads();
    float s[4][4];
    ATTN_UNROLL
    for (int a = 0; a < 4; ++a) {
      ATTN_UNROLL
      for (int c = 0; c < 4; ++c) s[a][c] = 0.f;
    }
    for (int f = 0; f < d; ++f) {
      float qv[4], kv[4];
      ATTN_UNROLL
      for (int a = 0; a < 4; ++a) qv[a] = Qs[(ty + 16 * a) * ld + f];
      ATTN_UNROLL
      for (int c = 0; c < 4; ++c) kv[c] = Ks[(tx + 8 * c) * ld + f];
      ATTN_UNROLL
      for (int a = 0; a < 4; ++a) {
        ATTN_UNROLL
        for (int c = 0; c < 4; ++c) s[a][c] += qv[a] * kv[c];
      }
    }
    ATTN_UNROLL
    for (int a = 0; a < 4; ++a) {
      const int64_t i = i0 + ty + 16 * a;
      float mx = -INFINITY;
      ATTN_UNROLL
      for (int c = 0; c < 4; ++c) {
        const int64_t j = j0 + tx + 8 * c;
        float x = p.scale * s[a][c];
        if (i >= p.nq || j >= p.nk || !visible(p, i, j)) {
          x = -INFINITY;
        } else if (bias) {
          x += bias[i * p.nk + j];
        }
        s[a][c] = x;
        mx = fmaxf(mx, x);
      }
      mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
      mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
      mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 4));
      const float mn = fmaxf(m[a], mx);
      const float mu = mn == -INFINITY ? 0.f : mn;  // every key masked so far
      const float alpha = expf(m[a] - mu);
      m[a] = mn;
      float sum = 0.f;
      ATTN_UNROLL
      for (int c = 0; c < 4; ++c) {
        const float e = expf(s[a][c] - mu);
        sum += e;
        Ps[(ty + 16 * a) * kLp + tx + 8 * c] = e;
      }
      l[a] = l[a] * alpha + sum;  // per-thread partial; the row's 8 threads reduce it at the end
      ATTN_UNROLL
      for (int u = 0; u < kDu; ++u) o[a][u] *= alpha;
    }
    __syncwarp();  // a row's 8 threads are in this warp
    for (int jj = 0; jj < kSk; ++jj) {
      float pv[4];
      ATTN_UNROLL
      for (int a = 0; a < 4; ++a) pv[a] = Ps[(ty + 16 * a) * kLp + jj];
      const float* vr = Vs + jj * ld + tx;
      ATTN_UNROLL
      for (int u = 0; u < kDu; ++u) {
        if (tx + 8 * u < d) {
          const float vv = vr[8 * u];
          ATTN_UNROLL
          for (int a = 0; a < 4; ++a) o[a][u] += pv[a] * vv;
        }
      }
    }
  }
  ATTN_UNROLL
  for (int a = 0; a < 4; ++a) {
    float la = l[a];
    la += __shfl_xor_sync(0xffffffffu, la, 1);
    la += __shfl_xor_sync(0xffffffffu, la, 2);
    la += __shfl_xor_sync(0xffffffffu, la, 4);
    const float inv = la > 0.f ? 1.f / la : 0.f;  // l = 0: every key masked
    const int64_t i = i0 + ty + 16 * a;
    if (i < p.nq) {
      T* og = static_cast<T*>(p.out) + (bh * p.nq + i) * d;
      ATTN_UNROLL
      for (int u = 0; u < kDu; ++u) {
        if (tx + 8 * u < d) st_f32(og, tx + 8 * u, o[a][u] * inv);
      }
    }
  }
}

template <class T>
void launch_simt(const AttnParams& p, dim3 grid, Stream st) {
  const int ld = int(p.d) | 1;
  const size_t smem = (size_t(kSq + 2 * kSk) * ld + size_t(kSq) * (kSk + 1)) * sizeof(float);
  const bool bf = sizeof(T) == 2;
  if (p.d <= 64) {
    launch(bf ? "attention_simt_bf16_d64" : "attention_simt_f32_d64", attention_simt_kernel<T, 8>, grid,
           dim3(kSimtThreads), smem, st, p);
  } else if (p.d <= 128) {
    launch(bf ? "attention_simt_bf16_d128" : "attention_simt_f32_d128", attention_simt_kernel<T, 16>, grid,
           dim3(kSimtThreads), smem, st, p);
  } else {
    launch(bf ? "attention_simt_bf16_d256" : "attention_simt_f32_d256", attention_simt_kernel<T, 32>, grid,
           dim3(kSimtThreads), smem, st, p);
  }
}

bool aligned16(const void* ptr) { return (reinterpret_cast<uintptr_t>(ptr) & 15) == 0; }

enum class Path { wgmma, mma, simt };

// Device 0's compute capability and whether it is the emulation, queried once through the runtime.
struct DeviceKind {
  int cc;
  bool emulated;
};
const DeviceKind& device_kind() {
  static const DeviceKind kind = [] {
    const aiprod_cuda_device_info info = rt::device_info(0);
    return DeviceKind{info.cc_major * 10 + info.cc_minor, info.emulated != 0};
  }();
  return kind;
}

// The bf16 (d 64 / 128) path: AIPROD_CUDA_ATTENTION=wgmma|mma|simt forces one (read at every call), else wgmma
// on compute capability 9.0 (the sm_90a binary) and mma.sync elsewhere.
Path bf16_path() {
  const char* e = std::getenv("AIPROD_CUDA_ATTENTION");
  const std::string want = e ? e : "";
  if (want == "simt") return Path::simt;
  if (want == "mma") return Path::mma;
  const DeviceKind& dev = device_kind();
  if (want == "wgmma") {
    // The emulation executes sm_90a instructions whatever compute capability it reports.
    if (dev.cc != 90 && !dev.emulated) {
      invalid_argument("attention: AIPROD_CUDA_ATTENTION=wgmma needs compute capability 9.0 (sm_90a), this device "
                       "has " + std::to_string(dev.cc / 10) + "." + std::to_string(dev.cc % 10) +
                       "; unset it or use mma or simt");
    }
    return Path::wgmma;
  }
  if (!want.empty() && want != "auto") {
    invalid_argument("attention: AIPROD_CUDA_ATTENTION=" + want + " is not a path; use wgmma, mma, simt or auto");
  }
  return dev.cc == 90 ? Path::wgmma : Path::mma;
}

}  // namespace

void attention(const aiprod_cuda_attention_args& a, void* stream) {
  const std::string shapes = "q [" + std::to_string(a.batch) + "," + std::to_string(a.heads) + "," +
                             std::to_string(a.nq) + "," + std::to_string(a.d) + "], k/v [" + std::to_string(a.batch) +
                             "," + std::to_string(a.kv_heads) + "," + std::to_string(a.nk) + "," +
                             std::to_string(a.d) + "]";
  if (a.dtype != AIPROD_CUDA_F32 && a.dtype != AIPROD_CUDA_BF16) {
    invalid_argument(std::string("attention: dtype ") + dtype_name(a.dtype) + " (" + std::to_string(a.dtype) +
                     ") is not supported; q/k/v/out must be f32 or bf16");
  }
  if (a.kv_heads == 0 || a.heads % a.kv_heads != 0) {
    invalid_argument("attention: heads (" + std::to_string(a.heads) + ") must be a positive multiple of kv_heads (" +
                     std::to_string(a.kv_heads) + ") for grouped-query attention; " + shapes);
  }
  if (a.d > 256) {
    invalid_argument("attention: head dim d = " + std::to_string(a.d) + " is not supported (at most 256); " + shapes);
  }
  if (a.batch > 65535 || a.heads > 65535) {
    invalid_argument("attention: batch (" + std::to_string(a.batch) + ") and heads (" + std::to_string(a.heads) +
                     ") must each be at most 65535; " + shapes);
  }
  if (a.nq > (size_t(1) << 35) || a.nk > (size_t(1) << 35)) {
    invalid_argument("attention: nq/nk too large; " + shapes);
  }
  if (a.batch == 0 || a.heads == 0 || a.nq == 0 || a.d == 0) return;  // empty output
  if (!a.q || !a.out) invalid_argument("attention: null q or out pointer; " + shapes);
  if (a.nk > 0 && (!a.k || !a.v)) invalid_argument("attention: null k or v pointer with nk > 0; " + shapes);

  AttnParams p;
  p.q = a.q, p.k = a.k, p.v = a.v, p.out = a.out;
  p.bias = a.nk > 0 ? a.bias : nullptr;
  p.bias_sb = int64_t(a.bias_stride_b), p.bias_sh = int64_t(a.bias_stride_h);
  p.heads = int64_t(a.heads), p.kv_heads = int64_t(a.kv_heads), p.group = int64_t(a.heads / a.kv_heads);
  p.nq = int64_t(a.nq), p.nk = int64_t(a.nk), p.d = int64_t(a.d);
  p.scale = a.scale;
  p.causal = a.causal ? 1 : 0;
  p.window = int64_t(a.window);
  Stream st = static_cast<Stream>(stream);

  const Path path = a.dtype == AIPROD_CUDA_BF16 && (a.d == 64 || a.d == 128) ? bf16_path() : Path::simt;
  if (path == Path::wgmma) {
    const dim3 grid(ceil_div(a.nq, kBM), unsigned(a.heads), unsigned(a.batch));
    const bool al = aligned16(a.q) && aligned16(a.out) && (a.nk == 0 || (aligned16(a.k) && aligned16(a.v)));
    const size_t smem = size_t(kBM + 4 * kBN) * a.d * sizeof(uint16_t);
    if (a.d == 64) {
      if (al) launch("attention_bf16_wgmma_d64", attention_bf16_wgmma_kernel<64, true>, grid, dim3(kTcThreads), smem, st, p);
      else launch("attention_bf16_wgmma_d64_unaligned", attention_bf16_wgmma_kernel<64, false>, grid, dim3(kTcThreads), smem, st, p);
    } else {
      if (al) launch("attention_bf16_wgmma_d128", attention_bf16_wgmma_kernel<128, true>, grid, dim3(kTcThreads), smem, st, p);
      else launch("attention_bf16_wgmma_d128_unaligned", attention_bf16_wgmma_kernel<128, false>, grid, dim3(kTcThreads), smem, st, p);
    }
    return;
  }
  if (path == Path::mma) {
    const dim3 grid(ceil_div(a.nq, kBM), unsigned(a.heads), unsigned(a.batch));
    const bool al = aligned16(a.q) && aligned16(a.out) && (a.nk == 0 || (aligned16(a.k) && aligned16(a.v)));
    const size_t smem = size_t(kBM + 4 * kBN) * a.d * sizeof(uint16_t);
    if (a.d == 64) {
      if (al) launch("attention_bf16_tc_d64", attention_bf16_tc_kernel<64, true>, grid, dim3(kTcThreads), smem, st, p);
      else launch("attention_bf16_tc_d64_unaligned", attention_bf16_tc_kernel<64, false>, grid, dim3(kTcThreads), smem, st, p);
    } else {
      if (al) launch("attention_bf16_tc_d128", attention_bf16_tc_kernel<128, true>, grid, dim3(kTcThreads), smem, st, p);
      else launch("attention_bf16_tc_d128_unaligned", attention_bf16_tc_kernel<128, false>, grid, dim3(kTcThreads), smem, st, p);
    }
    return;
  }
  const dim3 grid(ceil_div(a.nq, kSq), unsigned(a.heads), unsigned(a.batch));
  if (a.dtype == AIPROD_CUDA_BF16) launch_simt<uint16_t>(p, grid, st);
  else launch_simt<float>(p, grid, st);
}

}  // namespace aiprod_cuda
