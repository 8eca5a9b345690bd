// One attention task: up to kMaxTiles tiles of NR queries of one head, walked over key blocks with an online softmax.
// Everything is computed transposed so that nothing is re-packed (see attention.cc):
//   Sᵀ = K·Qᵀ   [keys x NR queries], exactly the layout of a packed B panel;
//   softmax down the columns (one vector lane per query);
//   Oᵀ += Vᵀ·Pᵀ [features x NR queries].
// Two block paths:
// - general_block: S, then bias and masks, then column max and exp as separate passes over the stored tile
//   (natural-log units; bf16 products; any ISA);
// - fused_block: the score kernel applies the softmax before S leaves the registers (GemmKernels::score_exp), in
//   base-2 units (Q carries scale·log2 e), against a running max m that moves lazily (see fused_block).
// A task uses one of them for all of its blocks.
#pragma once
#include <cstddef>
#include <cstdint>

#include "aiprod/attention.h"
#include "aiprod/gemm.h"

namespace aiprod {

// Query tiles per task on the general path: K and V micro-panels are streamed from L2/L3 once per task and reused
// from L1 by each tile, halving that traffic at two tiles.
constexpr size_t QT = 2;
// The fused path's tiles per task, at most: it runs each tile's whole block (scores, softmax, PV) before the next,
// so L1 holds one tile's P while the block's K and V stay in L2 for all of the task's tiles. Interleaving two
// tiles' panels as the general path does pushed the PV operands out of L1 (one tile per task ran 4-7% faster);
// four sequential tiles per task measured +2-6% over one (D64 self, cross), D128 self unchanged.
constexpr size_t kMaxTiles = 4;

// K and V of one (batch, kv head). The general path packs them once for every task: K in MR-key panels (f32, or
// bf16 pairs of features), Vᵀ in MRV-feature panels (f32, or bf16 pairs of keys). The fused path reads the
// row-major [nk, d] inputs in place (k, v).
struct KvPanels {
  const float* kp;
  const float* vt;
  const uint16_t* kp16;
  const uint16_t* vt16;
  const float* k;
  const float* v;
  size_t nk, d, d2, nk2;  // d2, nk2: bf16 pair steps over features and over keys
  size_t mrv;             // rows of a Vᵀ panel
  UkernelF32 pv_kernel;   // the f32 micro-kernel for packed mrv-row panels
  size_t v_panels;
};

class QueryTiles {
 public:
  // Tiles of queries [i0, i0 + tiles·NR) ∩ [0, nq) of head h in batch item b (tiles <= kMaxTiles); max_block:
  // the most keys in a block.
  QueryTiles(const AttentionArgs& a, const GemmKernels* kt, const KvPanels& kv, size_t b, size_t h, size_t i0,
             size_t tiles, bool fused, size_t max_block);
  void general_block(size_t j0, size_t bk);
  void fused_block(size_t j0, size_t bk);
  // out[b,h,i,:] = Oᵀ[:,i] / l[i] for the task's queries.
  void write_out() const;
  size_t i0() const { return iu_[0]; }
  size_t i_end() const { return iu_[tiles_ - 1] + rows_[tiles_ - 1]; }

 private:
  // Sᵀ (f32 or bf16 products) of key panel r of the block at j0 for tile u, into the tile's Sᵀ rows.
  void scores(size_t u, size_t j0, size_t bk, size_t r);
  // P = 2^(S - m) of key panel r into the tile's Pᵀ rows, adding each query's weights to bsum.
  void scores_exp(size_t u, size_t j0, size_t bk, size_t r);
  void settle_fused(size_t u, size_t j0, size_t bk);
  // The fused path's K rows from key j on (MR readable rows): in place, or the zero-padded copy of the last
  // partial panel.
  const float* k_rows(size_t j) const { return j + mr_ <= kv_.nk ? kv_.k + j * a_.d : ktail_; }
  // Oᵀ += Vᵀ·Pᵀ for tiles [u0, u1).
  void pv(size_t j0, size_t bk, size_t u0, size_t u1);

  const AttentionArgs& a_;
  const GemmKernels* kt_;
  const KvPanels& kv_;
  size_t b_, h_, tiles_, mr_, nr_;
  bool dp_;
  const float* bias_h_;
  // per tile u: Q panel [d][NR], Sᵀ/Pᵀ [max_block][NR], Oᵀ [d][NR], running max m and sum l, and per-block
  // scratch: mx (max), mexp (max used by exp), alpha (rescale), bsum (block sums); bf16 Pᵀ pairs when dp
  float *qp_[kMaxTiles], *st_[kMaxTiles], *ot_[kMaxTiles], *m_[kMaxTiles], *l_[kMaxTiles], *mx_[kMaxTiles];
  float *mexp_[kMaxTiles], *alpha_[kMaxTiles], *bsum_[kMaxTiles];
  uint16_t* pt16_[kMaxTiles];
  size_t iu_[kMaxTiles], rows_[kMaxTiles];
  bool fused_;
  float* ktail_;
};

}  // namespace aiprod
