// The layout ops as one strided gather: each op describes its output (contiguous) as a view of its input
// (sizes and input strides per output axis) and gather() copies it. These ops are memory-bound index shuffles,
// so one portable C++ implementation serves every ISA path; there is nothing for SIMD arithmetic to speed up.
#include "aiprod/layout.h"

#include <cstdint>
#include <cstring>
#include <vector>

#include "aiprod/threadpool.h"

namespace aiprod {
namespace {

struct Axis {
  size_t size, stride;  // stride in input elements
};

template <typename T>
void gather_rows(const T* in, T* out, const std::vector<Axis>& axes, size_t begin, size_t end) {
  const Axis inner = axes.back();
  for (size_t row = begin; row < end; ++row) {
    size_t off = 0, rest = row;
    for (size_t a = axes.size() - 1; a-- > 0;) {
      off += (rest % axes[a].size) * axes[a].stride;
      rest /= axes[a].size;
    }
    T* o = out + row * inner.size;
    const T* i = in + off;
    if (inner.stride == 1) {
      std::memcpy(o, i, inner.size * sizeof(T));
    } else {
      for (size_t k = 0; k < inner.size; ++k) o[k] = i[k * inner.stride];
    }
  }
}

// out[i0,...,in] (contiguous) = in[Σ ik·stride_k]
void gather(const void* in, void* out, size_t elem_size, const std::vector<Axis>& axes) {
  size_t rows = 1;
  for (size_t a = 0; a + 1 < axes.size(); ++a) rows *= axes[a].size;
  const size_t inner = axes.back().size;
  if (rows == 0 || inner == 0) return;
  const size_t grain = inner >= 16384 ? 1 : 16384 / inner;
  parallel_range(rows, grain, [&](size_t begin, size_t end) {
    switch (elem_size) {
      case 1: gather_rows(static_cast<const uint8_t*>(in), static_cast<uint8_t*>(out), axes, begin, end); break;
      case 2: gather_rows(static_cast<const uint16_t*>(in), static_cast<uint16_t*>(out), axes, begin, end); break;
      default: gather_rows(static_cast<const uint32_t*>(in), static_cast<uint32_t*>(out), axes, begin, end); break;
    }
  });
}

}  // namespace

void space_to_depth3d(const void* in, void* out, size_t es, size_t B, size_t C, size_t D, size_t H, size_t W,
                      size_t p1, size_t p2, size_t p3) {
  const size_t Wi = W * p3, HWi = H * p2 * Wi, DHWi = D * p1 * HWi;
  // output axes b, c, p1, p2, p3, d, h, w
  gather(in, out, es, {{B, C * DHWi}, {C, DHWi}, {p1, HWi}, {p2, Wi}, {p3, 1},
                       {D, p1 * HWi}, {H, p2 * Wi}, {W, p3}});
}

void depth_to_space3d(const void* in, void* out, size_t es, size_t B, size_t C, size_t D, size_t H, size_t W,
                      size_t p1, size_t p2, size_t p3) {
  const size_t S = D * H * W;  // input channel c·p1p2p3 + (i1·p2 + i2)·p3 + i3
  // output axes b, c, d, p1, h, p2, w, p3
  gather(in, out, es, {{B, C * p1 * p2 * p3 * S}, {C, p1 * p2 * p3 * S}, {D, H * W}, {p1, p2 * p3 * S},
                       {H, W}, {p2, p3 * S}, {W, 1}, {p3, S}});
}

void pixel_shuffle2d(const void* in, void* out, size_t es, size_t B, size_t C, size_t H, size_t W, size_t r) {
  const size_t S = H * W;  // input channel c·r² + i·r + j
  // output axes b, c, h, i, w, j
  gather(in, out, es, {{B, C * r * r * S}, {C, r * r * S}, {H, W}, {r, r * S}, {W, 1}, {r, S}});
}

void patchify(const void* in, void* out, size_t es, size_t B, size_t C, size_t F, size_t H, size_t W, size_t pt,
              size_t P) {
  const size_t Wi = W * P, HWi = H * P * Wi, FHWi = F * pt * HWi;
  // output axes b, c, p (t sub), r (w sub), q (h sub), f, h, w
  gather(in, out, es, {{B, C * FHWi}, {C, FHWi}, {pt, HWi}, {P, 1}, {P, Wi},
                       {F, pt * HWi}, {H, P * Wi}, {W, P}});
}

void unpatchify(const void* in, void* out, size_t es, size_t B, size_t C, size_t F, size_t H, size_t W, size_t pt,
                size_t P) {
  const size_t S = F * H * W;  // input channel ((c·pt + p)·P + r)·P + q
  // output axes b, c, f, p, h, q, w, r
  gather(in, out, es, {{B, C * pt * P * P * S}, {C, pt * P * P * S}, {F, H * W}, {pt, P * P * S},
                       {H, W}, {P, S}, {W, 1}, {P, P * S}});
}

}  // namespace aiprod
