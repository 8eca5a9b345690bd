// Dense matrix products: Linear (x · Wᵀ with weights [N,K] in f32, bf16 or f8e4m3·scale) with fused epilogues,
// and batched matmul. The ref path is a plain dot-product implementation (the oracle); the SIMD paths are
// BLIS-style: packed panels, an MR x NR register-blocked micro-kernel, K blocked so panels stay in cache.
//
// Numerics (every path): f32 weights -> f32 products, f32 accumulation. bf16 and f8e4m3 weights -> the
// activations are rounded to bf16 and the f8 weights decoded to bf16 as round_bf16(q * scale), so every product
// is bf16 x bf16 (exact in f32) accumulated in f32: the math of upstream's bf16 GEMMs (fp8 checkpoints are upcast
// to bf16 per matmul there). Paths differ only in summation order.
#pragma once
#include <cstddef>
#include <cstdint>

#include "aiprod/dtype.h"
#include "aiprod/kernels.h"
#include "aiprod/packed_cache.h"

namespace aiprod {

enum class Activation : uint8_t { None = 0, GeluTanh = 1 };

// out = residual + gate ⊙ act(acc + bias), each term optional; gate and residual are [M,N] row-major with ldc.
struct Epilogue {
  const float* bias = nullptr;      // [N]
  Activation act = Activation::None;
  const float* gate = nullptr;      // [M,N]
  const float* residual = nullptr;  // [M,N]; may alias the output
};

// y[M,N] = epilogue(x[M,K] · W[N,K]ᵀ). x, y, gate and residual are row-major and dense.
struct LinearArgs {
  const float* x;
  size_t m, k, n;
  const void* w;
  DType w_dtype;         // f32, bf16 or f8e4m3
  float w_scale = 1.0f;  // f8e4m3 only
  float* y;
  Epilogue epi;
  WeightKey w_key;  // identity of W for the packed-weight cache; uid 0: pack every call
};
void linear(const LinearArgs& args);

// c[b] = a[b] · b[b] for b in [0, batch): a [M,K], b [K,N] (or [N,K] with b_transposed), c [M,N]; f32.
// A batch stride of 0 broadcasts that operand.
struct MatmulArgs {
  const float* a;
  const float* b;
  float* c;
  size_t batch, m, k, n;
  size_t stride_a, stride_b, stride_c;  // elements between batch items
  bool b_transposed = false;
};
void matmul(const MatmulArgs& args);

// ---- micro-kernel tables (per ISA; used by the drivers in kernels/gemm and kernels/attention) ----

// C[mr x nr] (+)= A-panel · B-panel over kc. Ap: kc x MR (row i of step p at Ap[p*MR + i]); Bp: kc x NR.
// mr <= MR, nr <= NR select the valid part of the tile; packed panels are zero-padded.
using UkernelF32 = void (*)(size_t kc, const float* ap, const float* bp, float* c, size_t ldc, size_t mr, size_t nr,
                            bool accumulate);
// Same with bf16 pairs: kc2 = ceil(kc/2) steps; Ap: kc2 x MR x 2, Bp: kc2 x NR x 2 (pair = two consecutive k).
using UkernelBf16 = void (*)(size_t kc2, const uint16_t* ap, const uint16_t* bp, float* c, size_t ldc, size_t mr,
                             size_t nr, bool accumulate);
// C[mr x nr] (+)= Σ_s A_s · B_s over nseg K segments of seg_len steps each, A read in place (no packing) from
// row-major rows: row i of segment s, step p is a[seg_off[s] + i*lda + p]. B is packed as for UkernelF32 over
// all nseg*seg_len steps. Always reads MR rows of A (rows past mr feed only discarded results; the caller makes
// them readable). Convolutions use it on channels-last input, where a kernel row's taps are one contiguous run.
using UkernelRowsF32 = void (*)(size_t nseg, size_t seg_len, const ptrdiff_t* seg_off, const float* a, size_t lda,
                                const float* bp, float* c, size_t ldc, size_t mr, size_t nr, bool accumulate);
// Applies the epilogue to one row segment: c[j] = residual[j] + gate[j] * act(c[j] + bias[j]).
using EpilogueRow = void (*)(float* c, size_t n, const float* bias, Activation act, const float* gate,
                             const float* residual);

struct GemmKernels {
  Isa isa;
  size_t mr, nr;
  UkernelF32 f32;
  UkernelBf16 bf16;  // nullptr where the CPU has no bf16 dot product instruction
  EpilogueRow epilogue;
  // Column-wise softmax helpers over a tile of `rows` rows of exactly NR floats (row stride NR), used by
  // attention on Sᵀ tiles (one column per query):
  // colmax: mx[c] = max(mx[c], max_r s[r][c]).
  void (*colmax)(const float* s, size_t rows, float* mx);
  // colexp: s[r][c] = exp(s[r][c] - m[c]) in place; sum[c] += Σ_r of the new values.
  void (*colexp)(float* s, size_t rows, const float* m, float* sum);
  // rowmul: x[r][c] *= f[c] for a tile with row stride NR (rescales Oᵀ by each query's alpha).
  void (*rowmul)(float* x, size_t rows, const float* f);
  UkernelRowsF32 f32_rows;
  // A narrower f32 tile (mr_narrow x NR, A panels of mr_narrow rows) for row counts that are multiples of it
  // (attention's Vᵀ·Pᵀ over head dims 64/128); 0 / nullptr where the path has none.
  size_t mr_narrow;
  UkernelF32 f32_narrow;
  // f32_narrow with A read in place: row i of step p at ap[p*ap_step + i] (attention's Vᵀ straight from
  // row-major V, ap_step = d); nullptr where the path has none.
  void (*f32_narrow_at)(size_t kc, const float* ap, size_t ap_step, const float* bp, float* c, size_t ldc, size_t mr,
                        size_t nr, bool accumulate);
  // Attention's score tile with the softmax fused into its write-back (nullptr where the path has none):
  // S = A · B-panel over kc (mr rows x NR columns, scores in base-2 units) with A's rows read in place as
  // UkernelRowsF32 reads them (row i at a + i*lda; always MR readable rows), then, while S is still in
  // registers, p[r][c] = 2^(S[r][c] - m[c]) (row stride NR) and sum[c] += Σ_r p[r][c], rows r < mr. Saves the
  // passes that colmax and colexp make over a stored tile; see attention_tiles.cc for the choice of m.
  void (*score_exp)(size_t kc, const float* a, size_t lda, const float* bp, float* p, size_t mr, const float* m,
                    float* sum);
};

const GemmKernels* gemm_kernels_avx2();
const GemmKernels* gemm_kernels_avx512();
UkernelBf16 gemm_bf16_ukernel_avx512bf16();  // nullptr if not compiled in
// The table for the active path, or nullptr on the ref path (drivers then call the ref implementations).
const GemmKernels* gemm_kernels();

// Scalar helpers shared by the ref implementations and the SIMD tails.
float gelu_tanh(float x);
void epilogue_row_ref(float* c, size_t n, const float* bias, Activation act, const float* gate, const float* residual);

// Reference implementations (the oracle; also the path when AIPROD_ISA=ref).
void linear_ref(const LinearArgs& args);
void matmul_ref(const MatmulArgs& args);

}  // namespace aiprod
