// Pieces shared by the SIMD conv3d paths (conv3d.cc, conv3d_rows.cc, conv3d_winograd.cc).
#pragma once
#include <cstddef>

#include "aiprod/conv.h"

namespace aiprod {

// Padded input sizes (time, height, width): in + pad_front + pad_back per axis.
struct PaddedSize {
  size_t t, h, w;
};
inline PaddedSize padded_size(const Conv3dArgs& a) {
  return {a.in[0] + a.pad_front[0] + a.pad_back[0], a.in[1] + a.pad_front[1] + a.pad_back[1],
          a.in[2] + a.pad_front[2] + a.pad_back[2]};
}

// The padded input of one batch item, channels-last: xcl[tp][hq][wq][ci] with every padding mode resolved, then
// extended with zeros to hq x wq (>= the padded size) and followed by `slack_rows` zero positions (rows of Cin
// floats) that kernels may read past the end.
void pad_channels_last(const Conv3dArgs& a, const float* x, size_t hq, size_t wq, size_t slack_rows, float* xcl);

// Weights [Cout, Cin, taps] as panels of `width` output channels over k = tap·Cin + ci:
// dst[(p·K + k)·width + j] = w[p·width + j, ci, tap] (K = taps·Cin), zero past Cout. Parallel over panels.
void pack_conv_weight_panels(const Conv3dArgs& a, size_t width, float* dst);

}  // namespace aiprod
