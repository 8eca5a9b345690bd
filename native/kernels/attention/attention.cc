// Flash attention on the GEMM micro-kernels, computed transposed so that nothing is re-packed:
//   Sᵀ = K·Qᵀ  (A = K in MR-key panels, B = one NR-query panel of Q·scale): the Sᵀ tile [keys x NR queries] has
//              exactly the layout of a packed B panel;
//   softmax runs down the columns (one vector lane per query: running max m, sum l, rescale alpha);
//   Oᵀ += Vᵀ·Pᵀ (A = V transposed in MR-feature panels, B = the Pᵀ tile as it is).
// Per (batch, kv head) K and V are packed once; tasks are (query head of the group, block of NR queries).
// Extra memory: packed K and V of one kv head (2·Nk·d floats) plus per-thread tiles, never Nq x Nk.
#include <algorithm>
#include <cmath>
#include <limits>

#include "aiprod/attention.h"
#include "aiprod/gemm.h"
#include "aiprod/half.h"
#include "aiprod/scratch.h"
#include "aiprod/threadpool.h"
#include "../gemm/gemm_pack.h"

namespace aiprod {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();
// Query tiles per task: K and V micro-panels are streamed from L2/L3 once per task and reused from L1 by each
// tile, halving that traffic at two tiles.
constexpr size_t QT = 2;

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

// Lazy rescaling after a fused block (P = exp(S - m) against the old running max m, block sums bsum, block
// maxima in mx): while no score exceeds m by more than kLazyHeadroom, m stays and Oᵀ needs no pass (P <= e^8, far
// from overflow); columns that went higher move m to their new max, scaling their P, sums and Oᵀ by
// alpha = exp(m_old - m_new). Returns false, changing nothing, when a score beat m by so much that exp(S - m) may
// have overflowed: the caller recomputes that block unfused.
constexpr float kLazyHeadroom = 8.0f, kOverflowGuard = 80.0f;
bool settle_lazy_max(const GemmKernels* kt, float* p, size_t bk, float* ot, size_t d, size_t nr, float* m, float* l,
                     const float* mx, float* alpha, float* bsum) {
  bool rescale = false;
  for (size_t c = 0; c < nr; ++c) {
    const float rise = mx[c] - m[c];
    if (!(rise <= kOverflowGuard)) return false;  // also catches NaN
    rescale = rescale || rise > kLazyHeadroom;
  }
  if (rescale) {
    for (size_t c = 0; c < nr; ++c) alpha[c] = mx[c] - m[c] > kLazyHeadroom ? std::exp(m[c] - mx[c]) : 1.0f;
    kt->rowmul(p, bk, alpha);
    kt->rowmul(ot, d, alpha);
    for (size_t c = 0; c < nr; ++c) {
      l[c] *= alpha[c];
      bsum[c] *= alpha[c];
      if (alpha[c] != 1.0f) m[c] = mx[c];
    }
  }
  for (size_t c = 0; c < nr; ++c) l[c] += bsum[c];
  return true;
}

}  // namespace

void attention(const AttentionArgs& a) {
  const GemmKernels* kt = gemm_kernels();
  if (!kt) return attention_ref(a);
  if (a.batch * a.heads * a.nq == 0 || a.d == 0) return;
  const size_t MR = kt->mr, NR = kt->nr, d = a.d, group = a.heads / a.kv_heads;
  const size_t BK = MR * std::max<size_t>(1, 256 / MR);  // keys per block, a whole number of K panels
  const bool dp = a.bf16 && kt->bf16 != nullptr;  // bf16 dot products (see attention.h)
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
      parallel_for(group * q_blocks, [&](size_t task) {
        thread_local Scratch scratch16, scratch32;
        const size_t h = g * group + task / q_blocks;
        const size_t i0 = (task % q_blocks) * NR * QT;
        const size_t tiles = std::min(QT, (a.nq - i0 + NR - 1) / NR);
        const float* qh = a.q + (b * a.heads + h) * a.nq * d;
        // Per query tile u: Q panel [d][NR] (Q·scale), Sᵀ/Pᵀ tile [keys][NR], Oᵀ [d][NR], softmax state 6 x NR.
        const size_t tile_floats = d * NR + BK * NR + d * NR + 6 * NR;
        float* base = scratch32.get<float>(QT * tile_floats);
        uint16_t* base16 = dp ? scratch16.get<uint16_t>(QT * (BK / 2 + 1) * 2 * NR) : nullptr;  // Pᵀ bf16 pairs
        float *qp[QT], *st[QT], *ot[QT], *m[QT], *l[QT];
        uint16_t* pt16[QT];
        size_t iu[QT], rows_u[QT];
        for (size_t u = 0; u < tiles; ++u) {
          float* t0 = base + u * tile_floats;
          qp[u] = t0, st[u] = t0 + d * NR, ot[u] = st[u] + BK * NR, m[u] = ot[u] + d * NR, l[u] = m[u] + NR;
          pt16[u] = dp ? base16 + u * (BK / 2 + 1) * 2 * NR : nullptr;
          iu[u] = i0 + u * NR, rows_u[u] = std::min(NR, a.nq - iu[u]);
          if (dp) {  // bf16 Q cannot absorb the scale exactly: Sᵀ is scaled after the product instead
            gemm::pack_b_bf16(gemm::MatrixSource{qh, d, true}, iu[u], rows_u[u], 0, d, NR, reinterpret_cast<uint16_t*>(qp[u]), ot[u]);
          } else {
            gemm::pack_b_f32(gemm::MatrixSource{qh, d, true}, iu[u], rows_u[u], 0, d, NR, qp[u], ot[u]);  // ot as scratch
            for (size_t e = 0; e < d * NR; ++e) qp[u][e] *= a.scale;
          }
          std::fill(ot[u], ot[u] + d * NR, 0.0f);
          std::fill(m[u], m[u] + NR, kNegInf);
          std::fill(l[u], l[u] + NR, 0.0f);
        }
        const float* bias_h = a.bias ? a.bias + b * a.bias_stride_b + h * a.bias_stride_h : nullptr;
        const bool masks = a.causal || a.window;
        const size_t i_end = iu[tiles - 1] + rows_u[tiles - 1];
        // Softmax fused into the score kernel (f32, no bias or mask) from the second block on, against the running
        // max of the blocks before; the first block of a tile has none and takes the separate passes.
        const bool fusable = kt->score_exp && !dp && !bias_h && !masks;
        // per-block softmax state of tile u, after its running max m and sum l
        auto mx_of = [&](size_t u) { return l[u] + NR; };
        auto mexp_of = [&](size_t u) { return l[u] + 2 * NR; };
        auto alpha_of = [&](size_t u) { return l[u] + 3 * NR; };
        auto bsum_of = [&](size_t u) { return l[u] + 4 * NR; };
        for (size_t j0 = 0; j0 < a.nk; j0 += BK) {
          const size_t bk = std::min(BK, a.nk - j0);
          if (masks && !block_visible(a, i0, i_end, j0, j0 + bk)) continue;
          bool fused[QT];
          for (size_t u = 0; u < tiles; ++u) {
            fused[u] = fusable && j0 > 0 && std::all_of(m[u], m[u] + NR, [](float x) { return std::isfinite(x); });
            if (fused[u]) {
              std::copy(m[u], m[u] + NR, mx_of(u));  // the block's max over the scores and m
              std::fill(bsum_of(u), bsum_of(u) + NR, 0.0f);
            }
          }
          // Sᵀ (or, fused, P) of key panel r for tile u
          auto scores = [&](size_t r, size_t u, bool fuse) {
            const size_t mr = std::min(MR, bk - r * MR);
            float* dst = st[u] + r * MR * NR;
            if (dp) {
              kt->bf16(d2, kp16 + (j0 + r * MR) * 2 * d2, reinterpret_cast<const uint16_t*>(qp[u]), dst, NR, mr, NR, false);
            } else if (fuse) {
              kt->score_exp(d, kp + (j0 + r * MR) * d, qp[u], dst, mr, m[u], bsum_of(u), mx_of(u));
            } else {
              kt->f32(d, kp + (j0 + r * MR) * d, qp[u], dst, NR, mr, NR, false);
            }
          };
          // every tile at once, so each K micro-panel is loaded once and reused from L1 by all tiles
          for (size_t r = 0; r * MR < bk; ++r) {
            for (size_t u = 0; u < tiles; ++u) scores(r, u, fused[u]);
          }
          for (size_t u = 0; u < tiles; ++u) {
            float* s_u = st[u];
            float *mx = mx_of(u), *mexp = mexp_of(u), *alpha = alpha_of(u), *bsum = bsum_of(u);
            if (fused[u] && !settle_lazy_max(kt, s_u, bk, ot[u], d, NR, m[u], l[u], mx, alpha, bsum)) {
              for (size_t r = 0; r * MR < bk; ++r) scores(r, u, false);  // a score overflowed exp: redo unfused
              fused[u] = false;
            }
            if (fused[u]) continue;
            if (dp) {
              for (size_t e = 0; e < bk * NR; ++e) s_u[e] *= a.scale;
            }
            if (bias_h || masks) {
              for (size_t j = 0; j < bk; ++j) {
                float* row = s_u + j * NR;
                for (size_t c = 0; c < rows_u[u]; ++c) {
                  if (bias_h) row[c] += bias_h[(iu[u] + c) * a.nk + j0 + j];
                  if (masks && !attention_visible(a, iu[u] + c, j0 + j)) row[c] = kNegInf;
                }
              }
            }
            std::copy(m[u], m[u] + NR, mx);
            kt->colmax(s_u, bk, mx);  // mx = max(m, block max) = the new running max
            for (size_t c = 0; c < NR; ++c) {
              alpha[c] = m[u][c] == kNegInf ? 0.0f : std::exp(m[u][c] - mx[c]);
              mexp[c] = mx[c] == kNegInf ? std::numeric_limits<float>::infinity() : mx[c];  // nothing visible yet: P = 0
              bsum[c] = 0.0f;
            }
            kt->colexp(s_u, bk, mexp, bsum);
            bool rescale = false;  // once every query's max has settled, alpha is 1 and Oᵀ needs no pass
            for (size_t c = 0; c < NR; ++c) {
              l[u][c] = l[u][c] * alpha[c] + bsum[c];
              m[u][c] = mx[c];
              rescale = rescale || alpha[c] != 1.0f;
            }
            if (rescale) kt->rowmul(ot[u], d, alpha);
            if (dp) pack_pt_bf16(s_u, bk, NR, pt16[u]);  // P rounded to bf16
          }
          // Oᵀ += Vᵀ·Pᵀ for every tile; each V micro-panel is reused from L1 by all tiles
          for (size_t r = 0; r < v_panels; ++r) {
            const size_t mr = std::min(MRV, d - r * MRV);
            for (size_t u = 0; u < tiles; ++u) {
              if (dp) {
                kt->bf16((bk + 1) / 2, vt16 + r * MR * 2 * nk2 + j0 * MR, pt16[u], ot[u] + r * MR * NR, NR, mr, NR, true);
              } else {
                pv_kernel(bk, vt + r * MRV * a.nk + j0 * MRV, st[u], ot[u] + r * MRV * NR, NR, mr, NR, true);
              }
            }
          }
        }
        for (size_t u = 0; u < tiles; ++u) {
          float* out = a.out + ((b * a.heads + h) * a.nq + iu[u]) * d;
          for (size_t c = 0; c < rows_u[u]; ++c) {
            const float inv = l[u][c] > 0.0f ? 1.0f / l[u][c] : 0.0f;  // all keys masked: zeros
            for (size_t f = 0; f < d; ++f) out[c * d + f] = ot[u][f * NR + c] * inv;
          }
        }
      });
    }
  }
  kscratch.trim();
  vscratch.trim();
}

}  // namespace aiprod
