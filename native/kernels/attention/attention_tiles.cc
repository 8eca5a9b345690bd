// The per-task work of attention (see attention_tiles.h): query tiles, the two softmax block paths, Oᵀ += Vᵀ·Pᵀ.
#include "attention_tiles.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "aiprod/scratch.h"
#include "../gemm/gemm_pack.h"

namespace aiprod {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();
constexpr float kLog2e = 1.44269504088896341f;
// The fused path keeps its running max until a block's weights for a query sum past this: no weight then exceeds
// 2^20, so P, the sums and Oᵀ stay far from overflow, and most blocks need no rescale at all.
constexpr float kLazySumLimit = 1048576.0f;

// Pᵀ rows (keys) of NR floats -> bf16 pairs of consecutive keys: out[(j/2)*2NR + 2c + (j&1)] = bf16(p[j][c]).
// Reads rows in order and writes sequentially (a strided column gather cost more than the PV product).
void pack_pt_bf16(const float* p, size_t rows, size_t nr, uint16_t* out) {
  for (size_t j = 0; j + 1 < rows; j += 2, p += 2 * nr, out += 2 * nr) {
    for (size_t c = 0; c < nr; ++c) {
      out[2 * c] = f32_to_bf16(p[c]);
      out[2 * c + 1] = f32_to_bf16(p[nr + c]);
    }
  }
  if (rows & 1) {
    for (size_t c = 0; c < nr; ++c) {
      out[2 * c] = f32_to_bf16(p[c]);
      out[2 * c + 1] = 0;
    }
  }
}

}  // namespace

QueryTiles::QueryTiles(const AttentionArgs& a, const GemmKernels* kt, const KvPanels& kv, size_t b, size_t h,
                       size_t i0, size_t tiles, bool fused, size_t max_block)
    : a_(a), kt_(kt), kv_(kv), b_(b), h_(h), mr_(kt->mr), nr_(kt->nr), dp_(a.bf16 && kt->bf16 != nullptr),
      fused_(fused), ktail_(nullptr) {
  thread_local Scratch scratch16, scratch32, scratch_tail;
  const size_t NR = nr_, d = a.d, st_rows = (max_block + mr_ - 1) / mr_ * mr_;
  tiles_ = std::min(std::min(tiles, kMaxTiles), (a.nq - i0 + NR - 1) / NR);
  // per tile: Q panel, Oᵀ, softmax state, and (general path) its own Sᵀ/Pᵀ; the fused path shares one Pᵀ
  const size_t tile_floats = d * NR + d * NR + 6 * NR + (fused ? 0 : st_rows * NR);
  float* base = scratch32.get<float>(tiles_ * tile_floats + (fused ? st_rows * NR : 0));
  uint16_t* base16 = dp_ ? scratch16.get<uint16_t>(tiles_ * (st_rows / 2 + 1) * 2 * NR) : nullptr;
  const float* qh = a.q + (b * a.heads + h) * a.nq * d;
  // bf16 Q cannot absorb the scale exactly: its Sᵀ is scaled after the product instead. The fused path's scores
  // are in base-2 units.
  const float q_scale = fused ? a.scale * kLog2e : a.scale;
  for (size_t u = 0; u < tiles_; ++u) {
    float* t0 = base + u * tile_floats;
    qp_[u] = t0, ot_[u] = t0 + d * NR, m_[u] = ot_[u] + d * NR;
    st_[u] = fused ? base + tiles_ * tile_floats : m_[u] + 6 * NR;
    l_[u] = m_[u] + NR, mx_[u] = l_[u] + NR, mexp_[u] = mx_[u] + NR, alpha_[u] = mexp_[u] + NR, bsum_[u] = alpha_[u] + NR;
    pt16_[u] = dp_ ? base16 + u * (st_rows / 2 + 1) * 2 * NR : nullptr;
    iu_[u] = i0 + u * NR, rows_[u] = std::min(NR, a.nq - iu_[u]);
    if (dp_) {
      gemm::pack_b_bf16(gemm::MatrixSource{qh, d, true}, iu_[u], rows_[u], 0, d, NR, reinterpret_cast<uint16_t*>(qp_[u]), ot_[u]);
    } else {
      gemm::pack_b_f32(gemm::MatrixSource{qh, d, true}, iu_[u], rows_[u], 0, d, NR, qp_[u], ot_[u]);  // ot as scratch
      for (size_t e = 0; e < d * NR; ++e) qp_[u][e] *= q_scale;
    }
    std::fill(ot_[u], ot_[u] + d * NR, 0.0f);
    std::fill(m_[u], m_[u] + NR, kNegInf);
    std::fill(l_[u], l_[u] + NR, 0.0f);
  }
  bias_h_ = a.bias ? a.bias + b * a.bias_stride_b + h * a.bias_stride_h : nullptr;
  if (fused && a.nk % mr_ != 0) {
    const size_t tail = a.nk / mr_ * mr_;
    ktail_ = scratch_tail.get<float>(mr_ * d);
    std::copy(kv.k + tail * d, kv.k + a.nk * d, ktail_);
    std::fill(ktail_ + (a.nk - tail) * d, ktail_ + mr_ * d, 0.0f);
  }
}

void QueryTiles::scores(size_t u, size_t j0, size_t bk, size_t r) {
  const size_t mr = std::min(mr_, bk - r * mr_), d = a_.d;
  float* dst = st_[u] + r * mr_ * nr_;
  if (dp_) {
    kt_->bf16(kv_.d2, kv_.kp16 + (j0 + r * mr_) * 2 * kv_.d2, reinterpret_cast<const uint16_t*>(qp_[u]), dst, nr_, mr, nr_, false);
  } else if (fused_) {
    const ptrdiff_t whole = 0;
    kt_->f32_rows(1, d, &whole, k_rows(j0 + r * mr_), d, qp_[u], dst, nr_, mr, nr_, false);
  } else {
    kt_->f32(d, kv_.kp + (j0 + r * mr_) * d, qp_[u], dst, nr_, mr, nr_, false);
  }
}

void QueryTiles::scores_exp(size_t u, size_t j0, size_t bk, size_t r) {
  const size_t mr = std::min(mr_, bk - r * mr_), d = a_.d;
  kt_->score_exp(d, k_rows(j0 + r * mr_), d, qp_[u], st_[u] + r * mr_ * nr_, mr, m_[u], bsum_[u]);
}

void QueryTiles::general_block(size_t j0, size_t bk) {
  const size_t NR = nr_;
  const bool masks = a_.causal || a_.window;
  // every tile at once, so each K micro-panel is loaded once and reused from L1 by all tiles
  for (size_t r = 0; r * mr_ < bk; ++r) {
    for (size_t u = 0; u < tiles_; ++u) scores(u, j0, bk, r);
  }
  for (size_t u = 0; u < tiles_; ++u) {
    float *s = st_[u], *m = m_[u], *l = l_[u], *mx = mx_[u], *mexp = mexp_[u], *alpha = alpha_[u], *bsum = bsum_[u];
    if (dp_) {
      for (size_t e = 0; e < bk * NR; ++e) s[e] *= a_.scale;
    }
    if (bias_h_ || masks) {
      for (size_t j = 0; j < bk; ++j) {
        float* row = s + j * NR;
        for (size_t c = 0; c < rows_[u]; ++c) {
          if (bias_h_) row[c] += bias_h_[(iu_[u] + c) * a_.nk + j0 + j];
          if (masks && !attention_visible(a_, iu_[u] + c, j0 + j)) row[c] = kNegInf;
        }
      }
    }
    std::copy(m, m + NR, mx);
    kt_->colmax(s, bk, mx);  // mx = max(m, block max) = the new running max
    for (size_t c = 0; c < NR; ++c) {
      alpha[c] = m[c] == kNegInf ? 0.0f : std::exp(m[c] - mx[c]);
      mexp[c] = mx[c] == kNegInf ? std::numeric_limits<float>::infinity() : mx[c];  // nothing visible yet: P = 0
      bsum[c] = 0.0f;
    }
    kt_->colexp(s, bk, mexp, bsum);
    bool rescale = false;  // once every query's max has settled, alpha is 1 and Oᵀ needs no pass
    for (size_t c = 0; c < NR; ++c) {
      l[c] = l[c] * alpha[c] + bsum[c];
      m[c] = mx[c];
      rescale = rescale || alpha[c] != 1.0f;
    }
    if (rescale) kt_->rowmul(ot_[u], a_.d, alpha);
    if (dp_) pack_pt_bf16(s, bk, NR, pt16_[u]);  // P rounded to bf16
  }
  pv(j0, bk, 0, tiles_);
}

// The fused block: P = 2^(S - m) straight from the score kernel against the running max m of the blocks before
// (on the first block, the max of its first key panel: a real score, so no query's weights all underflow). m is
// a reference point, not necessarily the max: weights above 1 are fine, and settle_fused moves m only when they
// grow large, so most blocks skip the rescale of Oᵀ and the column-max pass entirely.
void QueryTiles::fused_block(size_t j0, size_t bk) {
  for (size_t u = 0; u < tiles_; ++u) {
    if (j0 == 0) {
      scores(u, j0, bk, 0);
      kt_->colmax(st_[u], std::min(mr_, bk), m_[u]);
    }
    std::fill(bsum_[u], bsum_[u] + nr_, 0.0f);
    for (size_t r = 0; r * mr_ < bk; ++r) scores_exp(u, j0, bk, r);
    settle_fused(u, j0, bk);
    pv(j0, bk, u, u + 1);
  }
}

void QueryTiles::settle_fused(size_t u, size_t j0, size_t bk) {
  const size_t NR = nr_;
  float *p = st_[u], *m = m_[u], *l = l_[u], *mx = mx_[u], *alpha = alpha_[u], *bsum = bsum_[u];
  if (std::all_of(bsum, bsum + NR, [](float s) { return s <= kLazySumLimit; })) {  // false for inf and NaN too
    for (size_t c = 0; c < NR; ++c) l[c] += bsum[c];
    return;
  }
  std::fill(mx, mx + NR, 0.0f);
  kt_->colmax(p, bk, mx);  // each query's largest weight in the block
  // (m stays exact under += e while |m| < 2^22; larger scores take the recompute path)
  const bool exact_m = std::all_of(m, m + NR, [](float x) { return std::fabs(x) < 4194304.0f; });
  if (exact_m && std::all_of(mx, mx + NR, [](float x) { return std::isfinite(x); })) {
    // Move m up by whole powers of two, so P, its sums and Oᵀ scale exactly: largest weight back to <= 1.
    for (size_t c = 0; c < NR; ++c) {
      const int e = mx[c] > 1.0f ? static_cast<int>(std::ceil(std::log2(mx[c]))) : 0;
      alpha[c] = std::ldexp(1.0f, -e);
      m[c] += static_cast<float>(e);
      l[c] = (l[c] + bsum[c]) * alpha[c];
    }
    kt_->rowmul(p, bk, alpha);
    kt_->rowmul(ot_[u], a_.d, alpha);
    return;
  }
  // A weight overflowed (a score beat m by more than 2^128), or m is too large to move exactly: find the block's
  // true max from plain scores, rescale what came before to it, and redo the block's weights against it (<= 1).
  for (size_t r = 0; r * mr_ < bk; ++r) scores(u, j0, bk, r);
  std::copy(m, m + NR, mx);
  kt_->colmax(p, bk, mx);
  for (size_t c = 0; c < NR; ++c) {
    alpha[c] = std::exp2(m[c] - mx[c]);
    m[c] = mx[c];
    l[c] *= alpha[c];
    bsum[c] = 0.0f;
  }
  kt_->rowmul(ot_[u], a_.d, alpha);
  for (size_t r = 0; r * mr_ < bk; ++r) scores_exp(u, j0, bk, r);
  for (size_t c = 0; c < NR; ++c) l[c] += bsum[c];
}

// Each V micro-panel is reused from L1 by all the tiles in [u0, u1).
void QueryTiles::pv(size_t j0, size_t bk, size_t u0, size_t u1) {
  const size_t NR = nr_, d = a_.d, MRV = kv_.mrv;
  for (size_t r = 0; r < kv_.v_panels; ++r) {
    const size_t mr = std::min(MRV, d - r * MRV);
    for (size_t u = u0; u < u1; ++u) {
      if (dp_) {
        kt_->bf16((bk + 1) / 2, kv_.vt16 + r * mr_ * 2 * kv_.nk2 + j0 * mr_, pt16_[u], ot_[u] + r * mr_ * NR, NR, mr, NR, true);
      } else if (fused_) {  // Vᵀ in place: step p (key j0 + p) of feature rows r·MRV.. is row j0 + p of V
        kt_->f32_narrow_at(bk, kv_.v + j0 * d + r * MRV, d, st_[u], ot_[u] + r * MRV * NR, NR, mr, NR, true);
      } else {
        kv_.pv_kernel(bk, kv_.vt + r * MRV * kv_.nk + j0 * MRV, st_[u], ot_[u] + r * MRV * NR, NR, mr, NR, true);
      }
    }
  }
}

void QueryTiles::write_out() const {
  const size_t d = a_.d;
  for (size_t u = 0; u < tiles_; ++u) {
    float* out = a_.out + ((b_ * a_.heads + h_) * a_.nq + iu_[u]) * d;
    for (size_t c = 0; c < rows_[u]; ++c) {
      const float inv = l_[u][c] > 0.0f ? 1.0f / l_[u][c] : 0.0f;  // all keys masked: zeros
      for (size_t f = 0; f < d; ++f) out[c * d + f] = ot_[u][f * nr_ + c] * inv;
    }
  }
}

}  // namespace aiprod
