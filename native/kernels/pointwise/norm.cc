// Normalizations and last-dim reductions: rms_norm, layer_norm, softmax, mean/std, pixel_norm, group_norm.
// Statistics are combined in double from the kernels' f32 partial sums; variance is two-pass (Σ(x−mean)²), which
// does not cancel the way E[x²]−mean² does for rows with a large mean.
#include <algorithm>
#include <cmath>
#include <vector>

#include "aiprod/pointwise.h"
#include "aiprod/threadpool.h"
#include "staging.h"

namespace aiprod {

using staging::commit;
using staging::read;
using staging::target;

void rms_norm(FloatIn x, const FloatIn* weight, float eps, FloatOut y, size_t rows, size_t d) {
  const PointwiseKernels& k = pointwise_kernels();
  const std::vector<float> w = weight ? staging::whole(*weight, d) : std::vector<float>();
  parallel_range(rows, staging::row_grain(d), [&](size_t begin, size_t end) {
    std::vector<float> xb(d), yb(d);
    for (size_t r = begin; r < end; ++r) {
      const float* xr = read(x, r * d, d, xb.data());
      float* yr = target(y, r * d, yb.data());
      const double ms = double(k.sum_sq_dev(xr, 0.0f, d)) / double(d);
      k.scale(xr, float(1.0 / std::sqrt(ms + eps)), weight ? w.data() : nullptr, yr, d);
      commit(y, r * d, yr, d);
    }
  });
}

void layer_norm(FloatIn x, float eps, FloatOut y, size_t rows, size_t d) {
  const PointwiseKernels& k = pointwise_kernels();
  parallel_range(rows, staging::row_grain(d), [&](size_t begin, size_t end) {
    std::vector<float> xb(d), yb(d);
    for (size_t r = begin; r < end; ++r) {
      const float* xr = read(x, r * d, d, xb.data());
      float* yr = target(y, r * d, yb.data());
      const float mean = float(double(k.sum(xr, d)) / double(d));
      const double var = double(k.sum_sq_dev(xr, mean, d)) / double(d);
      k.norm_affine(xr, mean, float(1.0 / std::sqrt(var + eps)), 0.0f, yr, d);
      commit(y, r * d, yr, d);
    }
  });
}

void softmax(FloatIn x, FloatOut y, size_t rows, size_t d) {
  const PointwiseKernels& k = pointwise_kernels();
  parallel_range(rows, staging::row_grain(d), [&](size_t begin, size_t end) {
    std::vector<float> xb(d), yb(d);
    for (size_t r = begin; r < end; ++r) {
      float* yr = target(y, r * d, yb.data());
      k.softmax(read(x, r * d, d, xb.data()), yr, d);
      commit(y, r * d, yr, d);
    }
  });
}

static void row_moments(FloatIn x, bool want_std, bool unbiased, FloatOut out, size_t rows, size_t d) {
  const PointwiseKernels& k = pointwise_kernels();
  parallel_range(rows, staging::row_grain(d), [&](size_t begin, size_t end) {
    std::vector<float> xb(d);
    for (size_t r = begin; r < end; ++r) {
      const float* xr = read(x, r * d, d, xb.data());
      const float mean = float(double(k.sum(xr, d)) / double(d));
      float v = mean;
      if (want_std) {
        // d − 1 = 0 gives 0/0 = NaN for a one-element unbiased std, as in PyTorch.
        const double n = unbiased ? double(d) - 1.0 : double(d);
        v = float(std::sqrt(double(k.sum_sq_dev(xr, mean, d)) / n));
      }
      staging::store_scalar(out, r, v);
    }
  });
}

void row_mean(FloatIn x, FloatOut out, size_t rows, size_t d) { row_moments(x, false, false, out, rows, d); }
void row_std(FloatIn x, bool unbiased, FloatOut out, size_t rows, size_t d) {
  row_moments(x, true, unbiased, out, rows, d);
}

void pixel_norm(FloatIn x, float eps, FloatOut y, size_t outer, size_t c, size_t inner) {
  if (inner == 1) return rms_norm(x, nullptr, eps, y, outer, c);  // channels are the contiguous last dim
  // Channels are strided by `inner`: accumulate x² over c for a block of positions, then scale each channel
  // row of that block. Blocks keep the accumulator in L1 and give the pool outer·inner/kBlock tasks.
  constexpr size_t kBlock = 512;
  const PointwiseKernels& k = pointwise_kernels();
  const size_t blocks = (inner + kBlock - 1) / kBlock;
  parallel_range(outer * blocks, 1, [&](size_t begin, size_t end) {
    std::vector<float> acc(kBlock), xb(kBlock), yb(kBlock);
    for (size_t task = begin; task < end; ++task) {
      const size_t o = task / blocks, s0 = (task % blocks) * kBlock;
      const size_t m = std::min(kBlock, inner - s0);
      std::fill(acc.begin(), acc.begin() + m, 0.0f);
      for (size_t ch = 0; ch < c; ++ch) k.sq_accumulate(read(x, (o * c + ch) * inner + s0, m, xb.data()), acc.data(), m);
      for (size_t s = 0; s < m; ++s) acc[s] = float(1.0 / std::sqrt(double(acc[s]) / double(c) + eps));
      for (size_t ch = 0; ch < c; ++ch) {
        const size_t off = (o * c + ch) * inner + s0;
        float* yr = target(y, off, yb.data());
        k.mul(read(x, off, m, xb.data()), acc.data(), yr, m);
        commit(y, off, yr, m);
      }
    }
  });
}

void group_norm(FloatIn x, const FloatIn* weight, const FloatIn* bias, float eps, FloatOut y, size_t batch,
                size_t channels, size_t groups, size_t inner) {
  const PointwiseKernels& k = pointwise_kernels();
  const std::vector<float> w = weight ? staging::whole(*weight, channels) : std::vector<float>();
  const std::vector<float> b = bias ? staging::whole(*bias, channels) : std::vector<float>();
  const size_t cpg = channels / groups;
  const double n = double(cpg) * double(inner);
  parallel_range(batch * groups, 1, [&](size_t begin, size_t end) {
    std::vector<float> xb(inner), yb(inner);
    for (size_t task = begin; task < end; ++task) {
      // A group is cpg consecutive channels of one batch item: cpg contiguous rows of `inner` elements.
      const size_t c0 = (task % groups) * cpg;
      const size_t base = (task / groups) * channels * inner + c0 * inner;
      double s = 0;
      for (size_t ch = 0; ch < cpg; ++ch) s += k.sum(read(x, base + ch * inner, inner, xb.data()), inner);
      const float mean = float(s / n);
      double ss = 0;
      for (size_t ch = 0; ch < cpg; ++ch) ss += k.sum_sq_dev(read(x, base + ch * inner, inner, xb.data()), mean, inner);
      const double rstd = 1.0 / std::sqrt(ss / n + eps);
      for (size_t ch = 0; ch < cpg; ++ch) {
        const size_t off = base + ch * inner;
        const float a = float(weight ? rstd * w[c0 + ch] : rstd);
        float* yr = target(y, off, yb.data());
        k.norm_affine(read(x, off, inner, xb.data()), mean, a, bias ? b[c0 + ch] : 0.0f, yr, inner);
        commit(y, off, yr, inner);
      }
    }
  });
}

}  // namespace aiprod
