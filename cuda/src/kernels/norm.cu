// Row-wise norms and statistics (aiprod_cuda_norm_args): rms_norm (optional weight), layer_norm (no affine),
// softmax, row mean, row std, pixel_norm and group_norm, with the CPU's formulas (native/kernels/pointwise/
// norm.cc): f32 math, variance two-pass (Σ(x − mean)², no E[x²] − mean² cancellation), 1/sqrt rounded once,
// y = (x·inv)·w for rms_norm and (x − mean)·a + b for the others.
//
// Rows of d <= 1024 go one warp per row (4 rows per 128-thread block, shuffle reductions); longer rows one
// block per row (256 threads, or 1024 beyond 8192) with a block reduction through shared memory. Rows of up to
// 8192 elements are staged once in shared memory as f32 (one read of x from global memory, one write of y,
// weight read in the same pass); longer rows are read again from global memory (L2) for each pass.
// f32/bf16 rows with d % 4 == 0 and aligned pointers move 4 elements per access (16 or 8 bytes).
// Kinds 7/8 (layer_norm / rms_norm then AdaLN modulation) are the same row kernel with the modulation
// y = n·(1 + scale) + shift applied to the f32 normalized value n in the output pass (scale and shift rows
// read there, 4-wide when aligned): the normalized row never goes to global memory and y is rounded once.
// n and the modulation round step by step as the CPU's layer_norm/rms_norm and ada_ln (no FMA contraction),
// so the fused op equals the CPU composition with an f32 intermediate up to the norm's reduction order.
// pixel_norm: one thread per (outer, inner) position walking the c channels (coalesced over inner); inner == 1
// is rms_norm over rows of c, as on the CPU. group_norm: one block per (batch, group) of cpg·inner contiguous
// elements, three passes (sum, Σ(x − mean)², write); few large groups are split into chunks over many blocks
// (per-chunk mean and M2 in a workspace from the stream-ordered allocator, merged exactly as Chan et al.).
#include <cmath>

#include "aiprod_cuda/kernel.h"
#include "aiprod_cuda/numerics.h"
#include "ops.h"
#include "pointwise_device.h"
#include "../runtime/runtime.h"

namespace aiprod_cuda {
namespace {

constexpr size_t kStageMax = 8192;  // f32 elements of a row staged in shared memory (32 KiB)

struct RowParams {
  int kind;
  const void* x;
  int xdt;
  const void* w;
  int wdt;
  void* y;
  int ydt;
  size_t rows, d;
  float eps;
  int unbiased;
  int stage;  // rows staged in shared memory
  // Modulation after the norm (kinds 7, 8; kind is then 1 or 0): tables of d-element rows, row (r / div) % count.
  int mod;
  const void* sc;
  int scdt;
  size_t sc_div, sc_count;
  const void* sh;
  int shdt;
  size_t sh_div, sh_count;
};

// y = n·(1 + scale) + shift, rounded step by step like the CPU's ada_ln.
AIPROD_DI float modulate1(float n, float scale, float shift) {
  return __fadd_rn(__fmul_rn(n, __fadd_rn(1.0f, scale)), shift);
}

// kBlock: one block per row (else one warp per row); kVec: 4-wide accesses (d % 4 == 0, aligned).
template <bool kBlock, bool kVec>
__global__ void norm_rows_kernel(RowParams p) {
  __shared__ float red[32];
  AIPROD_DYNAMIC_SMEM(float, smem);
  const unsigned nthr = kBlock ? blockDim.x : 32u;
  const unsigned tid = kBlock ? threadIdx.x : (threadIdx.x & 31u);
  const size_t row = kBlock ? size_t(blockIdx.x) : size_t(blockIdx.x) * (blockDim.x >> 5) + (threadIdx.x >> 5);
  if (row >= p.rows) return;  // warp mode only (whole warps): no barrier is skipped
  const size_t d = p.d, off = row * d;
  float* stage = p.stage ? smem + (kBlock ? 0 : (threadIdx.x >> 5) * d) : nullptr;
  const int kind = p.kind;
  // Every reduction is also the barrier that makes the staged row visible to the whole row's threads (passes
  // stride by 4·nthr or nthr, so a thread may read elements another one staged): __syncthreads in block_sum,
  // __syncwarp here for a warp.
  auto reduce_sum = [&](float v) {
    if (kBlock) return pw::block_sum(v, red);
    __syncwarp();
    return pw::warp_sum(v);
  };
  auto reduce_max = [&](float v) {
    if (kBlock) return pw::block_max(v, red);
    __syncwarp();
    return pw::warp_max(v);
  };
  // Element i of the row as f32 (staged copy when there is one).
  auto get = [&](size_t i) { return stage ? stage[i] : pw::ld(p.x, p.xdt, off + i); };
  // The modulation of the output pass (identity without tables): element i, and 4 from i (kVec only).
  const size_t so = p.mod ? (row / p.sc_div) % p.sc_count * d : 0, ho = p.mod ? (row / p.sh_div) % p.sh_count * d : 0;
  auto mod = [&](size_t i, float n) {
    return p.mod ? modulate1(n, pw::ld(p.sc, p.scdt, so + i), pw::ld(p.sh, p.shdt, ho + i)) : n;
  };
  auto mod4 = [&](size_t i, float* v) {
    if (!p.mod) return;
    float sc[4], sh[4];
    pw::ld4(p.sc, p.scdt, so + i, sc);
    pw::ld4(p.sh, p.shdt, ho + i, sh);
    for (int k = 0; k < 4; ++k) v[k] = modulate1(v[k], sc[k], sh[k]);
  };

  // Pass 1: read the row (staging it), accumulate Σx² (rms), max (softmax) or Σx (the others).
  float acc = kind == 2 ? -INFINITY : 0.0f;
  auto take = [&](float v) {
    if (kind == 0) acc += v * v;
    else if (kind == 2) acc = fmaxf(acc, v);
    else acc += v;
  };
  if (kVec) {
    for (size_t i = size_t(tid) * 4; i < d; i += size_t(nthr) * 4) {
      float v[4];
      pw::ld4(p.x, p.xdt, off + i, v);
      for (int k = 0; k < 4; ++k) {
        if (stage) stage[i + k] = v[k];
        take(v[k]);
      }
    }
  } else {
    for (size_t i = tid; i < d; i += nthr) {
      const float v = pw::ld(p.x, p.xdt, off + i);
      if (stage) stage[i] = v;
      take(v);
    }
  }
  const float fd = float(d);
  if (kind == 0) {
    const float inv = 1.0f / sqrtf(reduce_sum(acc) / fd + p.eps);
    auto out = [&](size_t i, float v) {
      const float s = v * inv;
      return p.w ? s * pw::ld(p.w, p.wdt, i) : s;
    };
    if (kVec) {
      for (size_t i = size_t(tid) * 4; i < d; i += size_t(nthr) * 4) {
        float v[4], w[4] = {1.f, 1.f, 1.f, 1.f};
        if (stage) {
          for (int k = 0; k < 4; ++k) v[k] = stage[i + k];
        } else {
          pw::ld4(p.x, p.xdt, off + i, v);
        }
        if (p.w) pw::ld4(p.w, p.wdt, i, w);
        for (int k = 0; k < 4; ++k) v[k] = p.w ? (v[k] * inv) * w[k] : v[k] * inv;
        mod4(i, v);
        pw::st4(p.y, p.ydt, off + i, v);
      }
    } else {
      for (size_t i = tid; i < d; i += nthr) pw::st(p.y, p.ydt, off + i, mod(i, out(i, get(i))));
    }
    return;
  }
  if (kind == 2) {
    const float m = reduce_max(acc);
    float s = 0.0f;
    for (size_t i = tid; i < d; i += nthr) {
      const float e = expf(get(i) - m);
      if (stage) stage[i] = e;
      s += e;
    }
    const float inv = 1.0f / reduce_sum(s);
    if (kVec) {
      for (size_t i = size_t(tid) * 4; i < d; i += size_t(nthr) * 4) {
        float v[4];
        for (int k = 0; k < 4; ++k) v[k] = (stage ? stage[i + k] : expf(pw::ld(p.x, p.xdt, off + i + k) - m)) * inv;
        pw::st4(p.y, p.ydt, off + i, v);
      }
    } else {
      for (size_t i = tid; i < d; i += nthr) pw::st(p.y, p.ydt, off + i, (stage ? stage[i] : expf(get(i) - m)) * inv);
    }
    return;
  }
  // layer_norm, mean, std: mean first, then Σ(x − mean)².
  const float mean = reduce_sum(acc) / fd;
  if (kind == 3) {
    if (tid == 0) pw::st(p.y, p.ydt, row, mean);
    return;
  }
  float ss = 0.0f;
  for (size_t i = tid; i < d; i += nthr) {
    const float c = get(i) - mean;
    ss += c * c;
  }
  ss = reduce_sum(ss);
  if (kind == 4) {
    // d − 1 = 0 gives 0/0 = NaN for a one-element unbiased std, as on the CPU (and PyTorch).
    if (tid == 0) pw::st(p.y, p.ydt, row, sqrtf(ss / (p.unbiased ? fd - 1.0f : fd)));
    return;
  }
  const float inv = 1.0f / sqrtf(ss / fd + p.eps);
  if (kVec) {
    for (size_t i = size_t(tid) * 4; i < d; i += size_t(nthr) * 4) {
      float v[4];
      for (int k = 0; k < 4; ++k) v[k] = __fmul_rn(get(i + k) - mean, inv);
      mod4(i, v);
      pw::st4(p.y, p.ydt, off + i, v);
    }
  } else {
    for (size_t i = tid; i < d; i += nthr) pw::st(p.y, p.ydt, off + i, mod(i, __fmul_rn(get(i) - mean, inv)));
  }
}

// pixel_norm over c of [outer, c, inner] (inner > 1): one thread per (o, s).
__global__ void pixel_norm_kernel(const void* x, int xdt, void* y, int ydt, size_t outer, size_t c, size_t inner,
                                  float eps) {
  const size_t n = outer * inner;
  for (size_t t = size_t(blockIdx.x) * blockDim.x + threadIdx.x; t < n; t += size_t(gridDim.x) * blockDim.x) {
    const size_t o = t / inner, s = t % inner, base = o * c * inner + s;
    float acc = 0.0f;
    for (size_t ch = 0; ch < c; ++ch) {
      const float v = pw::ld(x, xdt, base + ch * inner);
      acc += v * v;
    }
    const float inv = 1.0f / sqrtf(acc / float(c) + eps);
    for (size_t ch = 0; ch < c; ++ch) pw::st(y, ydt, base + ch * inner, pw::ld(x, xdt, base + ch * inner) * inv);
  }
}

// group_norm, one block per (batch, group) over its cpg·inner contiguous elements (groups small enough to
// keep the GPU busy this way).
__global__ void group_norm_kernel(const void* x, int xdt, const void* w, int wdt, const void* b, int bdt, void* y,
                                  int ydt, size_t channels, size_t groups, size_t inner, float eps) {
  __shared__ float red[32];
  const size_t g = blockIdx.x % groups, cpg = channels / groups, n = cpg * inner;
  const size_t base = size_t(blockIdx.x / groups) * channels * inner + g * cpg * inner;
  float s = 0.0f;
  for (size_t i = threadIdx.x; i < n; i += blockDim.x) s += pw::ld(x, xdt, base + i);
  const float mean = pw::block_sum(s, red) / float(n);
  float ss = 0.0f;
  for (size_t i = threadIdx.x; i < n; i += blockDim.x) {
    const float c = pw::ld(x, xdt, base + i) - mean;
    ss += c * c;
  }
  const float rstd = 1.0f / sqrtf(pw::block_sum(ss, red) / float(n) + eps);
  for (size_t i = threadIdx.x; i < n; i += blockDim.x) {
    const size_t ch = g * cpg + i / inner;
    const float a = w ? rstd * pw::ld(w, wdt, ch) : rstd;
    const float bb = b ? pw::ld(b, bdt, ch) : 0.0f;
    pw::st(y, ydt, base + i, __fadd_rn(__fmul_rn(pw::ld(x, xdt, base + i) - mean, a), bb));
  }
}

// Large groups (few of them: the VAE's 32 groups of 16 channels of a video) are split into chunks of `chunk`
// elements, one block each (blockIdx.x chunk, blockIdx.y group), so every SM gets work. Pass 1 writes each
// chunk's mean and Σ(x − chunk mean)² (two-pass within the chunk); pass 2 merges them (Chan et al.: M2 =
// Σ M2_c + Σ n_c·(mean_c − mean)², no cancellation) and normalizes its chunk.
__global__ void group_stats_kernel(const void* x, int xdt, float2* stats, size_t channels, size_t groups, size_t inner,
                                   size_t chunk) {
  __shared__ float red[32];
  const size_t g = blockIdx.y % groups, n = channels / groups * inner;
  const size_t base = size_t(blockIdx.y / groups) * channels * inner + g * (channels / groups) * inner;
  const size_t c0 = size_t(blockIdx.x) * chunk, nc = n - c0 < chunk ? n - c0 : chunk;
  float s = 0.0f;
  for (size_t i = threadIdx.x; i < nc; i += blockDim.x) s += pw::ld(x, xdt, base + c0 + i);
  const float mean = pw::block_sum(s, red) / float(nc);
  float ss = 0.0f;
  for (size_t i = threadIdx.x; i < nc; i += blockDim.x) {
    const float c = pw::ld(x, xdt, base + c0 + i) - mean;
    ss += c * c;
  }
  ss = pw::block_sum(ss, red);
  if (threadIdx.x == 0) {
    float2 v;
    v.x = mean, v.y = ss;
    stats[size_t(blockIdx.y) * gridDim.x + blockIdx.x] = v;
  }
}

__global__ void group_apply_kernel(const void* x, int xdt, const float2* stats, const void* w, int wdt, const void* b,
                                   int bdt, void* y, int ydt, size_t channels, size_t groups, size_t inner, size_t chunk,
                                   float eps) {
  __shared__ float red[32];
  const size_t g = blockIdx.y % groups, cpg = channels / groups, n = cpg * inner, chunks = gridDim.x;
  const size_t base = size_t(blockIdx.y / groups) * channels * inner + g * cpg * inner;
  const float2* st = stats + size_t(blockIdx.y) * chunks;
  // Every thread merges a strided share of the chunks; the block sums the shares.
  float s = 0.0f;
  for (size_t c = threadIdx.x; c < chunks; c += blockDim.x) {
    const size_t nc = n - c * chunk < chunk ? n - c * chunk : chunk;
    s += float(nc) * st[c].x;
  }
  const float mean = pw::block_sum(s, red) / float(n);
  float m2 = 0.0f;
  for (size_t c = threadIdx.x; c < chunks; c += blockDim.x) {
    const size_t nc = n - c * chunk < chunk ? n - c * chunk : chunk;
    const float dm = st[c].x - mean;
    m2 += st[c].y + float(nc) * dm * dm;
  }
  const float rstd = 1.0f / sqrtf(pw::block_sum(m2, red) / float(n) + eps);
  const size_t c0 = size_t(blockIdx.x) * chunk, nc = n - c0 < chunk ? n - c0 : chunk;
  for (size_t i = threadIdx.x; i < nc; i += blockDim.x) {
    const size_t ch = g * cpg + (c0 + i) / inner;
    const float a = w ? rstd * pw::ld(w, wdt, ch) : rstd;
    const float bb = b ? pw::ld(b, bdt, ch) : 0.0f;
    pw::st(y, ydt, base + c0 + i, __fadd_rn(__fmul_rn(pw::ld(x, xdt, base + c0 + i) - mean, a), bb));
  }
}

const char* kind_name(int k) {
  static const char* names[] = {"rms_norm",   "layer_norm", "softmax",  "row_mean", "row_std",
                                 "pixel_norm", "group_norm", "layer_norm_modulate", "rms_norm_modulate"};
  return k >= 0 && k <= 8 ? names[k] : "unknown";
}

void launch_rows(const RowParams& base, Stream st) {
  RowParams p = base;
  const bool vec = p.d % 4 == 0 && pw::vec_ok(p.x, p.xdt) && pw::vec_ok(p.y, p.ydt) && pw::vec_ok(p.w, p.wdt) &&
                   pw::vec_ok(p.sc, p.scdt) && pw::vec_ok(p.sh, p.shdt);
  if (p.d <= 1024) {
    p.stage = 1;
    const unsigned rows_per_block = 4;
    const dim3 grid(ceil_div(p.rows, rows_per_block)), block(32 * rows_per_block);
    const size_t smem = rows_per_block * p.d * sizeof(float);
    if (vec) launch("norm_rows_warp_vec", norm_rows_kernel<false, true>, grid, block, smem, st, p);
    else launch("norm_rows_warp", norm_rows_kernel<false, false>, grid, block, smem, st, p);
  } else {
    p.stage = p.d <= kStageMax;
    const dim3 grid(unsigned(p.rows)), block(p.d <= kStageMax ? 256 : 1024);
    const size_t smem = p.stage ? p.d * sizeof(float) : 0;
    if (vec) launch("norm_rows_block_vec", norm_rows_kernel<true, true>, grid, block, smem, st, p);
    else launch("norm_rows_block", norm_rows_kernel<true, false>, grid, block, smem, st, p);
  }
}

}  // namespace

void norm(const aiprod_cuda_norm_args& a, void* stream) {
  if (a.kind < 0 || a.kind > 8) {
    invalid_argument("norm: unknown kind " + std::to_string(a.kind) +
                     " (0 rms_norm, 1 layer_norm, 2 softmax, 3 row mean, 4 row std, 5 pixel_norm, 6 group_norm, "
                     "7 layer_norm_modulate, 8 rms_norm_modulate)");
  }
  const std::string name = std::string("norm ") + kind_name(a.kind);
  const bool fused = a.kind == 7 || a.kind == 8;  // only these read the fields after `unbiased` (see api.h)
  pw::need_float_dtype(name.c_str(), "x", a.x_dtype);
  pw::need_float_dtype(name.c_str(), "y", a.y_dtype);
  const bool has_w = (a.kind == 0 || a.kind == 6 || a.kind == 8) && a.weight;
  const bool has_b = a.kind == 6 && a.bias;
  if (has_w) pw::need_float_dtype(name.c_str(), "weight", a.weight_dtype);
  if (has_b) pw::need_float_dtype(name.c_str(), "bias", a.bias_dtype);
  if ((a.weight && !has_w) || (a.bias && !has_b)) {
    invalid_argument(name + ": takes no " + (a.weight && !has_w ? "weight" : "bias") +
                     " (weight: rms_norm, rms_norm_modulate and group_norm; bias: group_norm); pass NULL");
  }
  if (fused) {
    pw::need_float_dtype(name.c_str(), "scale", a.scale_dtype);
    pw::need_float_dtype(name.c_str(), "shift", a.shift_dtype);
    if (a.scale_div == 0 || a.scale_count == 0 || a.shift_div == 0 || a.shift_count == 0) {
      const bool s = a.scale_div == 0 || a.scale_count == 0;
      invalid_argument(name + ": " + (s ? "scale" : "shift") + "_div " + std::to_string(s ? a.scale_div : a.shift_div) +
                       " and " + (s ? "scale" : "shift") + "_count " + std::to_string(s ? a.scale_count : a.shift_count) +
                       " must be >= 1 (row r reads table row (r / div) % count; a table of one row: div 1, count 1)");
    }
  }
  Stream st = static_cast<Stream>(stream);
  if (a.kind <= 4 || fused) {
    const std::string shape = "rows " + std::to_string(a.rows) + " x d " + std::to_string(a.d);
    if (a.rows == 0) return;
    if (a.d == 0) invalid_argument(name + ": d is 0 for " + shape + " (a row needs at least one element)");
    if (a.rows > 0x7fffffffu) invalid_argument(name + ": " + shape + ": more than 2^31-1 rows");
    pw::need_ptr(name.c_str(), "x", a.x, shape);
    pw::need_ptr(name.c_str(), "y", a.y, shape);
    RowParams p{fused ? 8 - a.kind : a.kind, a.x, a.x_dtype, has_w ? a.weight : nullptr, a.weight_dtype, a.y, a.y_dtype,
                a.rows, a.d, a.eps, a.unbiased, 0};
    if (fused) {
      const std::string tables = shape + " (kinds 7 and 8 need scale and shift tables of d-element rows)";
      pw::need_ptr(name.c_str(), "scale", a.scale, tables);
      pw::need_ptr(name.c_str(), "shift", a.shift, tables);
      p.mod = 1;
      p.sc = a.scale, p.scdt = a.scale_dtype, p.sc_div = a.scale_div, p.sc_count = a.scale_count;
      p.sh = a.shift, p.shdt = a.shift_dtype, p.sh_div = a.shift_div, p.sh_count = a.shift_count;
    }
    launch_rows(p, st);
    return;
  }
  const std::string shape = std::string(a.kind == 5 ? "[outer " : "[batch ") + std::to_string(a.outer) + ", channels " +
                            std::to_string(a.channels) + ", inner " + std::to_string(a.inner) + "]" +
                            (a.kind == 6 ? ", groups " + std::to_string(a.groups) : std::string());
  if (a.channels == 0) invalid_argument(name + ": channels is 0 for " + shape);
  if (a.kind == 6) {
    if (a.groups == 0 || a.channels % a.groups != 0) {
      invalid_argument(name + ": groups " + std::to_string(a.groups) + " must divide channels " +
                       std::to_string(a.channels) + " (" + shape + ")");
    }
  }
  if (a.outer == 0 || a.inner == 0) return;
  pw::need_ptr(name.c_str(), "x", a.x, shape);
  pw::need_ptr(name.c_str(), "y", a.y, shape);
  if (a.kind == 5) {
    if (a.inner == 1) {  // channels are the contiguous last dim: rms_norm rows, as the CPU does
      launch_rows(RowParams{0, a.x, a.x_dtype, nullptr, 0, a.y, a.y_dtype, a.outer, a.channels, a.eps, 0, 0}, st);
      return;
    }
    const size_t n = a.outer * a.inner;
    launch("pixel_norm", pixel_norm_kernel, dim3(pw::stride_blocks(n, 256)), dim3(256), 0, st, a.x, a.x_dtype, a.y,
           a.y_dtype, a.outer, a.channels, a.inner, a.eps);
    return;
  }
  const size_t blocks = a.outer * a.groups;
  if (blocks > 0x7fffffffu) invalid_argument(name + ": " + shape + ": more than 2^31-1 groups in all");
  const size_t n = a.channels / a.groups * a.inner;
  const void* w = has_w ? a.weight : nullptr;
  const void* b = has_b ? a.bias : nullptr;
  // Chunks per group: enough blocks in all for a full GPU (~2 per SM of an H100), none under kMinChunk elements.
  constexpr size_t kMinChunk = 2048, kTargetBlocks = 264;
  size_t chunks = blocks >= kTargetBlocks || blocks > 65535 ? 1 : (kTargetBlocks + blocks - 1) / blocks;
  if (chunks > n / kMinChunk) chunks = n / kMinChunk;
  if (chunks <= 1) {
    const unsigned threads = n >= 8192 ? 1024 : n >= 1024 ? 256 : 64;
    launch("group_norm", group_norm_kernel, dim3(unsigned(blocks)), dim3(threads), 0, st, a.x, a.x_dtype, w,
           a.weight_dtype, b, a.bias_dtype, a.y, a.y_dtype, a.channels, a.groups, a.inner, a.eps);
    return;
  }
  const size_t chunk = (n + chunks - 1) / chunks;
  chunks = (n + chunk - 1) / chunk;
  float2* stats = static_cast<float2*>(rt::malloc(blocks * chunks * sizeof(float2), stream));
  try {
    const dim3 grid{unsigned(chunks), unsigned(blocks)}, block{256};
    launch("group_norm_stats", group_stats_kernel, grid, block, 0, st, a.x, a.x_dtype, stats, a.channels, a.groups,
           a.inner, chunk);
    launch("group_norm_apply", group_apply_kernel, grid, block, 0, st, a.x, a.x_dtype, static_cast<const float2*>(stats),
           w, a.weight_dtype, b, a.bias_dtype, a.y, a.y_dtype, a.channels, a.groups, a.inner, chunk, a.eps);
  } catch (...) {
    rt::free(stats, stream);
    throw;
  }
  rt::free(stats, stream);  // stream-ordered: reused only by work queued after the kernels
}

}  // namespace aiprod_cuda
