// conv_transpose1d (PyTorch ConvTranspose1d, groups 1, f32) as a gather: each output element sums the
// (ci, k) pairs that land on it,
//   out[b, co, t] = bias[co] + sum_{ci, k : t + padding - k*dilation = i*stride, 0 <= i < L} x[b, ci, i] w[ci, co, k]
// in (ci, k) order as aiprod::conv_transpose1d_ref, with f32 fma: deterministic, no atomics, no scatter.
// A thread owns one output position t and kCo consecutive output channels, so each x value it loads feeds
// kCo products; a block is 128 consecutive positions of one batch item (coalesced x loads and out stores;
// the weight loads are uniform across the block: broadcasts).
#include <climits>
#include <string>

#include "aiprod_cuda/kernel.h"
#include "conv_gather.h"
#include "ops.h"

namespace aiprod_cuda {
namespace {

constexpr int kThreads = 128, kCo = 4;

struct ConvT1dParams {
  const float* x;
  const float* w;
  const float* bias;
  float* out;
  int cin, len, cout, k, stride, padding, dilation, out_len;
  int t_blocks;  // blocks per batch item along t
  int gcd;       // gcd(stride, dilation)
};

__global__ void __launch_bounds__(kThreads) conv_transpose1d_kernel(ConvT1dParams p) {
  const int b = int(blockIdx.x) / p.t_blocks;
  const int t = (int(blockIdx.x) - b * p.t_blocks) * kThreads + int(threadIdx.x);
  const int co0 = int(blockIdx.y) * kCo;
  if (t >= p.out_len) return;  // no barriers below
  // The taps that land on t: k*dilation = t + padding - i*stride with 0 <= i < len, 0 <= k < K. The k solving
  // the congruence k*dilation = t + padding (mod stride) form a progression of step stride / gcd(stride,
  // dilation); along it i falls by step*dilation/stride. Found once, used for every input channel.
  const long tp = long(t) + p.padding;
  const long kstep = p.stride / p.gcd;
  long k_first = -1;
  for (long k = 0; k < kstep && k < p.k; ++k) {
    if ((tp - k * p.dilation) % p.stride == 0) {
      k_first = k;
      break;
    }
  }
  int taps = 0;
  long i_first = 0, i_step = 0;
  if (k_first >= 0) {
    const long need = tp - long(p.len) * p.stride + 1 - k_first * p.dilation;  // i < len: k*dilation >= ...
    if (need > 0) k_first += (need + kstep * p.dilation - 1) / (kstep * p.dilation) * kstep;
    const long k_last = tp / p.dilation < p.k - 1 ? tp / p.dilation : p.k - 1;  // i >= 0
    if (k_first <= k_last) {
      taps = int((k_last - k_first) / kstep + 1);
      i_first = (tp - k_first * p.dilation) / p.stride;
      i_step = kstep * p.dilation / p.stride;
    }
  }
  float acc[kCo];
  CONV_UNROLL
  for (int c = 0; c < kCo; ++c) acc[c] = 0.f;
  const int ncols = p.cout - co0 < kCo ? p.cout - co0 : kCo;
  for (int ci = 0; ci < p.cin; ++ci) {
    const float* xr = p.x + (int64_t(b) * p.cin + ci) * p.len + i_first;
    const float* wr = p.w + (int64_t(ci) * p.cout + co0) * p.k + k_first;
    for (int j = 0; j < taps; ++j) {  // k ascending, as the reference
      const float xv = xr[-j * i_step];
      const float* wk = wr + j * kstep;
      if (ncols == kCo) {
        CONV_UNROLL
        for (int c = 0; c < kCo; ++c) acc[c] = fmaf(xv, wk[c * p.k], acc[c]);
      } else {
        for (int c = 0; c < ncols; ++c) acc[c] = fmaf(xv, wk[c * p.k], acc[c]);
      }
    }
  }
  float* out = p.out + (int64_t(b) * p.cout + co0) * p.out_len + t;
  for (int c = 0; c < ncols; ++c) out[int64_t(c) * p.out_len] = acc[c] + (p.bias ? p.bias[co0 + c] : 0.f);
}

// aiprod::conv_transpose1d_out_len: (L-1)*stride - 2*padding + dilation*(K-1) + output_padding + 1, or 0.
long out_len_of(size_t len, size_t k, size_t stride, size_t padding, size_t output_padding, size_t dilation) {
  const long n = (long(len) - 1) * long(stride) - 2 * long(padding) + long(dilation) * (long(k) - 1) +
                 long(output_padding) + 1;
  return n > 0 ? n : 0;
}

}  // namespace

void conv_transpose1d(const aiprod_cuda_conv_transpose1d_args& a, void* stream) {
  const std::string shapes = "x [" + std::to_string(a.batch) + "," + std::to_string(a.cin) + "," + std::to_string(a.len) +
                             "], w [" + std::to_string(a.cin) + "," + std::to_string(a.cout) + "," + std::to_string(a.k) +
                             "], stride " + std::to_string(a.stride) + ", padding " + std::to_string(a.padding) +
                             ", output_padding " + std::to_string(a.output_padding) + ", dilation " +
                             std::to_string(a.dilation) + ", out_len " + std::to_string(a.out_len);
  auto bad = [&](const std::string& why) { invalid_argument("conv_transpose1d: " + why + " (" + shapes + ")"); };
  if (a.cin == 0 || a.len == 0 || a.k == 0) bad("cin, len and k must be > 0");
  if (a.stride == 0 || a.dilation == 0) bad("stride and dilation must be > 0");
  const size_t big = size_t(INT_MAX) / 4;
  if (a.cin > big || a.len > big || a.k > big || a.cout > big || a.stride > big || a.dilation > big ||
      a.padding > big || a.output_padding > big || a.batch > big) {
    bad("sizes too large");
  }
  if (a.output_padding >= a.stride && a.output_padding >= a.dilation) {
    bad("output_padding must be smaller than stride or dilation");
  }
  const long expect = out_len_of(a.len, a.k, a.stride, a.padding, a.output_padding, a.dilation);
  if (expect == 0) bad("the padding leaves no output");
  if (expect > long(big)) bad("sizes too large");
  if (a.out_len != size_t(expect)) {
    bad("out_len is " + std::to_string(a.out_len) + ", the input, kernel, stride, padding, output_padding and "
        "dilation give " + std::to_string(expect));
  }
  if (a.batch == 0 || a.cout == 0) return;  // an empty output
  if (!a.x || !a.w || !a.out) bad("null data pointer (x, w or out)");
  ConvT1dParams p;
  p.x = static_cast<const float*>(a.x);
  p.w = static_cast<const float*>(a.w);
  p.bias = a.bias;
  p.out = static_cast<float*>(a.out);
  p.cin = int(a.cin);
  p.len = int(a.len);
  p.cout = int(a.cout);
  p.k = int(a.k);
  p.stride = int(a.stride);
  p.padding = int(a.padding);
  p.dilation = int(a.dilation);
  p.out_len = int(a.out_len);
  p.t_blocks = int(ceil_div(a.out_len, kThreads));
  size_t g = a.stride, h = a.dilation;
  while (h) {
    const size_t r = g % h;
    g = h;
    h = r;
  }
  p.gcd = int(g);
  const size_t blocks = size_t(p.t_blocks) * a.batch;
  if (blocks > size_t(INT_MAX) || ceil_div(a.cout, kCo) > 65535u) bad("sizes too large");
  launch("conv_transpose1d", conv_transpose1d_kernel, dim3(unsigned(blocks), ceil_div(a.cout, kCo)), dim3(kThreads), 0,
         static_cast<Stream>(stream), p);
}

}  // namespace aiprod_cuda
