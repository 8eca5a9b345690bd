// The SIMD conv3d paths (kernels/conv), chosen by conv3d(): unit spatial stride reads the input in place
// (conv3d_rows.cc), and 3x3 spatial kernels of wide layers take Winograd F(2x2, 3x3) (conv3d_winograd.cc); other
// strides gather the input into packed panels (conv3d.cc).
#pragma once
#include "aiprod/conv.h"
#include "aiprod/gemm.h"

namespace aiprod {

// Requires a.stride[1] == a.stride[2] == 1 and kt.f32_rows.
void conv3d_rows(const Conv3dArgs& a, const GemmKernels& kt);

// Requires a.k[1] == a.k[2] == 3 and a.stride[1] == a.stride[2] == 1 (uses kt.f32).
void conv3d_winograd(const Conv3dArgs& a, const GemmKernels& kt);
// The most bytes Winograd's transformed input may take before output frames are processed in chunks: by default
// kWinogradVBudget. For tests, which need the chunked path on small inputs; not thread-safe against running
// convolutions.
constexpr size_t kWinogradVBudget = size_t(256) << 20;
void conv3d_winograd_set_v_budget(size_t bytes);

}  // namespace aiprod
