// matmul: batched, shared (stride 0) or per-batch operands, b [K,N] or transposed [N,K], f32 (SIMT) and bf16
// (tensor cores), against aiprod::matmul_ref on seeded random inputs (bf16 data passed to the CPU as its exact
// f32 values).
//
// Error bound per element (u = 2^-24, S = sum_k |a_k b_k|): the products are exact (bf16) or rounded once
// (f32) and each side sums in f32 in its own order, within (k + 1) u S of the exact sum, so the two differ by
// <= (2k + 4) u S; bf16 c adds the device's rounding of its own value, <= 2^-8 (|ref| + e) (half an ulp, 8
// significant bits). A wrong element (a missed chunk, a wrong batch offset, b read untransposed) is off by
// ~|a b| per product, far above it. Elements of c between batch items (stride_c > m*n) must stay untouched.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "aiprod/gemm.h"
#include "aiprod/half.h"
#include "harness.h"

using harness::DeviceBuffer;

namespace {

constexpr double kU = 1.0 / 16777216.0;  // 2^-24

struct Case {
  size_t batch, m, k, n;
  bool b_transposed;
  bool shared_a = false, shared_b = false;
  size_t pad_a = 0, pad_b = 0, pad_c = 0;  // extra elements between batch items
  size_t offset = 0;                       // elements past the buffers' starts (unaligned pointers)
  int dtype = AIPROD_CUDA_F32;
};

// a and b as the device's T (f32, or bf16 bits), each placed `off` elements into its buffer; runs args and
// returns c (got.size() elements from `off`, poisoned with NaN bytes before the launch) as f32 in got.
std::vector<float> device_values(const std::vector<float>& v, float) { return v; }
std::vector<uint16_t> device_values(const std::vector<float>& v, uint16_t) { return harness::to_bf16(v); }
float host_value(float v) { return v; }
float host_value(uint16_t v) { return aiprod::bf16_to_f32(v); }

template <class T>
void run_device(aiprod_cuda_matmul_args args, const std::vector<float>& a, const std::vector<float>& b, size_t off,
                std::vector<float>& got) {
  const std::vector<T> va = device_values(a, T()), vb = device_values(b, T());
  std::vector<T> ha(va.size() + off), hb(vb.size() + off);
  std::copy(va.begin(), va.end(), ha.begin() + off);
  std::copy(vb.begin(), vb.end(), hb.begin() + off);
  DeviceBuffer<T> da(ha), db(hb), dc(got.size() + off);
  dc.fill_bytes(0xFF);
  args.a = da.get() + off, args.b = db.get() + off, args.c = dc.get() + off;
  aiprod_cuda::matmul(args, nullptr);
  const std::vector<T> g = dc.download();
  for (size_t i = 0; i < got.size(); ++i) got[i] = host_value(g[off + i]);
}

double run_case(const Case& c, uint64_t seed) {
  char what[200];
  std::snprintf(what, sizeof what, "%s batch%zu m%zu k%zu n%zu%s%s%s pads %zu/%zu/%zu off%zu",
                c.dtype == AIPROD_CUDA_F32 ? "f32" : "bf16", c.batch, c.m, c.k, c.n, c.b_transposed ? " b^T" : "",
                c.shared_a ? " shared-a" : "", c.shared_b ? " shared-b" : "", c.pad_a, c.pad_b, c.pad_c, c.offset);
  const size_t sa = c.shared_a ? 0 : c.m * c.k + c.pad_a, sb = c.shared_b ? 0 : c.k * c.n + c.pad_b;
  const size_t sc = c.m * c.n + c.pad_c;
  const size_t na = (c.batch - 1) * sa + c.m * c.k, nb = (c.batch - 1) * sb + c.k * c.n, nc = (c.batch - 1) * sc + c.m * c.n;
  std::vector<float> a = harness::random_floats(na, seed), b = harness::random_floats(nb, seed + 1);
  const bool bf = c.dtype == AIPROD_CUDA_BF16;
  if (bf) a = harness::round_bf16(a), b = harness::round_bf16(b);

  std::vector<float> got(nc);
  std::vector<bool> gap(nc, true);
  for (size_t z = 0; z < c.batch; ++z)
    for (size_t i = 0; i < c.m * c.n; ++i) gap[z * sc + i] = false;
  aiprod_cuda_matmul_args args{};
  args.dtype = c.dtype;
  args.batch = c.batch, args.m = c.m, args.k = c.k, args.n = c.n;
  args.stride_a = sa, args.stride_b = sb, args.stride_c = sc;
  args.b_transposed = c.b_transposed;
  const size_t off = c.offset;
  if (!bf) {
    run_device<float>(args, a, b, off, got);
  } else {
    run_device<uint16_t>(args, a, b, off, got);
  }

  std::vector<float> ref(nc, NAN);
  aiprod::MatmulArgs r;
  r.a = a.data(), r.b = b.data(), r.c = ref.data();
  r.batch = c.batch, r.m = c.m, r.k = c.k, r.n = c.n;
  r.stride_a = sa, r.stride_b = sb, r.stride_c = sc;
  r.b_transposed = c.b_transposed;
  aiprod::matmul_ref(r);

  std::vector<float> bound(nc, 0.f), got_v, ref_v, bound_v;
  size_t gaps_written = 0;
  for (size_t i = 0; i < nc; ++i) {
    if (gap[i]) {
      gaps_written += !std::isnan(got[i]);
      continue;
    }
    const size_t z = i / sc, e = i % sc, row = e / c.n, col = e % c.n;
    double s = 0;
    for (size_t p = 0; p < c.k; ++p) {
      const float av = a[z * sa + row * c.k + p];
      const float bv = c.b_transposed ? b[z * sb + col * c.k + p] : b[z * sb + p * c.n + col];
      s += std::fabs(double(av) * bv);
    }
    double bnd = (2.0 * double(c.k) + 4.0) * kU * s + 1e-30;
    if (bf) bnd += std::ldexp(1.0, -8) * (std::fabs(ref[i]) + bnd);
    got_v.push_back(got[i]), ref_v.push_back(ref[i]), bound_v.push_back(float(bnd));
  }
  EXPECT(gaps_written == 0, "%s: %zu elements of c between batch items were written", what, gaps_written);
  harness::expect_within(what, got_v, ref_v, bound_v);
  double worst = 0;
  for (size_t i = 0; i < got_v.size(); ++i) worst = std::max(worst, std::fabs(double(got_v[i]) - ref_v[i]) / bound_v[i]);
  return worst;
}

}  // namespace

// Both dtypes, both b layouts, the required sizes (m 1/17/130, k 1/15/72/257, n 1/24/129), batches with
// per-item, shared and padded operands.
KERNEL_TEST(matmul_shapes_layouts_batches) {
  struct S {
    size_t batch, m, k, n;
    bool sa, sb;
    size_t pa, pb, pc;
  };
  const S shapes[] = {{1, 1, 1, 1, false, false, 0, 0, 0},    {3, 17, 15, 24, false, true, 0, 0, 5},
                      {2, 130, 72, 129, false, false, 8, 0, 0}, {2, 1, 257, 129, true, false, 0, 16, 3},
                      {3, 17, 257, 1, false, false, 0, 0, 0},  {1, 130, 15, 24, false, false, 0, 0, 0},
                      {2, 17, 72, 24, true, false, 0, 8, 0},   {2, 70, 256, 40, false, false, 0, 0, 0}};
  uint64_t seed = 2000;
  for (int dtype : {AIPROD_CUDA_F32, AIPROD_CUDA_BF16}) {
    double worst = 0;
    for (int tr = 0; tr < 2; ++tr) {
      for (const S& s : shapes) {
        Case c;
        c.batch = s.batch, c.m = s.m, c.k = s.k, c.n = s.n;
        c.b_transposed = tr;
        c.shared_a = s.sa, c.shared_b = s.sb, c.pad_a = s.pa, c.pad_b = s.pb, c.pad_c = s.pc;
        c.dtype = dtype;
        worst = std::max(worst, run_case(c, seed++));
      }
    }
    harness::note(std::string(dtype == AIPROD_CUDA_F32 ? "f32" : "bf16") + ": worst |err| / bound " + std::to_string(worst));
  }
}

// bf16 operands one element off 16-byte alignment (k, n multiples of 8 otherwise take cp.async): the
// per-element path; and an odd batch stride with aligned bases.
KERNEL_TEST(matmul_bf16_unaligned) {
  double worst = 0;
  uint64_t seed = 3000;
  for (int tr = 0; tr < 2; ++tr) {
    Case c;
    c.batch = 2, c.m = 20, c.k = 32, c.n = 40, c.b_transposed = tr, c.dtype = AIPROD_CUDA_BF16, c.offset = 1;
    worst = std::max(worst, run_case(c, seed++));
    c.offset = 0, c.pad_a = 3;  // stride_a % 8 != 0
    worst = std::max(worst, run_case(c, seed++));
    c.dtype = AIPROD_CUDA_F32, c.offset = 1;
    worst = std::max(worst, run_case(c, seed++));
  }
  harness::note("worst |err| / bound " + std::to_string(worst));
}

// k = 0: c = 0; batch, m or n = 0: nothing.
KERNEL_TEST(matmul_zero_sizes) {
  for (int dtype : {AIPROD_CUDA_F32, AIPROD_CUDA_BF16}) {
    DeviceBuffer<float> c(8);
    c.fill_bytes(0x7F);
    aiprod_cuda_matmul_args a{};
    a.dtype = dtype;
    a.batch = 2, a.m = 2, a.k = 0, a.n = 2;
    a.stride_c = 4;
    a.c = c.get();
    aiprod_cuda::matmul(a, nullptr);
    const auto g = c.download();
    // f32: eight zeros; bf16: the first 8 halves (4 floats' worth of bytes) are zeros.
    const size_t zeros = dtype == AIPROD_CUDA_F32 ? 8 : 4;
    for (size_t i = 0; i < zeros; ++i) EXPECT(g[i] == 0.f, "k=0 dtype %d: c[%zu] = %g", dtype, i, g[i]);
    for (size_t i = zeros; i < 8; ++i) EXPECT(g[i] != 0.f, "k=0 dtype %d: c[%zu] written past the output", dtype, i);
    c.fill_bytes(0x7F);
    a.batch = 0;
    aiprod_cuda::matmul(a, nullptr);
    a.batch = 2, a.m = 0;
    aiprod_cuda::matmul(a, nullptr);
    a.m = 2, a.n = 0;
    aiprod_cuda::matmul(a, nullptr);
    const auto g2 = c.download();
    for (size_t i = 0; i < 8; ++i) EXPECT(g2[i] != 0.f, "empty matmul wrote c[%zu]", i);
  }
}

KERNEL_TEST(matmul_errors) {
  DeviceBuffer<float> a(64), b(64), c(64);
  auto base = [&] {
    aiprod_cuda_matmul_args x{};
    x.a = a.get(), x.b = b.get(), x.c = c.get(), x.dtype = AIPROD_CUDA_F32;
    x.batch = 2, x.m = 2, x.k = 3, x.n = 4;
    x.stride_a = 6, x.stride_b = 0, x.stride_c = 8;
    return x;
  };
  const int E = AIPROD_CUDA_ERR_INVALID_ARGUMENT;
  auto run = [](aiprod_cuda_matmul_args x) { return [x] { aiprod_cuda::matmul(x, nullptr); }; };
  aiprod_cuda_matmul_args x = base();
  x.dtype = AIPROD_CUDA_F16;
  harness::expect_error("f16", E, "f32 or bf16", run(x));
  x = base(), x.dtype = AIPROD_CUDA_F8E4M3;
  harness::expect_error("f8", E, "f32 or bf16", run(x));
  x = base(), x.dtype = 42;
  harness::expect_error("dtype 42", E, "code 42", run(x));
  x = base(), x.a = nullptr;
  harness::expect_error("null a", E, "a is null", run(x));
  x = base(), x.b = nullptr;
  harness::expect_error("null b", E, "b is null", run(x));
  x = base(), x.c = nullptr;
  harness::expect_error("null c", E, "c is null", run(x));
  x = base(), x.stride_c = 7;
  harness::expect_error("overlapping c", E, "stride_c 7", run(x));
  x = base(), x.stride_c = 0;
  harness::expect_error("shared c", E, "stride_c 0", run(x));
  x = base(), x.batch = 1, x.m = size_t(1) << 23;
  harness::expect_error("m too large", E, "exceed the grid", run(x));
}
