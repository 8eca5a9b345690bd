// layout: space_to_depth3d / depth_to_space3d against the CPU's (aiprod/layout.h), bit for bit, for 1-, 2- and
// 4-byte elements, odd sizes and factors; and the round trip.
#include <cstring>

#include "aiprod/layout.h"
#include "harness.h"

using harness::DeviceBuffer;

namespace {

void check(int kind, size_t es, size_t B, size_t C, size_t D, size_t H, size_t W, size_t p1, size_t p2, size_t p3, uint64_t seed) {
  const size_t n = B * C * D * H * W * p1 * p2 * p3, bytes = n * es;
  std::vector<uint8_t> xv(bytes);
  uint64_t st = seed * 0x9e3779b97f4a7c15ull + 1;
  for (auto& b : xv) st = st * 6364136223846793005ull + 1442695040888963407ull, b = uint8_t(st >> 56);
  DeviceBuffer<uint8_t> x(xv), out(bytes + 1);
  out.fill_bytes(0xee);
  aiprod_cuda_layout_args a{};
  a.kind = kind, a.x = x.get(), a.out = out.get(), a.elem_size = es;
  a.b = B, a.c = C, a.d = D, a.h = H, a.w = W, a.p1 = p1, a.p2 = p2, a.p3 = p3;
  aiprod_cuda::layout(a, nullptr);
  std::vector<uint8_t> ref(bytes + 1, 0xee);
  if (kind == 0) aiprod::space_to_depth3d(xv.data(), ref.data(), es, B, C, D, H, W, p1, p2, p3);
  else aiprod::depth_to_space3d(xv.data(), ref.data(), es, B, C, D, H, W, p1, p2, p3);
  const auto got = out.download();
  size_t bad = 0;
  for (size_t i = 0; i <= bytes; ++i) bad += got[i] != ref[i];
  EXPECT(bad == 0, "%s elem %zu B%zu C%zu D%zu H%zu W%zu p %zux%zux%zu: %zu of %zu bytes differ (or written past the end)",
         kind ? "depth_to_space3d" : "space_to_depth3d", es, B, C, D, H, W, p1, p2, p3, bad, bytes);
}

}  // namespace

KERNEL_TEST(layout_space_depth_match_cpu) {
  uint64_t seed = 1;
  for (int kind = 0; kind <= 1; ++kind) {
    check(kind, 4, 2, 3, 2, 3, 5, 2, 2, 2, seed++);
    check(kind, 2, 1, 5, 3, 2, 7, 1, 2, 3, seed++);
    check(kind, 1, 2, 1, 1, 3, 3, 3, 1, 2, seed++);
    check(kind, 2, 1, 1, 1, 1, 1, 1, 1, 1, seed++);
    check(kind, 4, 1, 2, 5, 1, 1, 2, 1, 1, seed++);
  }
}

KERNEL_TEST(layout_round_trip) {
  const size_t B = 2, C = 3, D = 2, H = 3, W = 5, p1 = 2, p2 = 1, p3 = 2, n = B * C * D * H * W * p1 * p2 * p3;
  std::vector<uint16_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = uint16_t(i * 7 + 3);
  DeviceBuffer<uint16_t> x(v), mid(n), back(n);
  aiprod_cuda_layout_args a{};
  a.kind = 0, a.x = x.get(), a.out = mid.get(), a.elem_size = 2, a.b = B, a.c = C, a.d = D, a.h = H, a.w = W, a.p1 = p1, a.p2 = p2, a.p3 = p3;
  aiprod_cuda::layout(a, nullptr);
  a.kind = 1, a.x = mid.get(), a.out = back.get();
  aiprod_cuda::layout(a, nullptr);
  EXPECT(back.download() == v, "depth_to_space3d(space_to_depth3d(x)) != x");
}

KERNEL_TEST(layout_rejects_bad_arguments) {
  DeviceBuffer<float> t(8);
  aiprod_cuda_layout_args a{};
  a.x = t.get(), a.out = t.get(), a.elem_size = 4, a.b = a.c = a.d = a.h = a.w = 1, a.p1 = a.p2 = a.p3 = 2;
  const int code = AIPROD_CUDA_ERR_INVALID_ARGUMENT;
  auto call = [&] { aiprod_cuda::layout(a, nullptr); };  // with a as it is at each check
  a.kind = 2;
  harness::expect_error("kind 2", code, "unknown kind 2", call);
  a.kind = 0, a.elem_size = 3;
  harness::expect_error("elem 3", code, "elem_size 3", call);
  a.elem_size = 4, a.p2 = 0;
  harness::expect_error("factor 0", code, "a factor is 0", call);
  a.p2 = 2, a.out = nullptr;
  harness::expect_error("null out", code, "null data pointer", call);
  a.c = 0;
  aiprod_cuda::layout(a, nullptr);  // empty: no error
}
