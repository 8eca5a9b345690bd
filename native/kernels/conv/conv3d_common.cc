#include "conv3d_common.h"

#include <algorithm>
#include <vector>

#include "aiprod/threadpool.h"

namespace aiprod {

void pad_channels_last(const Conv3dArgs& a, const float* x, size_t hq, size_t wq, size_t slack_rows, float* xcl) {
  const PaddedSize p = padded_size(a);
  std::vector<long> wmap(wq, -1), hmap(hq, -1);
  for (size_t i = 0; i < p.w; ++i) wmap[i] = conv_source_index(long(i) - long(a.pad_front[2]), long(a.in[2]), a.mode[2]);
  for (size_t i = 0; i < p.h; ++i) hmap[i] = conv_source_index(long(i) - long(a.pad_front[1]), long(a.in[1]), a.mode[1]);
  const size_t cin = a.cin, frame = a.in[0] * a.in[1] * a.in[2];
  parallel_range(p.t * hq, 4, [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; ++r) {
      const size_t tp = r / hq, h = r % hq;
      float* dst = xcl + r * wq * cin;
      const long st = conv_source_index(long(tp) - long(a.pad_front[0]), long(a.in[0]), a.mode[0]);
      if (st < 0 || hmap[h] < 0) {
        std::fill(dst, dst + wq * cin, 0.0f);
        continue;
      }
      const float* src = x + (size_t(st) * a.in[1] + size_t(hmap[h])) * a.in[2];
      // channel-major reads of one source row each, scattered with stride Cin into the (L1-sized) output row
      for (size_t ci = 0; ci < cin; ++ci) {
        const float* srow = src + ci * frame;
        for (size_t w = 0; w < wq; ++w) dst[w * cin + ci] = wmap[w] < 0 ? 0.0f : srow[wmap[w]];
      }
    }
  });
  const size_t end = p.t * hq * wq * cin;
  std::fill(xcl + end, xcl + end + slack_rows * cin, 0.0f);
}

void pack_conv_weight_panels(const Conv3dArgs& a, size_t width, float* dst) {
  const size_t taps = a.k[0] * a.k[1] * a.k[2], K = taps * a.cin, panels = (a.cout + width - 1) / width;
  parallel_range(panels, 1, [&](size_t p0, size_t p1) {
    for (size_t p = p0; p < p1; ++p) {
      float* out = dst + p * K * width;
      const size_t cols = std::min(width, a.cout - p * width);
      const float* wp = a.w + p * width * a.cin * taps;  // the panel's first output channel
      // k in order (sequential writes); the `cols` source rows (Cin·taps floats each) stay in L2 meanwhile
      for (size_t tap = 0; tap < taps; ++tap) {
        for (size_t ci = 0; ci < a.cin; ++ci, out += width) {
          for (size_t j = 0; j < cols; ++j) out[j] = wp[(j * a.cin + ci) * taps + tap];
          for (size_t j = cols; j < width; ++j) out[j] = 0.0f;
        }
      }
    }
  });
}

}  // namespace aiprod
