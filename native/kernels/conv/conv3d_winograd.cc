// 3D convolution with a 3x3 spatial kernel and unit spatial stride by Winograd F(2x2, 3x3), per temporal tap:
// every 2x2 block of outputs ("tile") of one output frame is Y = Aᵀ [Σ_dt Σ_ci U_dt,ci ⊙ V_t·st+dt,ci] A with
//   U = G g Gᵀ  (g = w[co, ci, dt, :, :]),   V = Bᵀ d B  (d = the 4x4 input patch of padded frame tp at 2ty, 2tx),
//   Bᵀ = [[1,0,-1,0],[0,1,1,0],[0,-1,1,0],[0,1,0,-1]], G = [[1,0,0],[½,½,½],[½,-½,½],[0,0,1]], Aᵀ = [[1,1,1,0],[0,1,-1,-1]].
// 16 multiplies per tile and (ci, co, dt) instead of 36: for each of the 16 points ξ the sum is a GEMM
//   M[ξ][tile][co] = Σ_dt Σ_ci V[ξ][t·st+dt][tile][ci] · U[ξ][dt·Cin+ci][co]
// run on the packed micro-kernel, one call per temporal tap (accumulating), K = Cin per call. The input is
// padded once per batch item (every mode resolved as in conv3d_rows.cc, then zero rows/cols so partial edge tiles
// read zeros) and transformed once straight into packed A panels V[ξ][tp][panel of MR tiles][ci][MR]: read in
// place by the row micro-kernel instead (rows of V at stride Cin, 14 streams from memory per call, V being 4x the
// input and read by every Cout group), the GEMM ran at half speed. Weights are transformed and packed once per
// layer (cached) as NR-wide B panels per point. With unit temporal stride the panels of consecutive output frames
// are consecutive in V, so a task's block of panels may span frames.
//
// Numerics: the transforms add a few roundings per input and output (|V| <= 4·max|d|, |U| <= max|g|·9/4, Aᵀ M A
// sums 9 of the 16 M), so the error is a small multiple of the direct path's; the tests bound it at 4x the
// direct bound relative to Σ|w||x| with a 9x factor for the transforms' growth (see product_tests.cc).
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

// M bytes per task (16 points x block rows x group channels, written by the GEMM and read back once by the output
// transform); beyond it Cout is split into groups.
constexpr size_t kMBytes = 8 * 1024 * 1024;

// V bytes at most (the output frames are processed in chunks beyond it): V is 4x the padded input.
size_t g_v_budget = kWinogradVBudget;

}  // namespace

void conv3d_winograd_set_v_budget(size_t bytes) { g_v_budget = bytes; }

void conv3d_winograd(const Conv3dArgs& a, const GemmKernels& kt) {
  const size_t To = a.out_size[0], Ho = a.out_size[1], Wo = a.out_size[2];
  const size_t MR = kt.mr, NR = kt.nr, cin = a.cin, kT = a.k[0], st = a.stride[0];
  const PaddedSize padded = padded_size(a);  // (no structured binding: lambdas capture these)
  const size_t Tp = padded.t, Hp = padded.h, Wp = padded.w;
  const size_t TH = (Ho + 1) / 2, TW = (Wo + 1) / 2, ntiles = TH * TW;
  const size_t Hq = std::max(Hp, 2 * TH + 2), Wq = std::max(Wp, 2 * TW + 2);
  const size_t K = kT * cin, co_panels = (a.cout + NR - 1) / NR;

  // U packed per point ξ as NR-wide B panels over k = dt·Cin + ci: upack[ξ][q][k][NR], zero past Cout.
  auto pack_weights = [&](HostStorage& storage) {
    float* all = static_cast<float*>(storage.data());
    parallel_range(co_panels, 1, [&](size_t q0, size_t q1) {
      for (size_t q = q0; q < q1; ++q) {
        const size_t cols = std::min(NR, a.cout - q * NR);
        for (size_t k = 0; k < K; ++k) {
          const size_t dt = k / cin, ci = k % cin;
          for (size_t j = 0; j < NR; ++j) {
            float u[16] = {};
            if (j < cols) {
              const float* g = a.w + (((q * NR + j) * cin + ci) * kT + dt) * 9;
              float t[4][3];  // G g
              for (int c = 0; c < 3; ++c) {
                t[0][c] = g[c];
                t[1][c] = 0.5f * (g[c] + g[3 + c] + g[6 + c]);
                t[2][c] = 0.5f * (g[c] - g[3 + c] + g[6 + c]);
                t[3][c] = g[6 + c];
              }
              for (int r = 0; r < 4; ++r) {  // (G g) Gᵀ
                u[r * 4 + 0] = t[r][0];
                u[r * 4 + 1] = 0.5f * (t[r][0] + t[r][1] + t[r][2]);
                u[r * 4 + 2] = 0.5f * (t[r][0] - t[r][1] + t[r][2]);
                u[r * 4 + 3] = t[r][2];
              }
            }
            for (size_t xi = 0; xi < 16; ++xi) all[((xi * co_panels + q) * K + k) * NR + j] = u[xi];
          }
        }
      }
    });
  };
  const std::string tag = std::string("conv3d-wino/") + isa_name(kt.isa) + "/" + std::to_string(NR) + "/" +
                          std::to_string(cin) + "x" + std::to_string(kT);
  const auto packed = packed_weights(a.w_key, tag, 16 * co_panels * K * NR * sizeof(float), pack_weights);
  const float* upack = static_cast<const float*>(packed->data());

  // GEMM rows are tiles, in micro-panels of MR tiles per frame (ntp panels; the last one of a frame is padded with
  // zero tiles). With unit temporal stride the panels of all output frames are one run (tap dt reads dt·ntp
  // panels further); otherwise each output frame is a run of ntp panels. Blocks of ~26 panels (as conv3d_rows.cc);
  // Cout is split into groups only to keep the block's M within kMBytes or while there are fewer than 2 tasks per
  // thread: every group reads the block's V again, and measured on 512->512 5x18x18 one group (all 512 Cout, B
  // streamed from L3 past each A panel) beat groups of 64 or 128 Cout kept in L2 by 5-15%.
  const size_t ntp = (ntiles + MR - 1) / MR, vpanel = cin * MR;  // floats of one A panel of one tap
  const size_t frame_v = ntp * vpanel;  // floats of one frame of one point in V
  // V is 4x the padded input: output frames go in chunks of Tc whose (Tc-1)·st + kT input frames fit kVBytes.
  // V holds R frame slots, padded frame tp in slot tp % R: a chunk's frames never collide (Tv <= R), and the frames
  // a chunk shares with the one before stay where they are and are not transformed again (with one output frame
  // per chunk, as 256x256 layers get, recomputing them tripled the input transform's work).
  const size_t v_frames = std::max<size_t>(kT, g_v_budget / (16 * frame_v * sizeof(float)));
  const size_t Tc = std::min(To, (v_frames - kT) / st + 1);
  const size_t R = (Tc - 1) * st + kT;

  thread_local Scratch xscratch, vscratch;
  float* xcl = xscratch.get<float>(Tp * Hq * Wq * cin);
  float* V = vscratch.get<float>(16 * R * frame_v);  // V[ξ][slot][panel][ci][MR]
  auto v_frame = [&](size_t xi, size_t tp) { return V + (xi * R + tp % R) * frame_v; };  // point ξ of padded frame tp
  for (size_t b = 0; b < a.batch; ++b) {
    pad_channels_last(a, a.x + b * cin * a.in[0] * a.in[1] * a.in[2], Hq, Wq, 0, xcl);
    size_t done_end = 0;  // padded frames [.., done_end) of this batch item are in V (those of the last chunk)
    for (size_t t0 = 0; t0 < To; t0 += Tc) {
      const size_t Toc = std::min(Tc, To - t0), tp0 = t0 * st, Tv = (Toc - 1) * st + kT;
      const size_t tp_new = std::max(tp0, done_end), n_new = tp0 + Tv - tp_new;  // frames to transform
      done_end = tp0 + Tv;
      const size_t runs = st == 1 ? 1 : Toc, Gp = st == 1 ? Toc * ntp : ntp;
      const size_t blocks = (Gp + 25) / 26;
      const size_t MBp = (Gp + blocks - 1) / blocks, MB = MBp * MR;
      const size_t m_panels = std::max<size_t>(1, kMBytes / (16 * MB * NR * sizeof(float)));
      size_t groups = (co_panels + m_panels - 1) / m_panels;
      while (groups < co_panels && runs * blocks * groups < size_t(thread_count()) * 2) groups *= 2;
      const size_t group_panels = (co_panels + std::min(groups, co_panels) - 1) / std::min(groups, co_panels);
      groups = (co_panels + group_panels - 1) / group_panels;
      // V = Bᵀ d B for every tile of every padded frame, 16 channels at a time (vectorized over the channels), each
      // value stored straight into its panel (a panel's 16 points x 16 channels x MR tiles stay in L1 meanwhile).
      parallel_range(n_new * ntp, 1, [&](size_t r0, size_t r1) {
        for (size_t r = r0; r < r1; ++r) {
          const size_t tp = tp_new + r / ntp, panel = r % ntp;
          for (size_t c0 = 0; c0 < cin; c0 += 16) {
            const size_t nc = std::min<size_t>(16, cin - c0);
            for (size_t i = 0; i < MR; ++i) {
              const size_t tile = panel * MR + i;
              alignas(64) float d[4][4][16];  // the patch, zero past the channels and for the padding tiles
              if (tile < ntiles && nc == 16) {
                const float* src = xcl + ((tp * Hq + 2 * (tile / TW)) * Wq + 2 * (tile % TW)) * cin + c0;
                for (int y = 0; y < 4; ++y)
                  for (int x = 0; x < 4; ++x) std::memcpy(d[y][x], src + (y * Wq + x) * cin, 16 * sizeof(float));
              } else {
                std::memset(d, 0, sizeof(d));
                if (tile < ntiles) {
                  const float* src = xcl + ((tp * Hq + 2 * (tile / TW)) * Wq + 2 * (tile % TW)) * cin + c0;
                  for (int y = 0; y < 4; ++y)
                    for (int x = 0; x < 4; ++x) std::memcpy(d[y][x], src + (y * Wq + x) * cin, nc * sizeof(float));
                }
              }
              alignas(64) float t[4][4][16], v[16][16];  // Bᵀ d, then (Bᵀ d) B
              for (int x = 0; x < 4; ++x) {
                for (size_t c = 0; c < 16; ++c) {
                  t[0][x][c] = d[0][x][c] - d[2][x][c];
                  t[1][x][c] = d[1][x][c] + d[2][x][c];
                  t[2][x][c] = d[2][x][c] - d[1][x][c];
                  t[3][x][c] = d[1][x][c] - d[3][x][c];
                }
              }
              for (int y = 0; y < 4; ++y) {
                for (size_t c = 0; c < 16; ++c) {
                  v[y * 4 + 0][c] = t[y][0][c] - t[y][2][c];
                  v[y * 4 + 1][c] = t[y][1][c] + t[y][2][c];
                  v[y * 4 + 2][c] = t[y][2][c] - t[y][1][c];
                  v[y * 4 + 3][c] = t[y][1][c] - t[y][3][c];
                }
              }
              for (size_t xi = 0; xi < 16; ++xi) {
                float* dst = v_frame(xi, tp) + panel * vpanel + c0 * MR + i;
                for (size_t c = 0; c < nc; ++c) dst[c * MR] = v[xi][c];
              }
            }
          }
        }
      });
      parallel_for(runs * blocks * groups, [&](size_t task) {
        const size_t grp = task % groups, blk = (task / groups) % blocks, f = task / (groups * blocks);
        const size_t p0 = blk * MBp, np = std::min(MBp, Gp - std::min(Gp, p0)), ng = np * MR;
        if (np == 0) return;
        const size_t q0 = grp * group_panels, q1 = std::min(co_panels, q0 + group_panels);
        const size_t ldc = (q1 - q0) * NR;
        thread_local Scratch mscratch;
        float* M = mscratch.get<float>(16 * MB * ldc);  // M[ξ][row][co of this group]
        for (size_t xi = 0; xi < 16; ++xi) {
          float* mx = M + xi * MB * ldc;
          // A panel outer (its kT taps: read from memory once, then from L1/L2 for every B panel), B panels inner.
          for (size_t p = 0; p < np; ++p) {
            for (size_t q = q0; q < q1; ++q) {
              const float* bq = upack + (xi * co_panels + q) * K * NR;
              const size_t nr = std::min(NR, a.cout - q * NR);
              // row panel p0 + p: output frame t0 + f + (p0 + p) / ntp (one of the two is 0), panel (p0 + p) % ntp
              const size_t gp = p0 + p, tp = tp0 + (f + gp / ntp) * st;
              const float* vp = v_frame(xi, tp) + (gp % ntp) * vpanel;  // tap 0; tap dt is dt slots on (mod R)
              const float* v_end = V + (xi + 1) * R * frame_v;
              for (size_t dt = 0; dt < kT; ++dt, vp += frame_v) {
                if (vp >= v_end) vp -= R * frame_v;
                kt.f32(cin, vp, bq + dt * cin * NR, mx + p * MR * ldc + (q - q0) * NR, ldc, MR, nr, dt > 0);
              }
            }
          }
        }
        const size_t row0 = (f * Gp + p0) * MR;  // (frame, padded tile) index of the block's first row
        // Y = Aᵀ M A (+ bias) for runs of tiles of one tile row, 16 channels at a time through an L1 buffer, then
        // whole output row segments to [B, Cout, To, Ho, Wo].
        const size_t co_begin = q0 * NR, co_end = std::min(a.cout, q1 * NR);
        constexpr size_t kRun = 32;  // tiles per run
        for (size_t cb = co_begin; cb < co_end; cb += 16) {
          const size_t nc = std::min<size_t>(16, co_end - cb);
          float bias[16] = {};
          for (size_t c = 0; c < nc; ++c) bias[c] = a.bias ? a.bias[cb + c] : 0.0f;
          for (size_t j = 0; j < ng;) {
            const size_t row = row0 + j;  // (frame, padded tile) of this GEMM row
            const size_t t = t0 + row / (ntp * MR), tile = row % (ntp * MR), ty = tile / TW, tx0 = tile % TW;
            if (tile >= ntiles) {  // zero tiles that pad a frame's last panel
              j += ntp * MR - tile;
              continue;
            }
            const size_t n = std::min({kRun, TW - tx0, ng - j});
            alignas(64) float ybuf[16][2][2 * kRun];
            for (size_t i = 0; i < n; ++i) {
              const float* m = M + (j + i) * ldc + (cb - co_begin);
              const size_t ms = MB * ldc;
              float am0[4][16], am1[4][16], y[4][16];  // the two rows of Aᵀ M, then (Aᵀ M) A, over 16 channels
              for (int q = 0; q < 4; ++q) {
                const float* m0 = m + q * ms;
                const float* m1 = m + (4 + q) * ms;
                const float* m2 = m + (8 + q) * ms;
                const float* m3 = m + (12 + q) * ms;
                for (size_t c = 0; c < 16; ++c) {
                  am0[q][c] = m0[c] + m1[c] + m2[c];
                  am1[q][c] = m1[c] - m2[c] - m3[c];
                }
              }
              for (size_t c = 0; c < 16; ++c) {
                y[0][c] = am0[0][c] + am0[1][c] + am0[2][c];
                y[1][c] = am0[1][c] - am0[2][c] - am0[3][c];
                y[2][c] = am1[0][c] + am1[1][c] + am1[2][c];
                y[3][c] = am1[1][c] - am1[2][c] - am1[3][c];
              }
              for (size_t c = 0; c < 16; ++c) {
                ybuf[c][0][2 * i] = y[0][c] + bias[c];
                ybuf[c][0][2 * i + 1] = y[1][c] + bias[c];
                ybuf[c][1][2 * i] = y[2][c] + bias[c];
                ybuf[c][1][2 * i + 1] = y[3][c] + bias[c];
              }
            }
            const size_t x0 = 2 * tx0, nx = std::min(2 * n, Wo - x0);
            for (size_t c = 0; c < nc; ++c) {
              float* out = a.out + (((b * a.cout + cb + c) * To + t) * Ho) * Wo + x0;
              for (size_t dy = 0; dy < 2 && 2 * ty + dy < Ho; ++dy) {
                std::memcpy(out + (2 * ty + dy) * Wo, ybuf[c][dy], nx * sizeof(float));
              }
            }
            j += n;
          }
        }
      });
    }
  }
  xscratch.trim();
  vscratch.trim();
}

}  // namespace aiprod
