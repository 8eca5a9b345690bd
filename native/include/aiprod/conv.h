// 3D convolution (2D and 1D are the same op with unit leading sizes), f32, NCDHW:
//   out[b,co,t,y,x] = bias[co] + Σ_{ci,dt,dy,dx} w[co,ci,dt,dy,dx] · xpad[b,ci, t·st+dt, y·sy+dy, x·sx+dx]
// where xpad is x extended by pad_front/pad_back per axis with that axis' mode: zeros, reflect (PyTorch 'reflect':
// mirror without repeating the edge) or replicate (repeat the edge). LTX-2's CausalConv3d is replicate on time
// with pad (kt-1, 0) when causal and (1, 1) otherwise, and zeros or reflect spatially.
#pragma once
#include <cstddef>
#include <cstdint>

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
