// Reference 3D convolution: the definition in conv.h, one output element at a time (f32 accumulation, kernel
// taps in (ci, dt, dy, dx) order). The oracle for the implicit-GEMM path.
#include "aiprod/conv.h"
#include "aiprod/threadpool.h"

namespace aiprod {

void conv3d_ref(const Conv3dArgs& a) {
  const size_t T = a.out_size[0], H = a.out_size[1], W = a.out_size[2];
  parallel_range(a.batch * a.cout * T, 1, [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; ++r) {
      const size_t b = r / (a.cout * T), co = (r / T) % a.cout, t = r % T;
      float* out = a.out + r * H * W;
      for (size_t y = 0; y < H; ++y) {
        for (size_t x = 0; x < W; ++x) {
          float acc = a.bias ? a.bias[co] : 0.0f;
          for (size_t ci = 0; ci < a.cin; ++ci) {
            const float* xc = a.x + (b * a.cin + ci) * a.in[0] * a.in[1] * a.in[2];
            const float* wc = a.w + (co * a.cin + ci) * a.k[0] * a.k[1] * a.k[2];
            for (size_t dt = 0; dt < a.k[0]; ++dt) {
              const long st = conv_source_index(long(t * a.stride[0] + dt) - long(a.pad_front[0]), long(a.in[0]), a.mode[0]);
              for (size_t dy = 0; dy < a.k[1]; ++dy) {
                const long sy = conv_source_index(long(y * a.stride[1] + dy) - long(a.pad_front[1]), long(a.in[1]), a.mode[1]);
                for (size_t dx = 0; dx < a.k[2]; ++dx) {
                  const long sx = conv_source_index(long(x * a.stride[2] + dx) - long(a.pad_front[2]), long(a.in[2]), a.mode[2]);
                  if (st < 0 || sy < 0 || sx < 0) continue;
                  acc += wc[(dt * a.k[1] + dy) * a.k[2] + dx] * xc[(size_t(st) * a.in[1] + size_t(sy)) * a.in[2] + size_t(sx)];
                }
              }
            }
          }
          out[y * W + x] = acc;
        }
      }
    }
  });
}

}  // namespace aiprod
