// 3D convolution on the GEMM micro-kernels. Dispatch (conv3d below): no SIMD table -> the ref path; unit spatial
// stride with a 3x3 spatial kernel on a wide layer -> Winograd F(2x2, 3x3) per temporal tap (conv3d_winograd.cc,
// 2.25x fewer multiplies, slightly different rounding); other unit-spatial-stride convolutions -> conv3d_rows.cc
// (input read in place, channels-last); everything else -> the gathered-panel implicit GEMM in this file:
// C[co, position] = W[co, k] · X[k, position] with k = (kernel tap, input channel). The input of a batch item is
// padded once (all modes handled there); X panels gather the strided positions of each tap through an offset
// table. Weights are packed once per layer (cached for weights with an identity).
#include <algorithm>
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

// xp[ci][tp][hp][wp] for one batch item.
void pad_input(const Conv3dArgs& a, const float* x, size_t Tp, size_t Hp, size_t Wp, float* xp) {
  std::vector<long> wmap(Wp), hmap(Hp);
  for (size_t i = 0; i < Wp; ++i) wmap[i] = conv_source_index(long(i) - long(a.pad_front[2]), long(a.in[2]), a.mode[2]);
  for (size_t i = 0; i < Hp; ++i) hmap[i] = conv_source_index(long(i) - long(a.pad_front[1]), long(a.in[1]), a.mode[1]);
  const size_t plane = Hp * Wp, in_plane = a.in[1] * a.in[2];
  parallel_range(a.cin * Tp, 4, [&](size_t f0, size_t f1) {
    for (size_t f = f0; f < f1; ++f) {
      const size_t ci = f / Tp, tp = f % Tp;
      float* dst = xp + f * plane;
      const long st = conv_source_index(long(tp) - long(a.pad_front[0]), long(a.in[0]), a.mode[0]);
      if (st < 0) {
        std::fill(dst, dst + plane, 0.0f);
        continue;
      }
      const float* src = x + (ci * a.in[0] + size_t(st)) * in_plane;
      for (size_t hp = 0; hp < Hp; ++hp) {
        float* row = dst + hp * Wp;
        if (hmap[hp] < 0) {
          std::fill(row, row + Wp, 0.0f);
          continue;
        }
        const float* srow = src + size_t(hmap[hp]) * a.in[2];
        for (size_t wp = 0; wp < Wp; ++wp) row[wp] = wmap[wp] < 0 ? 0.0f : srow[wmap[wp]];
      }
    }
  });
}

// Winograd F(2x2, 3x3) for 3x3 spatial kernels (unit spatial stride) of layers wide enough that the GEMM, with
// 2.25x fewer multiplies, outweighs the transforms: the input transform (and its 4x larger V, which every Cout
// panel reads) costs O(Cin) per tile, the output transform O(Cout), the GEMM O(Cin·Cout). Measured on 5x34x34
// frames, 2 threads, AVX-512 (Winograd vs direct): 16->128 even, 32->64 and 32->128 1.2-1.4x faster, 48->48
// 1.3x, 64->64 1.2x; but 24->24, 32->32, 64->32, 128->32 and 128->16 10-30% slower (few Cout per V row read).
// Hence Cin >= 32 and Cout >= 48.
constexpr size_t kWinogradMinCin = 32, kWinogradMinCout = 48;
bool use_winograd(const Conv3dArgs& a) {
  return a.k[1] == 3 && a.k[2] == 3 && a.cin >= kWinogradMinCin && a.cout >= kWinogradMinCout;
}

}  // namespace

void conv3d(const Conv3dArgs& a) {
  const GemmKernels* kt = gemm_kernels();
  if (!kt) return conv3d_ref(a);
  const size_t To = a.out_size[0], Ho = a.out_size[1], Wo = a.out_size[2];
  if (a.batch * a.cout * To * Ho * Wo == 0) return;
  if (a.stride[1] == 1 && a.stride[2] == 1 && kt->f32_rows) {
    if (use_winograd(a)) return conv3d_winograd(a, *kt);
    return conv3d_rows(a, *kt);
  }
  const size_t MR = kt->mr, NR = kt->nr;
  const PaddedSize padded = padded_size(a);  // (no structured binding: lambdas capture these)
  const size_t Tp = padded.t, Hp = padded.h, Wp = padded.w;
  const size_t plane = Hp * Wp, taps = a.k[0] * a.k[1] * a.k[2], K = taps * a.cin;
  const size_t a_panels = (a.cout + MR - 1) / MR;

  // weights as MR-wide A panels over k = tap·Cin + ci, cached across calls for weights with an identity
  auto pack_weights = [&](HostStorage& storage) { pack_conv_weight_panels(a, MR, static_cast<float*>(storage.data())); };
  const std::string tag = std::string("conv3d/") + isa_name(kt->isa) + "/" + std::to_string(MR) + "/" +
                          std::to_string(a.cin) + "x" + std::to_string(taps);
  const std::shared_ptr<const HostStorage> packed = packed_weights(a.w_key, tag, a_panels * MR * K * sizeof(float), pack_weights);
  const float* ap = static_cast<const float*>(packed->data());
  thread_local Scratch xscratch;
  float* xp = xscratch.get<float>(a.cin * Tp * plane);

  const size_t G = Ho * Wo;  // output positions of one frame
  // Position chunks of up to 4 panels, fewer when that leaves too few tasks to balance the threads.
  size_t NC = NR * 4;
  while (NC > NR && To * ((G + NC - 1) / NC) < size_t(thread_count()) * 8) NC -= NR;
  const size_t chunks = (G + NC - 1) / NC;
  const size_t KCc = std::min<size_t>(a.cin, 256);  // input channels per K block
  std::vector<size_t> pos_off(G);  // offset of each grid position in a padded frame (tap 0)
  for (size_t g = 0; g < G; ++g) {
    pos_off[g] = (g / Wo) * a.stride[1] * Wp + (g % Wo) * a.stride[2];
  }

  for (size_t b = 0; b < a.batch; ++b) {
    pad_input(a, a.x + b * a.cin * a.in[0] * a.in[1] * a.in[2], Tp, Hp, Wp, xp);
    parallel_for(To * chunks, [&](size_t task) {
      thread_local Scratch bscratch, cscratch;
      const size_t t = task / chunks, g0 = (task % chunks) * NC, ng = std::min(NC, G - g0);
      const size_t panels = (ng + NR - 1) / NR;
      float* bp = bscratch.get<float>(panels * KCc * NR);
      float* c = cscratch.get<float>(a.cout * NC);
      bool first = true;
      for (size_t tap = 0; tap < taps; ++tap) {
        const size_t dt = tap / (a.k[1] * a.k[2]), dy = (tap / a.k[2]) % a.k[1], dx = tap % a.k[2];
        const size_t shift = (t * a.stride[0] + dt) * plane + dy * Wp + dx;
        for (size_t ci0 = 0; ci0 < a.cin; ci0 += KCc) {
          const size_t kc = std::min(KCc, a.cin - ci0);
          for (size_t q = 0; q < panels; ++q) {
            const size_t ncols = std::min(NR, ng - q * NR);
            for (size_t ci = 0; ci < kc; ++ci) {
              const float* src = xp + (ci0 + ci) * Tp * plane + shift;
              float* dst = bp + (q * kc + ci) * NR;
              const size_t gq = g0 + q * NR;
              for (size_t j = 0; j < ncols; ++j) dst[j] = src[pos_off[gq + j]];
              std::fill(dst + ncols, dst + NR, 0.0f);
            }
          }
          // A micro-panel outer: it is read once from L3 and reused from L1 across the B panels (which stay in
          // L2); with B outer, the whole A slice had to stay in L2 beside C and thrashed for Cout = 512.
          for (size_t r = 0; r < a_panels; ++r) {
            for (size_t q = 0; q < panels; ++q) {
              kt->f32(kc, ap + r * MR * K + (tap * a.cin + ci0) * MR, bp + q * kc * NR, c + r * MR * NC + q * NR, NC,
                      std::min(MR, a.cout - r * MR), std::min(NR, ng - q * NR), !first);
            }
          }
          first = false;
        }
      }
      // bias, and the valid positions out to [B, Cout, To, Ho, Wo]
      for (size_t co = 0; co < a.cout; ++co) {
        const float bias = a.bias ? a.bias[co] : 0.0f;
        float* out = a.out + ((b * a.cout + co) * To + t) * Ho * Wo;
        const float* crow = c + co * NC;
        for (size_t j = 0; j < ng; ++j) out[g0 + j] = crow[j] + bias;
      }
    });
  }
  xscratch.trim();
}

}  // namespace aiprod
