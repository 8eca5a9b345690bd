// Implicit-GEMM view of conv3d shared by the tensor-core and the SIMT f32 kernels (conv3d.cu):
//   A[m, k] = xpad[b, ci, to*s0 + dt, ho*s1 + dy, wo*s2 + dx]   m = ((b*To + to)*Ho + ho)*Wo + wo
//   B[k, n] = w[n, k]                                             k = ((ci*K0 + dt)*K1 + dy)*K2 + dx
//   out[b, n, to, ho, wo] = bias[n] + sum_k A[m, k] B[k, n]
// The padded input is never built: each element of A is gathered with the source index of
// aiprod::conv_out_size: (in + pad_front + pad_back - k) / stride + 1, or 0 when the kernel does not fit.
inline size_t out_size(size_t in, size_t pf, size_t pb, size_t k, size_t stride) {
  return in + pf + pb < k ? 0 : (in + pf + pb - k) / stride + 1;
}

// aiprod::conv_source_index (native/include/aiprod/conv.h) per axis (zeros / reflect / replicate).
#ifndef AIPROD_CUDA_CONV_GATHER_H
#define AIPROD_CUDA_CONV_GATHER_H

#include "aiprod_cuda/kernel.h"

// `#pragma unroll` for nvcc; the host compiler (emulation) does not know it and would warn.
#if defined(__CUDACC__)
#define CONV_UNROLL _Pragma("unroll")
#else
#define CONV_UNROLL
#endif

namespace aiprod_cuda {
namespace conv {

struct Conv3dParams {
  const void* x;
  const void* w;
  const float* bias;
  void* out;
  int cin, t, h, w_, cout;
  int k0, k1, k2;
  int s0, s1, s2;
  int p0, p1, p2;  // front padding per axis
  int mode0, mode1, mode2;
  int to, ho, wo;
  int K;          // cin * k0 * k1 * k2 (checked to fit in int by the launcher)
  bool w_vec;     // f32 weights with K % 4 == 0, 16-byte aligned: rows loadable as float4
  int64_t thw;    // t * h * w_: one input channel
  int64_t S;      // to * ho * wo: one output channel
  int64_t M;      // batch * S
};

// aiprod::conv_out_size: (in + pad_front + pad_back - k) / stride + 1, or 0 when the kernel does not fit.
inline size_t out_size(size_t in, size_t pf, size_t pb, size_t k, size_t stride) {
  return in + pf + pb < k ? 0 : (in + pf + pb - k) / stride + 1;
}

// aiprod::conv_source_index: the source index along one axis for padded coordinate i, or -1 for a zero.
// Valid for reflect when the padding is < len (checked by the launcher).
AIPROD_DI int source_index(int i, int len, int mode) {
  if (i >= 0 && i < len) return i;
  if (mode == 0) return -1;
  if (mode == 2) return i < 0 ? 0 : len - 1;
  return i < 0 ? -i : 2 * (len - 1) - i;
}

// What a thread that gathers for output position m needs, computed once per block.
struct Row {
  int64_t base;  // offset of x[b, 0, 0, 0, 0]
  int64_t sp;    // spatial offset (to*Ho + ho)*Wo + wo (the input offset for a pointwise conv)
  int t0, h0, w0;  // top-left-front corner of the receptive field in unpadded coordinates
  bool valid;
};

AIPROD_DI Row row_info(const Conv3dParams& p, int64_t m) {
  Row r;
  r.valid = m < p.M;
  if (!r.valid) m = 0;
  const int64_t b = m / p.S;
  const int64_t sp = m - b * p.S;
  const int wo = int(sp % p.wo);
  const int64_t q = sp / p.wo;
  const int ho = int(q % p.ho);
  const int to = int(q / p.ho);
  r.base = b * int64_t(p.cin) * p.thw;
  r.sp = sp;
  r.t0 = to * p.s0 - p.p0;
  r.h0 = ho * p.s1 - p.p1;
  r.w0 = wo * p.s2 - p.p2;
  return r;
}

// A thread's walk along k for one output position: k as (ci, dt, dy, dx), stepped by one without divisions,
// with the offset of the source row x[b, ci, st, sy, :] kept up to date when (ci, dt, dy) changes, so each
// element costs one source index (along W) and a load.
struct Cursor {
  int ci, dt, dy, dx;
  int64_t off;  // ci * thw + (st * h + sy) * w: the source row, when live
  bool live;    // false: (st, sy) falls in zero padding
};

AIPROD_DI void cursor_row(const Conv3dParams& p, const Row& r, Cursor& c) {
  const int st = source_index(r.t0 + c.dt, p.t, p.mode0);
  const int sy = source_index(r.h0 + c.dy, p.h, p.mode1);
  c.live = (st | sy) >= 0;
  c.off = int64_t(c.ci) * p.thw + (int64_t(st) * p.h + sy) * p.w_;
}

template <bool kPointwise>
AIPROD_DI Cursor cursor_at(const Conv3dParams& p, const Row& r, int k) {
  Cursor c;
  if (kPointwise) {  // k = ci
    c.ci = k;
    c.dt = c.dy = c.dx = 0;
    c.live = true;
    c.off = int64_t(k) * p.thw;
    return c;
  }
  const int taps = p.k0 * p.k1 * p.k2, plane = p.k1 * p.k2;
  c.ci = k / taps;
  int rem = k - c.ci * taps;
  c.dt = rem / plane;
  rem -= c.dt * plane;
  c.dy = rem / p.k2;
  c.dx = rem - c.dy * p.k2;
  cursor_row(p, r, c);
  return c;
}

template <bool kPointwise>
AIPROD_DI void cursor_step(const Conv3dParams& p, const Row& r, Cursor& c) {
  if (kPointwise) {
    c.off += p.thw;
    return;
  }
  if (++c.dx == p.k2) {
    c.dx = 0;
    if (++c.dy == p.k1) {
      c.dy = 0;
      if (++c.dt == p.k0) {
        c.dt = 0;
        ++c.ci;
      }
    }
    cursor_row(p, r, c);
  }
}

// A[m, k] as stored (f32, or bf16 bits), zero outside the matrix (in_k: k < K) and in zero padding.
template <class T, bool kPointwise>
AIPROD_DI T gather(const T* x, const Conv3dParams& p, const Row& r, const Cursor& c, bool in_k) {
  if (!r.valid || !in_k) return T(0);
  if (kPointwise) return x[r.base + c.off + r.sp];
  const int sx = source_index(r.w0 + c.dx, p.w_, p.mode2);
  if (!c.live || sx < 0) return T(0);
  return x[r.base + c.off + sx];
}

}  // namespace conv
}  // namespace aiprod_cuda

#endif
