// 3D convolution with unit spatial stride, as a GEMM whose A operand is read in place: the padded input is laid
// out channels-last (xcl[tp][hp][wp][ci]) so that, for an output position g on the padded grid (g = y·Wp + x),
// the inputs of one kernel row (dt, dy) and all its dx taps are ONE contiguous run of kw·Cin floats starting at
// row g + dt·plane + dy·Wp. Each (dt, dy) is a K segment of the row micro-kernel; weights are packed once per
// layer as NR-wide B panels over k = tap·Cin + ci. Nothing is packed per tap (packing the shifted input per tap
// cost 18-29% of the whole convolution before), and a C tile stays in registers across several segments.
// Output positions with x >= Wo (Wp - Wo per row) are computed on the grid and dropped.
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "aiprod/conv.h"
#include "aiprod/gemm.h"
#include "aiprod/scratch.h"
#include "aiprod/threadpool.h"
#include "conv3d_common.h"
#include "conv3d_paths.h"

namespace aiprod {
namespace {

// B bytes per micro-kernel call: a chunk of segments this large stays in L2 while the position micro-panels
// stream past it.
constexpr size_t kBChunkBytes = 192 * 1024;
// Cᵀ bytes per task (block positions x group channels), kept in L2 across the segment chunks.
constexpr size_t kCtBytes = 512 * 1024;

}  // namespace

void conv3d_rows(const Conv3dArgs& a, const GemmKernels& kt) {
  const size_t To = a.out_size[0], Ho = a.out_size[1], Wo = a.out_size[2];
  const size_t MR = kt.mr, NR = kt.nr, cin = a.cin;
  const PaddedSize padded = padded_size(a);  // (no structured binding: lambdas capture these)
  const size_t Tp = padded.t, Hp = padded.h, Wp = padded.w;
  const size_t plane = Hp * Wp, taps = a.k[0] * a.k[1] * a.k[2], K = taps * cin;
  const size_t nseg = a.k[0] * a.k[1], seg_len = a.k[2] * cin;
  const size_t co_panels = (a.cout + NR - 1) / NR;

  // B panels: panel q holds couts [q·NR, q·NR + NR) over k = tap·Cin + ci, zero-padded past Cout.
  auto pack_weights = [&](HostStorage& storage) { pack_conv_weight_panels(a, NR, static_cast<float*>(storage.data())); };
  const std::string tag = std::string("conv3d-rows/") + isa_name(kt.isa) + "/" + std::to_string(NR) + "/" +
                          std::to_string(cin) + "x" + std::to_string(taps);
  const auto packed = packed_weights(a.w_key, tag, co_panels * K * NR * sizeof(float), pack_weights);
  const float* bpack = static_cast<const float*>(packed->data());

  std::vector<ptrdiff_t> seg_off(nseg);  // segment (dt, dy) starts dt frames and dy rows further, in floats
  for (size_t s = 0; s < nseg; ++s) seg_off[s] = ptrdiff_t(((s / a.k[1]) * plane + (s % a.k[1]) * Wp) * cin);
  // Segments per micro-kernel call: chunks of about kBChunkBytes of B, of equal size.
  const size_t seg_bytes = seg_len * NR * sizeof(float);
  const size_t n_chunks = std::max<size_t>(1, std::min(nseg, (nseg * seg_bytes + kBChunkBytes - 1) / kBChunkBytes));
  const size_t spc = (nseg + n_chunks - 1) / n_chunks;

  // Work: (output frame, block of grid positions, group of Cout panels). Every task streams its group's weights
  // once per segment chunk, so blocks are large (~26 micro-panels: a whole 18x18 frame; with 8, the 28 MiB of a
  // 512-channel layer's weights were streamed 4x as often and the layer ran 12% slower). Groups keep the block's
  // Cᵀ within ~512 KiB of L2, then split further while there are too few tasks to balance the threads.
  const size_t G = (Ho - 1) * Wp + Wo;  // grid positions of one output frame
  const size_t blocks = (G + MR * 26 - 1) / (MR * 26);
  const size_t MB = ((G + blocks - 1) / blocks + MR - 1) / MR * MR;
  const size_t ct_panels = std::max<size_t>(1, kCtBytes / (MB * NR * sizeof(float)));
  size_t groups = (co_panels + ct_panels - 1) / ct_panels;
  while (groups < co_panels && To * blocks * groups < size_t(thread_count()) * 6) groups *= 2;
  const size_t group_panels = (co_panels + std::min(groups, co_panels) - 1) / std::min(groups, co_panels);
  groups = (co_panels + group_panels - 1) / group_panels;  // equal groups (the last may be short)

  thread_local Scratch xscratch;
  float* xcl = xscratch.get<float>((Tp * plane + MR) * cin);
  for (size_t b = 0; b < a.batch; ++b) {
    pad_channels_last(a, a.x + b * cin * a.in[0] * a.in[1] * a.in[2], Hp, Wp, MR, xcl);
    parallel_for(To * blocks * groups, [&](size_t task) {
      const size_t grp = task % groups, blk = (task / groups) % blocks, t = task / (groups * blocks);
      const size_t g0 = blk * MB, ng = std::min(MB, G - std::min(G, g0));
      if (ng == 0) return;
      const size_t q0 = grp * group_panels, q1 = std::min(co_panels, q0 + group_panels);
      const size_t ldc = (q1 - q0) * NR;
      thread_local Scratch cscratch;
      float* ct = cscratch.get<float>(MB * ldc);  // Cᵀ: positions x Cout of this group
      const float* a_frame = xcl + (t * a.stride[0] * plane + g0) * cin;
      for (size_t s0 = 0; s0 < nseg; s0 += spc) {
        const size_t ns = std::min(spc, nseg - s0);
        for (size_t q = q0; q < q1; ++q) {
          const float* bq = bpack + (q * K + s0 * seg_len) * NR;
          const size_t nr = std::min(NR, a.cout - q * NR);
          for (size_t r = 0; r < ng; r += MR) {
            kt.f32_rows(ns, seg_len, seg_off.data() + s0, a_frame + r * cin, cin, bq, ct + r * ldc + (q - q0) * NR, ldc,
                        std::min(MR, ng - r), nr, s0 > 0);
          }
        }
      }
      // bias, and the valid grid positions out to [B, Cout, To, Ho, Wo], through 16 x 16 tiles transposed in L1:
      // each output row then gets whole cache lines (storing element by element into 16 output rows at once was
      // ~19% of the convolution).
      const size_t co_begin = q0 * NR, co_end = std::min(a.cout, q1 * NR);
      for (size_t cb = co_begin; cb < co_end; cb += 16) {
        const size_t nc = std::min<size_t>(16, co_end - cb);
        float bias[16] = {};
        for (size_t c = 0; c < nc; ++c) bias[c] = a.bias ? a.bias[cb + c] : 0.0f;
        float* out0 = a.out + ((b * a.cout + cb) * To + t) * Ho * Wo;  // channel cb; channel c is c·To·Ho·Wo further
        for (size_t j = 0; j < ng;) {
          const size_t g = g0 + j, y = g / Wp, x = g % Wp;
          if (x >= Wo) {  // junk columns of the padded grid
            j += Wp - x;
            continue;
          }
          const size_t run = std::min(Wo - x, ng - j);  // valid positions of output row y in this block
          for (size_t u = 0; u < run; u += 16) {
            const size_t n = std::min<size_t>(16, run - u);
            alignas(64) float tile[16][16];
            for (size_t i = 0; i < n; ++i) {
              const float* src = ct + (j + u + i) * ldc + (cb - co_begin);  // within ldc: groups are whole panels
              for (size_t c = 0; c < 16; ++c) tile[c][i] = src[c];
            }
            for (size_t c = 0; c < nc; ++c) {
              float* dst = out0 + c * To * Ho * Wo + y * Wo + x + u;
              for (size_t i = 0; i < n; ++i) dst[i] = tile[c][i] + bias[c];
            }
          }
          j += run;
        }
      }
    });
  }
  xscratch.trim();
}

}  // namespace aiprod
