// Layout ops (aiprod_cuda_layout_args) on [B,C,D,H,W] for 1-, 2- and 4-byte elements, bit copies as
// aiprod::space_to_depth3d / depth_to_space3d (native/kernels/layout/layout.cc). b, c, d, h, w are those
// functions' B, C, D, H, W:
//   kind 0 space_to_depth3d "b c (d p1) (h p2) (w p3) -> b (c p1 p2 p3) d h w"  x [B,C,D·p1,H·p2,W·p3]
//   kind 1 depth_to_space3d "b (c p1 p2 p3) d h w -> b c (d p1) (h p2) (w p3)"  x [B,C·p1·p2·p3,D,H,W]
// (out the other shape). out must not overlap x. One thread per output element, grid-stride, so the writes
// are coalesced; the reads gather with stride p3 (space_to_depth) or D·H·W (depth_to_space) along w.
#include "aiprod_cuda/kernel.h"
#include "ops.h"
#include "shape_args.h"

namespace aiprod_cuda {
namespace {

struct LayoutShape {
  size_t b, c, d, h, w, p1, p2, p3;
};

template <class T, int kKind>
__global__ void layout_kernel(const T* x, T* out, LayoutShape s, size_t n) {
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    size_t r = i, src;
    if (kKind == 0) {
      // out axes b, c, i1, i2, i3, d, h, w (channel (c·p1 + i1)·p2·p3 + i2·p3 + i3)
      const size_t w = r % s.w; r /= s.w;
      const size_t h = r % s.h; r /= s.h;
      const size_t d = r % s.d; r /= s.d;
      const size_t i3 = r % s.p3; r /= s.p3;
      const size_t i2 = r % s.p2; r /= s.p2;
      const size_t i1 = r % s.p1; r /= s.p1;
      const size_t c = r % s.c, b = r / s.c;
      const size_t Wi = s.w * s.p3, Hi = s.h * s.p2, Di = s.d * s.p1;
      src = (((b * s.c + c) * Di + d * s.p1 + i1) * Hi + h * s.p2 + i2) * Wi + w * s.p3 + i3;
    } else {
      // out axes b, c, d, i1, h, i2, w, i3 (in channel ((c·p1 + i1)·p2 + i2)·p3 + i3)
      const size_t i3 = r % s.p3; r /= s.p3;
      const size_t w = r % s.w; r /= s.w;
      const size_t i2 = r % s.p2; r /= s.p2;
      const size_t h = r % s.h; r /= s.h;
      const size_t i1 = r % s.p1; r /= s.p1;
      const size_t d = r % s.d; r /= s.d;
      const size_t c = r % s.c, b = r / s.c;
      const size_t ch = ((c * s.p1 + i1) * s.p2 + i2) * s.p3 + i3;
      src = (((b * s.c * s.p1 * s.p2 * s.p3 + ch) * s.d + d) * s.h + h) * s.w + w;
    }
    out[i] = x[src];
  }
}

template <class T>
void launch_t(int kind, const void* x, void* out, const LayoutShape& s, size_t n, Stream st) {
  const dim3 grid(n / 256 + 1 < 8192 ? unsigned(n / 256 + 1) : 8192u), block(256);
  if (kind == 0) launch("space_to_depth3d", layout_kernel<T, 0>, grid, block, 0, st, static_cast<const T*>(x), static_cast<T*>(out), s, n);
  else launch("depth_to_space3d", layout_kernel<T, 1>, grid, block, 0, st, static_cast<const T*>(x), static_cast<T*>(out), s, n);
}

}  // namespace

void layout(const aiprod_cuda_layout_args& a, void* stream) {
  if (a.kind != 0 && a.kind != 1) {
    invalid_argument("layout: unknown kind " + std::to_string(a.kind) + " (0 space_to_depth3d, 1 depth_to_space3d)");
  }
  const char* op = a.kind == 0 ? "layout space_to_depth3d" : "layout depth_to_space3d";
  if (a.elem_size != 1 && a.elem_size != 2 && a.elem_size != 4) {
    invalid_argument(std::string(op) + ": elem_size " + std::to_string(a.elem_size) + " (1, 2 or 4 bytes supported)");
  }
  const std::string shape = "B " + std::to_string(a.b) + ", C " + std::to_string(a.c) + ", D " + std::to_string(a.d) +
                            ", H " + std::to_string(a.h) + ", W " + std::to_string(a.w) + ", factors " +
                            std::to_string(a.p1) + "x" + std::to_string(a.p2) + "x" + std::to_string(a.p3);
  if (a.p1 == 0 || a.p2 == 0 || a.p3 == 0) invalid_argument(std::string(op) + ": a factor is 0 (" + shape + ")");
  const size_t n = a.b * a.c * a.d * a.h * a.w * a.p1 * a.p2 * a.p3;
  if (n == 0) return;
  if (!a.x || !a.out) invalid_argument(std::string(op) + ": null data pointer (" + shape + ")");
  const LayoutShape s{a.b, a.c, a.d, a.h, a.w, a.p1, a.p2, a.p3};
  Stream st = static_cast<Stream>(stream);
  switch (a.elem_size) {
    case 1: launch_t<uint8_t>(a.kind, a.x, a.out, s, n, st); break;
    case 2: launch_t<uint16_t>(a.kind, a.x, a.out, s, n, st); break;
    default: launch_t<uint32_t>(a.kind, a.x, a.out, s, n, st); break;
  }
}

}  // namespace aiprod_cuda
