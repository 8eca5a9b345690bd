// copy: strided copies and casts against the CPU (bit-exact: both round with the same formulas).
#include <cstring>

#include "aiprod/half.h"
#include "harness.h"

using harness::DeviceBuffer;

namespace {

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// Values that exercise every rounding case: normals, halfway points, subnormals of each format, overflow,
// infinities and NaN.
std::vector<float> edge_values(size_t n, uint64_t seed) {
  std::vector<float> v = harness::random_floats(n, seed, -4.f, 4.f);
  const float specials[] = {0.f, -0.f, 1e-8f, -3e-6f, 6.1e-5f, 1e-3f, 0.0019531f, 447.f, 449.f, 480.f, 65504.f,
                            65520.f, 1e30f, -1e30f, INFINITY, -INFINITY, NAN, 1.00390625f, 1.0078125f, -2.5e-3f};
  for (size_t i = 0; i < v.size(); i += 3) v[i] = specials[(i / 3) % (sizeof specials / sizeof *specials)];
  for (size_t i = 1; i < v.size(); i += 7) v[i] *= float(1 << (i % 20)) / 1024.f;
  return v;
}

}  // namespace

KERNEL_TEST(copy_casts_match_cpu_bits) {
  const size_t n = 4099;  // odd: a partial block
  const std::vector<float> v = edge_values(n, 11);
  DeviceBuffer<float> x(v);
  DeviceBuffer<uint16_t> bf(n), h(n);
  DeviceBuffer<uint8_t> f8(n);
  DeviceBuffer<float> back(n);
  auto cast = [&](const void* src, int from, void* dst, int to) {
    aiprod_cuda_copy_args a{};
    a.x = src;
    a.x_dtype = from;
    a.out = dst;
    a.out_dtype = to;
    a.ndim = 1;
    a.shape[0] = int64_t(n);
    a.x_strides[0] = a.out_strides[0] = 1;
    aiprod_cuda::copy(a, nullptr);
  };
  cast(x.get(), AIPROD_CUDA_F32, bf.get(), AIPROD_CUDA_BF16);
  cast(x.get(), AIPROD_CUDA_F32, h.get(), AIPROD_CUDA_F16);
  cast(x.get(), AIPROD_CUDA_F32, f8.get(), AIPROD_CUDA_F8E4M3);
  const auto gb = bf.download();
  const auto gh = h.download();
  const auto g8 = f8.download();
  size_t bad_b = 0, bad_h = 0, bad_8 = 0;
  for (size_t i = 0; i < n; ++i) {
    bad_b += gb[i] != aiprod::f32_to_bf16(v[i]);
    bad_h += gh[i] != aiprod::f32_to_f16(v[i]);
    bad_8 += g8[i] != aiprod::f32_to_f8e4m3(v[i]);
  }
  EXPECT(bad_b == 0, "f32->bf16: %zu of %zu differ from the CPU", bad_b, n);
  EXPECT(bad_h == 0, "f32->f16: %zu of %zu differ from the CPU", bad_h, n);
  EXPECT(bad_8 == 0, "f32->f8e4m3: %zu of %zu differ from the CPU", bad_8, n);
  // And back up to f32: exact decodes.
  for (int from : {AIPROD_CUDA_BF16, AIPROD_CUDA_F16, AIPROD_CUDA_F8E4M3}) {
    const void* src = from == AIPROD_CUDA_BF16 ? (const void*)bf.get() : from == AIPROD_CUDA_F16 ? (const void*)h.get() : (const void*)f8.get();
    cast(src, from, back.get(), AIPROD_CUDA_F32);
    const auto g = back.download();
    size_t bad = 0;
    for (size_t i = 0; i < n; ++i) {
      const float ref = from == AIPROD_CUDA_BF16 ? aiprod::bf16_to_f32(gb[i])
                        : from == AIPROD_CUDA_F16 ? aiprod::f16_to_f32(gh[i])
                                                  : aiprod::f8e4m3_to_f32(g8[i]);
      bad += bits(g[i]) != bits(ref);
    }
    EXPECT(bad == 0, "%d->f32: %zu of %zu differ from the CPU", from, bad, n);
  }
}

KERNEL_TEST(copy_permute_and_narrow) {
  // x [3,5,7] -> out = x.permute(2,0,1)[1:6] (a strided source, a contiguous destination), bf16 bits kept.
  const int64_t A = 3, B = 5, C = 7;
  const auto v = harness::to_bf16(harness::random_floats(size_t(A * B * C), 5));
  DeviceBuffer<uint16_t> x(v);
  DeviceBuffer<uint16_t> out(size_t(5 * A * B));
  aiprod_cuda_copy_args a{};
  a.x = x.get() + 1;  // narrow dim C from 1
  a.x_dtype = a.out_dtype = AIPROD_CUDA_BF16;
  a.ndim = 3;
  a.shape[0] = 5, a.shape[1] = A, a.shape[2] = B;
  a.x_strides[0] = 1, a.x_strides[1] = B * C, a.x_strides[2] = C;
  a.out = out.get();
  a.out_strides[0] = A * B, a.out_strides[1] = B, a.out_strides[2] = 1;
  aiprod_cuda::copy(a, nullptr);
  const auto g = out.download();
  size_t bad = 0;
  for (int64_t c = 0; c < 5; ++c)
    for (int64_t i = 0; i < A; ++i)
      for (int64_t j = 0; j < B; ++j) bad += g[size_t(c * A * B + i * B + j)] != v[size_t(i * B * C + j * C + c + 1)];
  EXPECT(bad == 0, "permute+narrow: %zu elements differ", bad);
}

KERNEL_TEST(copy_rejects_bad_arguments) {
  aiprod_cuda_copy_args a{};
  a.ndim = 9;
  harness::expect_error("9 dims", AIPROD_CUDA_ERR_INVALID_ARGUMENT, "0-8 supported", [&] { aiprod_cuda::copy(a, nullptr); });
  a.ndim = 1;
  a.shape[0] = -2;
  harness::expect_error("negative size", AIPROD_CUDA_ERR_INVALID_ARGUMENT, "negative size", [&] { aiprod_cuda::copy(a, nullptr); });
  a.shape[0] = 4;
  a.x_dtype = 9;
  harness::expect_error("bad dtype", AIPROD_CUDA_ERR_INVALID_ARGUMENT, "unknown dtype", [&] { aiprod_cuda::copy(a, nullptr); });
}
