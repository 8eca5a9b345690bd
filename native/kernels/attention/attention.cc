// Flash attention on the GEMM micro-kernels. Per (batch, kv head): K and V are packed once as B panels (K for
// S = Q·Kᵀ over d, V for O += P·V over keys). Tasks are (query head of the group, block of BQ query rows); each
// walks the key blocks: S tile by micro-kernel, scale + bias + masks, online softmax (running max m and sum l
// per row, O rescaled by exp(m_old - m_new)), P packed as A panels, O += P·V by micro-kernel; finally O /= l.
// Extra memory: packed K and V of one kv head (2·Nk·d floats) + per-thread tiles.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "aiprod/attention.h"
#include "aiprod/gemm.h"
#include "aiprod/storage.h"
#include "aiprod/threadpool.h"
#include "../gemm/gemm_pack.h"

namespace aiprod {
namespace {

constexpr size_t BK = 256;  // keys per block: the S tile (BQ x BK) stays in L1/L2
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

template <typename T>
T* tls(std::vector<T>& v, size_t n) {
  if (v.size() < n) v.resize(n);
  return v.data();
}

struct Tiles {  // per-thread scratch
  std::vector<float> aq, s, ap, o, m, l, col;
};

// Do any (i in [i0,i1), j in [j0,j1)) pairs survive the causal/window masks? Lets whole key blocks be skipped.
bool block_visible(const AttentionArgs& a, size_t i0, size_t i1, size_t j0, size_t j1) {
  if (a.causal && j0 > i1 - 1) return false;
  if (a.window) {
    // the nearest pair distance between the two ranges
    const size_t dist = j0 >= i1 ? j0 - (i1 - 1) : (i0 >= j1 ? i0 - (j1 - 1) : 0);
    if (dist >= a.window) return false;
  }
  return true;
}

}  // namespace

void attention(const AttentionArgs& a) {
  const GemmKernels* kt = gemm_kernels();
  if (!kt) return attention_ref(a);
  if (a.batch * a.heads * a.nq == 0 || a.d == 0) return;
  const size_t MR = kt->mr, NR = kt->nr;
  const size_t BQ = MR * 4;
  const size_t d = a.d, group = a.heads / a.kv_heads;
  const size_t k_panels = (a.nk + NR - 1) / NR, d_panels = (d + NR - 1) / NR;
  HostStorage kp(std::max<size_t>(1, k_panels) * d * NR * sizeof(float), false);
  HostStorage vp(std::max<size_t>(1, d_panels) * a.nk * NR * sizeof(float), false);
  float* kpp = static_cast<float*>(kp.data());
  float* vpp = static_cast<float*>(vp.data());
  const size_t q_blocks = (a.nq + BQ - 1) / BQ;

  for (size_t b = 0; b < a.batch; ++b) {
    for (size_t g = 0; g < a.kv_heads; ++g) {
      const float* kh = a.k + (b * a.kv_heads + g) * a.nk * d;
      const float* vh = a.v + (b * a.kv_heads + g) * a.nk * d;
      // K panels: B(k = feature t, n = key j) = K[j, t]; V panels: B(k = key j, n = feature t) = V[j, t].
      parallel_range(k_panels + d_panels, 1, [&](size_t p0, size_t p1) {
        thread_local std::vector<float> col;
        float* c = tls(col, std::max(a.nk, d));
        for (size_t p = p0; p < p1; ++p) {
          if (p < k_panels) {
            gemm::pack_b_f32(gemm::MatrixSource{kh, d, true}, p * NR, std::min(NR, a.nk - p * NR), 0, d, NR, kpp + p * d * NR, c);
          } else {
            const size_t pd = p - k_panels;
            gemm::pack_b_f32(gemm::MatrixSource{vh, d, false}, pd * NR, std::min(NR, d - pd * NR), 0, a.nk, NR, vpp + pd * a.nk * NR, c);
          }
        }
      });
      parallel_for(group * q_blocks, [&](size_t task) {
        thread_local Tiles t;
        const size_t h = g * group + task / q_blocks;
        const size_t i0 = (task % q_blocks) * BQ, rows = std::min(BQ, a.nq - i0);
        const size_t micro = (rows + MR - 1) / MR;
        const float* qh = a.q + ((b * a.heads + h) * a.nq) * d;
        float* aq = tls(t.aq, micro * d * MR);
        float* s = tls(t.s, BQ * BK);
        float* ap = tls(t.ap, micro * BK * MR);
        float* o = tls(t.o, BQ * d);
        float* m = tls(t.m, BQ);
        float* l = tls(t.l, BQ);
        for (size_t r = 0; r < micro; ++r) gemm::pack_a_f32(qh, d, i0 + r * MR, std::min(MR, rows - r * MR), 0, d, MR, false, aq + r * d * MR);
        std::fill(o, o + rows * d, 0.0f);
        std::fill(m, m + rows, kNegInf);
        std::fill(l, l + rows, 0.0f);
        const float* bias_h = a.bias ? a.bias + b * a.bias_stride_b + h * a.bias_stride_h : nullptr;
        const bool masks = a.causal || a.window;
        for (size_t j0 = 0; j0 < a.nk; j0 += BK) {
          const size_t bk = std::min(BK, a.nk - j0);
          if (masks && !block_visible(a, i0, i0 + rows, j0, j0 + bk)) continue;
          // S = Q · Kᵀ for this key block
          for (size_t p = j0 / NR; p * NR < j0 + bk; ++p) {
            const size_t ncols = std::min(NR, a.nk - p * NR);
            for (size_t r = 0; r < micro; ++r) {
              kt->f32(d, aq + r * d * MR, kpp + p * d * NR, s + r * MR * BK + (p * NR - j0), BK, std::min(MR, rows - r * MR), ncols, false);
            }
          }
          // online softmax, row by row; s becomes P in place
          for (size_t i = 0; i < rows; ++i) {
            float* si = s + i * BK;
            kt->scale(si, bk, a.scale);
            if (bias_h) {
              const float* bi = bias_h + (i0 + i) * a.nk + j0;
              for (size_t j = 0; j < bk; ++j) si[j] += bi[j];
            }
            if (masks) {
              for (size_t j = 0; j < bk; ++j) {
                if (!attention_visible(a, i0 + i, j0 + j)) si[j] = kNegInf;
              }
            }
            const float m_new = std::max(m[i], kt->max(si, bk));
            if (m_new == kNegInf) {  // nothing visible in this row yet: P row is zero
              std::fill(si, si + bk, 0.0f);
              continue;
            }
            const float alpha = m[i] == kNegInf ? 0.0f : std::exp(m[i] - m_new);
            l[i] = l[i] * alpha + kt->exp_sum(si, si, bk, m_new);
            if (alpha != 1.0f) kt->scale(o + i * d, d, alpha);
            m[i] = m_new;
          }
          // O += P · V_block
          for (size_t r = 0; r < micro; ++r) gemm::pack_a_f32(s, BK, r * MR, std::min(MR, rows - r * MR), 0, bk, MR, false, ap + r * bk * MR);
          for (size_t pd = 0; pd < d_panels; ++pd) {
            const size_t ncols = std::min(NR, d - pd * NR);
            for (size_t r = 0; r < micro; ++r) {
              kt->f32(bk, ap + r * bk * MR, vpp + pd * a.nk * NR + j0 * NR, o + r * MR * d + pd * NR, d, std::min(MR, rows - r * MR), ncols, true);
            }
          }
        }
        float* out = a.out + ((b * a.heads + h) * a.nq + i0) * d;
        for (size_t i = 0; i < rows; ++i) {
          const float inv = l[i] > 0.0f ? 1.0f / l[i] : 0.0f;  // all keys masked: zeros
          for (size_t t2 = 0; t2 < d; ++t2) out[i * d + t2] = o[i * d + t2] * inv;
        }
      });
    }
  }
}

}  // namespace aiprod
