// conv3d (conv2d / conv1d: unit leading kernel and input dims) as an implicit GEMM, conv_gather.h:
// M = B*To*Ho*Wo output positions, N = Cout, K = Cin*K0*K1*K2; the input patch is gathered into shared
// memory with the padding of each axis (zeros / reflect / replicate, front and back, as
// aiprod::conv_source_index) and the strides, so neither the padded input nor an im2col matrix exists in
// memory. Bias is added in the epilogue; outputs are written straight from the accumulators (a warp's
// stores for one channel cover 8 consecutive positions).
//  - bf16 data, or f32 data with allow_bf16: tensor cores (mma.m16n8k16 bf16, f32 accumulation). Block
//    tile 64 x 64 (Cout <= 64, 4 warps) or 64 x 128 (8 warps), K tiles of 32, warps of 32 x 32, ldmatrix
//    (.trans for A, stored [k][m] so that the gather's stores are along m) from double-buffered shared
//    memory. The next tile's global loads are issued before the current tile's mma: cp.async where the
//    data allow it (bf16 weights with K % 8 == 0; the A tile of a bf16 pointwise conv with S % 8 == 0),
//    otherwise loads into registers stored after the mma (f32 data are rounded to bf16 there, nearest even).
//  - f32 data: a SIMT implicit GEMM (64 x 32 x 16 tiles, 4 x 4 outputs per thread) with exact f32 products
//    (fma) and f32 accumulation, as the CPU reference.
// The gather walks k with a cursor (no divisions per element; the source row offset changes only when
// (ci, dt, dy) does). Pointwise convs (1x1x1, unit strides, no padding) skip the index arithmetic
// (A[m, k] = x[b, k, sp]); conv2d / conv1d shapes need nothing else: their unit axes add nothing to K and
// cost nothing in the cursor.
// Argument contract beyond api.h: cin, in, k and stride must be > 0 and out_size must equal
// conv_out_size per axis (a kernel larger than the padded input is an error); reflect padding must be
// smaller than the input on its axis (PyTorch's rule; the source index would leave the input otherwise);
// batch 0 or cout 0 is an empty output (nothing runs, pointers unused).
#include <climits>
#include <string>

#include "aiprod_cuda/kernel.h"
#include "aiprod_cuda/numerics.h"
#include "aiprod_cuda/ptx.h"
#include "conv_gather.h"
#include "ops.h"
#include "shape_args.h"

namespace aiprod_cuda {
namespace {

using conv::Conv3dParams;

// ---- tensor-core kernel -------------------------------------------------------------------------------
// Block tile 64 x kBN x 32, warps of 32 x 32 (2 x kBN/32): kBN 64 (128 threads) for Cout <= 64, else 128
// (256 threads: each gathered A element feeds twice as many output channels).
constexpr int kTcBM = 64, kTcBK = 32;
template <int kBN>
constexpr int tc_threads() { return 2 * kBN; }
constexpr int kTcApad = kTcBM + 8;  // row stride 144 bytes: the 8 rows of an ldmatrix hit distinct banks
constexpr int kTcBpad = kTcBK + 8;  // row stride 80 bytes

AIPROD_DI uint16_t bf16_bits(float v) { return f32_to_bf16(v); }
AIPROD_DI uint16_t bf16_bits(uint16_t v) { return v; }
AIPROD_DI void store_out(float* out, int64_t i, float v) { out[i] = v; }
AIPROD_DI void store_out(uint16_t* out, int64_t i, float v) { out[i] = f32_to_bf16(v); }

// How the A tile is gathered: any conv; a pointwise conv (A[m, k] = x[b, k, sp]); a pointwise conv on bf16
// with S % 8 == 0 and 16-byte aligned x, whose A rows are runs of 8 contiguous, aligned positions: cp.async.
enum AMode { kGeneral = 0, kPointwiseRegs = 1, kPointwiseAsync = 2 };

// T: the data type (float: f32 data rounded to bf16 on the way into shared memory; uint16_t: bf16 bits).
template <class T, int kA, bool kAsyncB, int kBN>
__global__ void __launch_bounds__(tc_threads<kBN>()) conv3d_tc_kernel(Conv3dParams p) {
  constexpr bool kAsyncA = kA == kPointwiseAsync;
  constexpr int kThreads = tc_threads<kBN>();
  constexpr int kAPer = kTcBM * kTcBK / kThreads;   // A elements per thread: 16 or 8
  constexpr int kAChunks = kTcBM * kTcBK / 8 / kThreads;  // 16-byte A chunks per thread: 2 or 1
  __shared__ __align__(16) uint16_t As[2][kTcBK][kTcApad];  // [k][m]
  __shared__ __align__(16) uint16_t Bs[2][kBN][kTcBpad];    // [n][k]
  const T* x = static_cast<const T*>(p.x);
  const T* w = static_cast<const T*>(p.w);
  const int tid = int(threadIdx.x), lane = tid & 31, warp = tid >> 5;
  const int64_t m0 = int64_t(blockIdx.x) * kTcBM;
  const int n0 = int(blockIdx.y) * kBN;
  const int K = p.K, N = p.cout;

  // A staging: this thread's output position m0 + a_m, kAPer consecutive k from a_k (a warp: 32 positions).
  const int a_m = tid % kTcBM, a_k = (tid / kTcBM) * kAPer;
  const conv::Row row = conv::row_info(p, m0 + a_m);
  // B staging: output channel n0 + b_n, 16 consecutive k from b_k.
  const int b_n = tid / 2, b_k = (tid % 2) * 16;
  const bool b_row_ok = n0 + b_n < N;
  const T* w_row = w + int64_t(b_row_ok ? n0 + b_n : 0) * K;
  uint16_t ra[kAPer], rb[16];
  // kAsyncA: this thread copies the 8 positions m0 + c_m .. + 7 of k rows c_k + i * kThreads / 8 (a warp: 4
  // rows of 128 contiguous bytes); M % 8 == 0, so a run is wholly inside or outside the matrix and one batch
  // item.
  const int c_m = (tid % 8) * 8, c_k = tid / 8;
  int64_t c_base = 0;
  bool c_ok = false;
  if (kAsyncA) {
    const int64_t m = m0 + c_m;
    c_ok = m < p.M;
    const int64_t b = c_ok ? m / p.S : 0;
    c_base = b * int64_t(p.cin) * p.S + (c_ok ? m - b * p.S : 0);
  }
  auto issue_a = [&](int buf, int k0) {
    CONV_UNROLL
    for (int i = 0; i < kAChunks; ++i) {
      const int k = k0 + c_k + i * (kThreads / 8);
      const bool ok = c_ok && k < K;
      const void* src = ok ? static_cast<const void*>(x + c_base + int64_t(k) * p.S) : p.x;
      cp_async_16(&As[buf][c_k + i * (kThreads / 8)][c_m], src, ok ? 16u : 0u);
    }
  };

  auto load_a = [&](int k0) {
    if constexpr (!kAsyncA) {
      const int k = k0 + a_k;
      constexpr bool kPw = kA != kGeneral;
      conv::Cursor c = conv::cursor_at<kPw>(p, row, k);
      CONV_UNROLL
      for (int j = 0; j < kAPer; ++j) {
        ra[j] = bf16_bits(conv::gather<T, kPw>(x, p, row, c, k + j < K));
        conv::cursor_step<kPw>(p, row, c);
      }
    }
  };
  auto store_a = [&](int buf) {
    if constexpr (!kAsyncA) {
      CONV_UNROLL
      for (int j = 0; j < kAPer; ++j) As[buf][a_k + j][a_m] = ra[j];
    }
  };
  auto load_b = [&](int k0) {
    if constexpr (sizeof(T) == 4) {
      if (p.w_vec) {  // f32 weights, K % 4 == 0, 16-byte aligned: four float4 loads (wholly in or out)
        CONV_UNROLL
        for (int j = 0; j < 16; j += 4) {
          const int k = k0 + b_k + j;
          float4 v;
          v.x = v.y = v.z = v.w = 0.f;
          if (b_row_ok && k < K) v = *reinterpret_cast<const float4*>(w_row + k);
          rb[j] = bf16_bits(v.x);
          rb[j + 1] = bf16_bits(v.y);
          rb[j + 2] = bf16_bits(v.z);
          rb[j + 3] = bf16_bits(v.w);
        }
        return;
      }
    }
    CONV_UNROLL
    for (int j = 0; j < 16; ++j) {
      const int k = k0 + b_k + j;
      rb[j] = b_row_ok && k < K ? bf16_bits(w_row[k]) : uint16_t(0);
    }
  };
  auto store_b = [&](int buf) {
    CONV_UNROLL
    for (int j = 0; j < 16; ++j) Bs[buf][b_n][b_k + j] = rb[j];
  };
  auto issue_b = [&](int buf, int k0) {  // kAsyncB: bf16 weights, K % 8 == 0, 16-byte aligned rows
    CONV_UNROLL
    for (int c = 0; c < 2; ++c) {
      const int k = k0 + b_k + c * 8;
      const bool ok = b_row_ok && k < K;
      cp_async_16(&Bs[buf][b_n][b_k + c * 8], ok ? static_cast<const void*>(w_row + k) : p.w, ok ? 16u : 0u);
    }
  };

  float acc[2][4][4];
  CONV_UNROLL
  for (int i = 0; i < 2; ++i)
    CONV_UNROLL
    for (int j = 0; j < 4; ++j)
      CONV_UNROLL
      for (int e = 0; e < 4; ++e) acc[i][j][e] = 0.f;

  const int wm = (warp % 2) * 32, wn = (warp / 2) * 32;
  auto compute = [&](int buf) {
    CONV_UNROLL
    for (int ks = 0; ks < kTcBK; ks += 16) {
      uint32_t a[2][4], b[4][2];
      CONV_UNROLL
      for (int i = 0; i < 2; ++i) {
        // matrices (m 0-7 | 8-15) x (k 0-7 | 8-15), stored [k][m]: transposed on the way out
        ldmatrix_x4_trans(a[i], &As[buf][ks + (lane / 16) * 8 + lane % 8][wm + i * 16 + ((lane / 8) % 2) * 8]);
      }
      CONV_UNROLL
      for (int jj = 0; jj < 2; ++jj) {
        uint32_t r[4];  // (n 0-7, k 0-7), (n 0-7, k 8-15), (n 8-15, k 0-7), (n 8-15, k 8-15)
        ldmatrix_x4(r, &Bs[buf][wn + jj * 16 + (lane / 16) * 8 + lane % 8][ks + ((lane / 8) % 2) * 8]);
        b[2 * jj][0] = r[0];
        b[2 * jj][1] = r[1];
        b[2 * jj + 1][0] = r[2];
        b[2 * jj + 1][1] = r[3];
      }
      CONV_UNROLL
      for (int i = 0; i < 2; ++i)
        CONV_UNROLL
        for (int j = 0; j < 4; ++j) mma_bf16_16816(acc[i][j], a[i], b[j], acc[i][j]);
    }
  };

  const int nk = (K + kTcBK - 1) / kTcBK;
  constexpr bool kAsync = kAsyncA || kAsyncB;
  if (kAsyncA) issue_a(0, 0);
  if (kAsyncB) issue_b(0, 0);
  if (kAsync) cp_async_commit();
  load_a(0);
  store_a(0);
  if (!kAsyncB) {
    load_b(0);
    store_b(0);
  }
  if (kAsync) cp_async_wait<0>();
  __syncthreads();
  for (int t = 0; t < nk; ++t) {
    const int cur = t & 1;
    const bool more = t + 1 < nk;
    if (more) {  // next tile's global loads in flight during this tile's mma
      if (kAsyncA) issue_a(cur ^ 1, (t + 1) * kTcBK);
      if (kAsyncB) issue_b(cur ^ 1, (t + 1) * kTcBK);
      if (kAsync) cp_async_commit();
      load_a((t + 1) * kTcBK);
      if (!kAsyncB) load_b((t + 1) * kTcBK);
    }
    compute(cur);
    if (more) {
      store_a(cur ^ 1);
      if (!kAsyncB) store_b(cur ^ 1);
      if (kAsync) cp_async_wait<0>();
    }
    __syncthreads();
  }

  // Epilogue: c[0..1] = C[g][2t..2t+1], c[2..3] = C[g+8][2t..2t+1]; out[b, n, sp] with m = b*S + sp.
  T* out = static_cast<T*>(p.out);
  const int g = lane / 4, tg = lane % 4;
  CONV_UNROLL
  for (int i = 0; i < 2; ++i) {
    CONV_UNROLL
    for (int h = 0; h < 2; ++h) {
      const int64_t m = m0 + wm + i * 16 + g + h * 8;
      if (m >= p.M) continue;
      const int64_t b = m / p.S;
      const int64_t obase = b * N * p.S + (m - b * p.S);
      CONV_UNROLL
      for (int j = 0; j < 4; ++j) {
        CONV_UNROLL
        for (int e = 0; e < 2; ++e) {
          const int n = n0 + wn + j * 8 + 2 * tg + e;
          if (n >= N) continue;
          const float v = acc[i][j][h * 2 + e] + (p.bias ? p.bias[n] : 0.f);
          store_out(out, obase + int64_t(n) * p.S, v);
        }
      }
    }
  }
}

// ---- SIMT f32 kernel ----------------------------------------------------------------------------------
constexpr int kFBM = 64, kFBN = 32, kFBK = 16, kFThreads = 128;

template <bool kPointwise>
__global__ void __launch_bounds__(kFThreads) conv3d_f32_kernel(Conv3dParams p) {
  __shared__ __align__(16) float As[2][kFBK][kFBM];  // [k][m]
  __shared__ __align__(16) float Bs[2][kFBK][kFBN];  // [k][n]
  const float* x = static_cast<const float*>(p.x);
  const float* w = static_cast<const float*>(p.w);
  const int tid = int(threadIdx.x);
  const int64_t m0 = int64_t(blockIdx.x) * kFBM;
  const int n0 = int(blockIdx.y) * kFBN;
  const int K = p.K, N = p.cout;

  const int a_m = tid % kFBM, a_k = (tid / kFBM) * 8;  // 8 consecutive k per thread
  const conv::Row row = conv::row_info(p, m0 + a_m);
  const int b_n = tid / 4, b_k = (tid % 4) * 4;  // 4 consecutive k of one weight row
  const bool b_row_ok = n0 + b_n < N;
  const float* w_row = w + int64_t(b_row_ok ? n0 + b_n : 0) * K;
  float ra[8], rb[4];

  auto load = [&](int k0) {
    const int k = k0 + a_k;
    conv::Cursor c = conv::cursor_at<kPointwise>(p, row, k);
    CONV_UNROLL
    for (int j = 0; j < 8; ++j) {
      ra[j] = conv::gather<float, kPointwise>(x, p, row, c, k + j < K);
      conv::cursor_step<kPointwise>(p, row, c);
    }
    CONV_UNROLL
    for (int j = 0; j < 4; ++j) {
      const int kk = k0 + b_k + j;
      rb[j] = b_row_ok && kk < K ? w_row[kk] : 0.f;
    }
  };
  auto store = [&](int buf) {
    CONV_UNROLL
    for (int j = 0; j < 8; ++j) As[buf][a_k + j][a_m] = ra[j];
    CONV_UNROLL
    for (int j = 0; j < 4; ++j) Bs[buf][b_k + j][b_n] = rb[j];
  };

  // Thread tile: m = tm + 16 i (i < 4), n = tn + 8 j (j < 4): conflict-free reads, coalesced stores.
  const int tm = tid % 16, tn = tid / 16;
  float acc[4][4];
  CONV_UNROLL
  for (int i = 0; i < 4; ++i)
    CONV_UNROLL
    for (int j = 0; j < 4; ++j) acc[i][j] = 0.f;

  const int nk = (K + kFBK - 1) / kFBK;
  load(0);
  store(0);
  __syncthreads();
  for (int t = 0; t < nk; ++t) {
    const int cur = t & 1;
    const bool more = t + 1 < nk;
    if (more) load((t + 1) * kFBK);
    CONV_UNROLL
    for (int kk = 0; kk < kFBK; ++kk) {
      float a[4], b[4];
      CONV_UNROLL
      for (int i = 0; i < 4; ++i) a[i] = As[cur][kk][tm + 16 * i];
      CONV_UNROLL
      for (int j = 0; j < 4; ++j) b[j] = Bs[cur][kk][tn + 8 * j];
      CONV_UNROLL
      for (int i = 0; i < 4; ++i)
        CONV_UNROLL
        for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
    if (more) store(cur ^ 1);
    __syncthreads();
  }

  float* out = static_cast<float*>(p.out);
  CONV_UNROLL
  for (int i = 0; i < 4; ++i) {
    const int64_t m = m0 + tm + 16 * i;
    if (m >= p.M) continue;
    const int64_t b = m / p.S;
    const int64_t obase = b * N * p.S + (m - b * p.S);
    CONV_UNROLL
    for (int j = 0; j < 4; ++j) {
      const int n = n0 + tn + 8 * j;
      if (n < N) out[obase + int64_t(n) * p.S] = acc[i][j] + (p.bias ? p.bias[n] : 0.f);
    }
  }
}

// The tensor-core kernel with the N tile that fits Cout.
template <class T, int kA, bool kAsyncB>
void launch_tc(const std::string& name, unsigned grid_m, Stream st, const Conv3dParams& p) {
  if (p.cout <= 64) {
    launch((name + "_n64").c_str(), conv3d_tc_kernel<T, kA, kAsyncB, 64>, dim3(grid_m, ceil_div(size_t(p.cout), 64)),
           dim3(tc_threads<64>()), 0, st, p);
  } else {
    launch((name + "_n128").c_str(), conv3d_tc_kernel<T, kA, kAsyncB, 128>, dim3(grid_m, ceil_div(size_t(p.cout), 128)),
           dim3(tc_threads<128>()), 0, st, p);
  }
}

std::string dims3(const size_t* v) {
  return "[" + std::to_string(v[0]) + "," + std::to_string(v[1]) + "," + std::to_string(v[2]) + "]";
}

}  // namespace

void conv3d(const aiprod_cuda_conv3d_args& a, void* stream) {
  const std::string shapes = "x [" + std::to_string(a.batch) + "," + std::to_string(a.cin) + "," +
                             std::to_string(a.in[0]) + "," + std::to_string(a.in[1]) + "," + std::to_string(a.in[2]) +
                             "], w [" + std::to_string(a.cout) + "," + std::to_string(a.cin) + "," +
                             std::to_string(a.k[0]) + "," + std::to_string(a.k[1]) + "," + std::to_string(a.k[2]) +
                             "], stride " + dims3(a.stride) + ", pad_front " + dims3(a.pad_front) + ", pad_back " +
                             dims3(a.pad_back) + ", out_size " + dims3(a.out_size);
  auto bad = [&](const std::string& why) { invalid_argument("conv3d: " + why + " (" + shapes + ")"); };
  if (a.dtype != AIPROD_CUDA_F32 && a.dtype != AIPROD_CUDA_BF16) {
    bad(std::string("dtype ") + dtype_name(a.dtype) + " not supported (x, w and out are f32 or bf16)");
  }
  if (a.cin == 0) bad("cin is 0");
  const char* axis[3] = {"time", "height", "width"};
  for (int d = 0; d < 3; ++d) {
    const std::string ax = std::string(" on axis ") + std::to_string(d) + " (" + axis[d] + ")";
    if (a.in[d] == 0) bad("input size 0" + ax);
    if (a.k[d] == 0) bad("kernel size 0" + ax);
    if (a.stride[d] == 0) bad("stride 0" + ax);
    if (a.mode[d] < 0 || a.mode[d] > 2) {
      bad("padding mode " + std::to_string(a.mode[d]) + ax + " (0 zeros, 1 reflect, 2 replicate)");
    }
    if (a.mode[d] == 1 && (a.pad_front[d] >= a.in[d] || a.pad_back[d] >= a.in[d])) {
      bad("reflect padding" + ax + " must be smaller than the input size " + std::to_string(a.in[d]));
    }
    const size_t expect = conv::out_size(a.in[d], a.pad_front[d], a.pad_back[d], a.k[d], a.stride[d]);
    if (expect == 0) bad("the kernel is larger than the padded input" + ax);
    if (a.out_size[d] != expect) {
      bad("out_size[" + std::to_string(d) + "] is " + std::to_string(a.out_size[d]) +
          ", the input, kernel, stride and padding give " + std::to_string(expect));
    }
  }
  // Index arithmetic: per-axis coordinates and K in int, offsets in int64.
  const size_t big = size_t(INT_MAX) / 4;
  size_t K = a.cin;
  for (int d = 0; d < 3; ++d) {
    if (a.in[d] + a.pad_front[d] + a.pad_back[d] > big || a.k[d] > big || a.stride[d] > big) bad("sizes too large");
    K = K > big ? K : K * a.k[d];
  }
  if (a.cin > big || K > big || a.cout > size_t(65535) * 32) bad("sizes too large");
  if (a.batch == 0 || a.cout == 0) return;  // an empty output
  if (a.batch > size_t(INT_MAX) ||
      double(a.batch) * double(a.out_size[0]) * double(a.out_size[1]) * double(a.out_size[2]) > double(INT_MAX) * kFBM) {
    bad("too many output positions for one launch");
  }
  if (!a.x || !a.w || !a.out) bad("null data pointer (x, w or out)");

  Conv3dParams p;
  p.x = a.x;
  p.w = a.w;
  p.bias = a.bias;
  p.out = a.out;
  p.cin = int(a.cin);
  p.t = int(a.in[0]);
  p.h = int(a.in[1]);
  p.w_ = int(a.in[2]);
  p.cout = int(a.cout);
  p.k0 = int(a.k[0]);
  p.k1 = int(a.k[1]);
  p.k2 = int(a.k[2]);
  p.s0 = int(a.stride[0]);
  p.s1 = int(a.stride[1]);
  p.s2 = int(a.stride[2]);
  p.p0 = int(a.pad_front[0]);
  p.p1 = int(a.pad_front[1]);
  p.p2 = int(a.pad_front[2]);
  p.mode0 = a.mode[0];
  p.mode1 = a.mode[1];
  p.mode2 = a.mode[2];
  p.to = int(a.out_size[0]);
  p.ho = int(a.out_size[1]);
  p.wo = int(a.out_size[2]);
  p.K = int(K);
  p.w_vec = a.dtype == AIPROD_CUDA_F32 && K % 4 == 0 && reinterpret_cast<uintptr_t>(a.w) % 16 == 0;
  p.thw = int64_t(a.in[0]) * int64_t(a.in[1]) * int64_t(a.in[2]);
  p.S = int64_t(a.out_size[0]) * int64_t(a.out_size[1]) * int64_t(a.out_size[2]);
  p.M = int64_t(a.batch) * p.S;
  const bool pointwise = a.k[0] == 1 && a.k[1] == 1 && a.k[2] == 1 && a.stride[0] == 1 && a.stride[1] == 1 &&
                         a.stride[2] == 1 && a.pad_front[0] == 0 && a.pad_front[1] == 0 && a.pad_front[2] == 0 &&
                         a.pad_back[0] == 0 && a.pad_back[1] == 0 && a.pad_back[2] == 0;
  Stream st = static_cast<Stream>(stream);

  if (a.dtype == AIPROD_CUDA_F32 && !a.allow_bf16) {
    const dim3 grid(unsigned((p.M + kFBM - 1) / kFBM), ceil_div(a.cout, kFBN));
    if (pointwise) {
      launch("conv3d_f32_pointwise", conv3d_f32_kernel<true>, grid, dim3(kFThreads), 0, st, p);
    } else {
      launch("conv3d_f32", conv3d_f32_kernel<false>, grid, dim3(kFThreads), 0, st, p);
    }
    return;
  }
  const unsigned grid_m = unsigned((p.M + kTcBM - 1) / kTcBM);
  if (a.dtype == AIPROD_CUDA_F32) {
    if (pointwise) {
      launch_tc<float, kPointwiseRegs, false>("conv3d_tc_f32_pointwise", grid_m, st, p);
    } else {
      launch_tc<float, kGeneral, false>("conv3d_tc_f32", grid_m, st, p);
    }
    return;
  }
  const bool async_b = K % 8 == 0 && reinterpret_cast<uintptr_t>(a.w) % 16 == 0;
  const bool async_a = pointwise && p.S % 8 == 0 && reinterpret_cast<uintptr_t>(a.x) % 16 == 0;
  if (async_a) {
    if (async_b) {
      launch_tc<uint16_t, kPointwiseAsync, true>("conv3d_tc_bf16_pointwise_async_ab", grid_m, st, p);
    } else {
      launch_tc<uint16_t, kPointwiseAsync, false>("conv3d_tc_bf16_pointwise_async_a", grid_m, st, p);
    }
  } else if (pointwise) {
    if (async_b) {
      launch_tc<uint16_t, kPointwiseRegs, true>("conv3d_tc_bf16_pointwise_async_b", grid_m, st, p);
    } else {
      launch_tc<uint16_t, kPointwiseRegs, false>("conv3d_tc_bf16_pointwise", grid_m, st, p);
    }
  } else if (async_b) {
    launch_tc<uint16_t, kGeneral, true>("conv3d_tc_bf16_async_b", grid_m, st, p);
  } else {
    launch_tc<uint16_t, kGeneral, false>("conv3d_tc_bf16", grid_m, st, p);
  }
}

}  // namespace aiprod_cuda
