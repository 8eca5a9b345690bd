// 3D convolution (2D and 1D are the same op with unit leading sizes), f32, NCDHW:
//   out[b,co,t,y,x] = bias[co] + Σ_{ci,dt,dy,dx} w[co,ci,dt,dy,dx] · xpad[b,ci, t·st+dt, y·sy+dy, x·sx+dx]
// where xpad is x extended by pad_front/pad_back per axis with that axis' mode: zeros, reflect (PyTorch 'reflect':
// mirror without repeating the edge) or replicate (repeat the edge). LTX-2's CausalConv3d is replicate on time
// with pad (kt-1, 0) when causal and (1, 1) otherwise, and zeros or reflect spatially.
#pragma once
#include <cstddef>
#include <cstdint>

#include "aiprod/packed_cache.h"

namespace aiprod {

enum class PadMode : uint8_t { Zeros = 0, Reflect = 1, Replicate = 2 };

struct Conv3dArgs {
  const float* x;  // [B, Cin, T, H, W]
  size_t batch, cin, in[3];
  const float* w;  // [Cout, Cin, K0, K1, K2]
  size_t cout, k[3];
  const float* bias = nullptr;  // [Cout]
  size_t stride[3] = {1, 1, 1};
  size_t pad_front[3] = {0, 0, 0}, pad_back[3] = {0, 0, 0};
  PadMode mode[3] = {PadMode::Zeros, PadMode::Zeros, PadMode::Zeros};
  float* out;  // [B, Cout, out[0], out[1], out[2]]
  size_t out_size[3];
  WeightKey w_key;  // identity of w for the packed-weight cache; uid 0: pack every call
};

// (in + pad_front + pad_back - k) / stride + 1, or 0 when the kernel does not fit.
inline size_t conv_out_size(size_t in, size_t pf, size_t pb, size_t k, size_t stride) {
  return in + pf + pb < k ? 0 : (in + pf + pb - k) / stride + 1;
}

// Source index along one axis for padded coordinate i (relative to the unpadded start), or -1 for a zero.
inline long conv_source_index(long i, long len, PadMode mode) {
  if (i >= 0 && i < len) return i;
  switch (mode) {
    case PadMode::Zeros: return -1;
    case PadMode::Replicate: return i < 0 ? 0 : len - 1;
    case PadMode::Reflect: return i < 0 ? -i : 2 * (len - 1) - i;
  }
  return -1;
}

void conv3d(const Conv3dArgs& args);
void conv3d_ref(const Conv3dArgs& args);

}  // namespace aiprod

namespace aiprod {

// Transposed 1D convolution (PyTorch ConvTranspose1d, groups 1), f32:
//   out[b,co,i·stride - padding + k·dilation] += Σ_ci x[b,ci,i] · w[ci,co,k];  out += bias[co]
//   L_out = (L-1)·stride - 2·padding + dilation·(K-1) + output_padding + 1
struct ConvTranspose1dArgs {
  const float* x;  // [B, Cin, L]
  size_t batch, cin, len;
  const float* w;  // [Cin, Cout, K]
  size_t cout, k;
  const float* bias = nullptr;  // [Cout]
  size_t stride = 1, padding = 0, output_padding = 0, dilation = 1;
  float* out;  // [B, Cout, out_len]
  size_t out_len;
};

inline size_t conv_transpose1d_out_len(size_t len, size_t k, size_t stride, size_t padding, size_t output_padding, size_t dilation) {
  const long n = (long(len) - 1) * long(stride) - 2 * long(padding) + long(dilation) * (long(k) - 1) + long(output_padding) + 1;
  return n > 0 ? size_t(n) : 0;
}

void conv_transpose1d(const ConvTranspose1dArgs& args);
void conv_transpose1d_ref(const ConvTranspose1dArgs& args);

}  // namespace aiprod
