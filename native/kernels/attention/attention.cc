// Flash attention on the GEMM micro-kernels, computed transposed so that nothing is re-packed:
//   Sᵀ = K·Qᵀ  (A = K in MR-key panels, B = one NR-query panel of Q·scale): the Sᵀ tile [keys x NR queries] has
//              exactly the layout of a packed B panel;
//   softmax runs down the columns (one vector lane per query: running max m, sum l, rescale alpha);
//   Oᵀ += Vᵀ·Pᵀ (A = V transposed in MR-feature panels, B = the Pᵀ tile as it is).
// Tasks are (batch item, query head, up to kMaxTiles tiles of NR queries), each walking the key blocks
// (attention_tiles.h). The general path packs K and V once per (batch, kv head); the fused path reads them in place.
// Extra memory: per-thread tiles, plus on the general path the packed K and V of one kv head (2·Nk·d floats);
// never Nq x Nk.
#include <algorithm>

#include "aiprod/attention.h"
#include "aiprod/gemm.h"
#include "aiprod/half.h"
#include "aiprod/scratch.h"
#include "aiprod/threadpool.h"
#include "../gemm/gemm_pack.h"
#include "attention_tiles.h"

namespace aiprod {
namespace {

// Do any (i in [i0,i1), j in [j0,j1)) pairs survive the causal/window masks? Lets whole key blocks be skipped.
bool block_visible(const AttentionArgs& a, size_t i0, size_t i1, size_t j0, size_t j1) {
  if (a.causal && j0 > i1 - 1) return false;
  if (a.window) {
    const size_t dist = j0 >= i1 ? j0 - (i1 - 1) : (i0 >= j1 ? i0 - (j1 - 1) : 0);  // nearest pair
    if (dist >= a.window) return false;
  }
  return true;
}

// A panel of V transposed: dst[p*mr + i] = v[(p)*d + f0 + i] for features f0..f0+rows, keys 0..nk; zero rows padded.
void pack_v_transposed(const float* v, size_t d, size_t nk, size_t f0, size_t rows, size_t mr, float* dst) {
  for (size_t p = 0; p < nk; ++p) {
    const float* src = v + p * d + f0;
    float* out = dst + p * mr;
    for (size_t i = 0; i < rows; ++i) out[i] = src[i];
    for (size_t i = rows; i < mr; ++i) out[i] = 0.0f;
  }
}

// The same in bf16 pairs of keys: dst[(p/2)*2*mr + 2i + (p&1)] = bf16(v[p*d + f0 + i]).
void pack_v_transposed_bf16(const float* v, size_t d, size_t nk, size_t f0, size_t rows, size_t mr, uint16_t* dst) {
  std::fill(dst, dst + ((nk + 1) / 2) * 2 * mr, uint16_t(0));
  for (size_t p = 0; p < nk; ++p) {
    const float* src = v + p * d + f0;
    uint16_t* out = dst + (p / 2) * 2 * mr + (p & 1);
    for (size_t i = 0; i < rows; ++i) out[2 * i] = f32_to_bf16(src[i]);
  }
}

// Key blocks of BK keys; a remainder under BK/2 joins the last full block (a tiny block pays a block's fixed
// costs for few keys: Nk = 1024 would otherwise end in a 16-key block).
size_t block_end(size_t j0, size_t nk, size_t bk) {
  const size_t end = std::min(nk, j0 + bk);
  return nk - end < bk / 2 ? nk : end;
}

// The fused path: every (batch item, head, query block) in one parallel loop, K and V read in place.
void attention_fused(const AttentionArgs& a, const GemmKernels* kt, size_t BK) {
  const size_t NR = kt->nr, d = a.d, group = a.heads / a.kv_heads;
  // kMaxTiles query tiles per task, fewer when that would leave threads without at least 8 tasks each.
  const size_t all_tiles = a.batch * a.heads * ((a.nq + NR - 1) / NR);
  const size_t tiles = std::clamp<size_t>(all_tiles / (8 * size_t(thread_count())), 1, kMaxTiles);
  const size_t q_blocks = (a.nq + NR * tiles - 1) / (NR * tiles);
  parallel_for(a.batch * a.heads * q_blocks, [&](size_t task) {
    const size_t bh = task / q_blocks, b = bh / a.heads, h = bh % a.heads, g = h / group;
    KvPanels kv{};
    kv.k = a.k + (b * a.kv_heads + g) * a.nk * d;
    kv.v = a.v + (b * a.kv_heads + g) * a.nk * d;
    kv.nk = a.nk, kv.d = d, kv.mrv = kt->mr_narrow, kv.v_panels = d / kt->mr_narrow;
    QueryTiles t(a, kt, kv, b, h, (task % q_blocks) * NR * tiles, tiles, true, BK + BK / 2);
    for (size_t j0 = 0, j1; j0 < a.nk; j0 = j1) {
      j1 = block_end(j0, a.nk, BK);
      t.fused_block(j0, j1 - j0);
    }
    t.write_out();
  });
}

}  // namespace

void attention(const AttentionArgs& a) {
  const GemmKernels* kt = gemm_kernels();
  if (!kt) return attention_ref(a);
  if (a.batch * a.heads * a.nq == 0 || a.d == 0) return;
  const size_t MR = kt->mr, NR = kt->nr, d = a.d, group = a.heads / a.kv_heads;
  const size_t BK = MR * std::max<size_t>(1, 256 / MR);  // keys per block, a whole number of K panels
  const bool dp = a.bf16 && kt->bf16 != nullptr;  // bf16 dot products (see attention.h)
  // The fused softmax serves f32 products without bias or masks (the attention of the video transformer) where
  // the narrow tile divides the head dim (64, 128): nothing is packed, so nothing waits for a head's packing.
  if (kt->score_exp && kt->f32_narrow_at && !dp && !a.bias && !a.causal && !a.window && d % kt->mr_narrow == 0) {
    return attention_fused(a, kt, BK);
  }
  // Vᵀ panels: the narrow f32 tile where it divides the head dim exactly (no padded feature rows), else MR.
  const bool narrow = !dp && kt->f32_narrow && d % kt->mr_narrow == 0;
  const size_t MRV = narrow ? kt->mr_narrow : MR;
  const UkernelF32 pv_kernel = narrow ? kt->f32_narrow : kt->f32;
  const size_t k_panels = (a.nk + MR - 1) / MR, v_panels = (d + MRV - 1) / MRV;
  const size_t q_blocks = (a.nq + NR * QT - 1) / (NR * QT);
  const size_t d2 = (d + 1) / 2, nk2 = (a.nk + 1) / 2;  // bf16 pair steps over features and over keys
  thread_local Scratch kscratch, vscratch;
  float* kp = kscratch.get<float>(std::max<size_t>(1, k_panels * MR * d));
  float* vt = vscratch.get<float>(std::max<size_t>(1, v_panels * MRV * a.nk));
  // bf16 layouts reuse the same buffers (they need at most as many bytes)
  uint16_t* kp16 = reinterpret_cast<uint16_t*>(kp);
  uint16_t* vt16 = reinterpret_cast<uint16_t*>(vt);

  for (size_t b = 0; b < a.batch; ++b) {
    for (size_t g = 0; g < a.kv_heads; ++g) {
      const float* kh = a.k + (b * a.kv_heads + g) * a.nk * d;
      const float* vh = a.v + (b * a.kv_heads + g) * a.nk * d;
      parallel_range(k_panels + v_panels, 1, [&](size_t p0, size_t p1) {
        for (size_t p = p0; p < p1; ++p) {
          if (p < k_panels && dp) {
            gemm::pack_a_bf16(kh, d, p * MR, std::min(MR, a.nk - p * MR), 0, d, MR, kp16 + p * MR * 2 * d2);
          } else if (p < k_panels) {
            gemm::pack_a_f32(kh, d, p * MR, std::min(MR, a.nk - p * MR), 0, d, MR, false, kp + p * MR * d);
          } else if (dp) {
            const size_t f = p - k_panels;
            pack_v_transposed_bf16(vh, d, a.nk, f * MR, std::min(MR, d - f * MR), MR, vt16 + f * MR * 2 * nk2);
          } else {
            const size_t f = p - k_panels;
            pack_v_transposed(vh, d, a.nk, f * MRV, std::min(MRV, d - f * MRV), MRV, vt + f * MRV * a.nk);
          }
        }
      });
      KvPanels kv{};
      kv.kp = kp, kv.vt = vt, kv.kp16 = kp16, kv.vt16 = vt16;
      kv.nk = a.nk, kv.d = d, kv.d2 = d2, kv.nk2 = nk2, kv.mrv = MRV, kv.pv_kernel = pv_kernel, kv.v_panels = v_panels;
      parallel_for(group * q_blocks, [&](size_t task) {
        const size_t h = g * group + task / q_blocks;
        QueryTiles t(a, kt, kv, b, h, (task % q_blocks) * NR * QT, QT, false, BK + BK / 2);
        for (size_t j0 = 0, j1; j0 < a.nk; j0 = j1) {
          j1 = block_end(j0, a.nk, BK);
          if (!(a.causal || a.window) || block_visible(a, t.i0(), t.i_end(), j0, j1)) t.general_block(j0, j1 - j0);
        }
        t.write_out();
      });
    }
  }
  kscratch.trim();
  vscratch.trim();
}

}  // namespace aiprod
