// AdaLN modulation, gated residual add, activations and lerp: streaming ops, one pass over each input.
#include <algorithm>
#include <vector>

#include "aiprod/pointwise.h"
#include "aiprod/threadpool.h"
#include "staging.h"

namespace aiprod {

using staging::commit;
using staging::read;
using staging::target;

void ada_ln(FloatIn x, FloatIn scale, RowMap scale_map, FloatIn shift, RowMap shift_map, FloatOut y, size_t rows,
            size_t d) {
  const PointwiseKernels& k = pointwise_kernels();
  parallel_range(rows, staging::row_grain(d), [&](size_t begin, size_t end) {
    std::vector<float> xb(d), sb(d), hb(d), yb(d);
    for (size_t r = begin; r < end; ++r) {
      float* yr = target(y, r * d, yb.data());
      k.modulate(read(x, r * d, d, xb.data()), read(scale, scale_map.row(r) * d, d, sb.data()),
                 read(shift, shift_map.row(r) * d, d, hb.data()), yr, d);
      commit(y, r * d, yr, d);
    }
  });
}

void add_mul(FloatIn residual, FloatIn x, FloatIn g, RowMap g_map, FloatOut y, size_t rows, size_t d) {
  const PointwiseKernels& k = pointwise_kernels();
  parallel_range(rows, staging::row_grain(d), [&](size_t begin, size_t end) {
    std::vector<float> rb(d), xb(d), gb(d), yb(d);
    for (size_t r = begin; r < end; ++r) {
      float* yr = target(y, r * d, yb.data());
      k.add_mul(read(residual, r * d, d, rb.data()), read(x, r * d, d, xb.data()),
                read(g, g_map.row(r) * d, d, gb.data()), yr, d);
      commit(y, r * d, yr, d);
    }
  });
}

// Elementwise ops run in blocks of kBlock so bf16 staging stays in L1.
constexpr size_t kBlock = 2048;

void activation(Activation op, float param, FloatIn x, FloatOut y, size_t n) {
  const PointwiseKernels& k = pointwise_kernels();
  parallel_range(n, 1 << 15, [&](size_t begin, size_t end) {
    std::vector<float> xb(kBlock), yb(kBlock);
    for (size_t i = begin; i < end; i += kBlock) {
      const size_t m = std::min(kBlock, end - i);
      float* yr = target(y, i, yb.data());
      k.activation(op, param, read(x, i, m, xb.data()), yr, m);
      commit(y, i, yr, m);
    }
  });
}

void lerp(FloatIn a, FloatIn b, float t, FloatOut y, size_t n) {
  const PointwiseKernels& k = pointwise_kernels();
  parallel_range(n, 1 << 15, [&](size_t begin, size_t end) {
    std::vector<float> ab(kBlock), bb(kBlock), yb(kBlock);
    for (size_t i = begin; i < end; i += kBlock) {
      const size_t m = std::min(kBlock, end - i);
      float* yr = target(y, i, yb.data());
      k.lerp(read(a, i, m, ab.data()), read(b, i, m, bb.data()), t, yr, m);
      commit(y, i, yr, m);
    }
  });
}

}  // namespace aiprod
