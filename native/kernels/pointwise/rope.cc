// RoPE on x [B,H,T,d], one head row (d elements) at a time; the table row for (b,h,t) depends on the layout:
// LTX-2 SPLIT tables give every head its own frequency band ([B,T,H,d/2] or [T,H,d/2]: head h reads entries
// h·d/2 .. (h+1)·d/2 of the W/2-wide table row of token t); Gemma's rotate_half and interleaved RoPE share one
// [T,d/2] table over heads. Gemma (and HF) store cos/sin as [T,d] = cat(freqs, freqs); its first half is the
// [T,d/2] table here, and rotate_half(x)·sin + x·cos is exactly the split rotation below.
#include <vector>

#include "aiprod/pointwise.h"
#include "aiprod/threadpool.h"
#include "staging.h"

namespace aiprod {

void rope(bool interleaved, FloatIn x, FloatIn cos, FloatIn sin, RopeTable layout, FloatOut y, size_t batch,
          size_t heads, size_t tokens, size_t d) {
  const PointwiseKernels& k = pointwise_kernels();
  const auto kernel = interleaved ? k.rope_interleaved : k.rope_split;
  const size_t half = d / 2;
  parallel_range(batch * heads * tokens, staging::row_grain(d), [&](size_t begin, size_t end) {
    std::vector<float> xb(d), yb(d), cb(half), sb(half);
    for (size_t r = begin; r < end; ++r) {
      const size_t t = r % tokens, h = (r / tokens) % heads, b = r / (tokens * heads);
      size_t row = t;
      if (layout == RopeTable::TH) row = t * heads + h;
      if (layout == RopeTable::BTH) row = (b * tokens + t) * heads + h;
      float* yr = staging::target(y, r * d, yb.data());
      kernel(staging::read(x, r * d, d, xb.data()), staging::read(cos, row * half, half, cb.data()),
             staging::read(sin, row * half, half, sb.data()), yr, half);
      staging::commit(y, r * d, yr, d);
    }
  });
}

}  // namespace aiprod
