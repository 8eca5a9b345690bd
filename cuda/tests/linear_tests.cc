// linear: every x / w dtype, every epilogue combination, odd and partial shapes, aliasing and unaligned
// pointers, against aiprod::linear_ref (the CPU oracle) on seeded random inputs.
//
// Error bound, per output element (u = 2^-24, S = sum_k |xq_k * wq_k| with the operands as both sides use
// them: x rounded to bf16 and w as bf16 / round_bf16(f8 * scale) for bf16 math, as given for f32 math):
//   - accumulation: the products are exact (bf16 x bf16) or rounded once (f32); each side's f32 sum in its own
//     order is within (k + 1) u S of the exact sum (Higham's gamma_k), so the two differ by <= (2k + 4) u S;
//   - bias add: + 2u |v| (each side rounds once);
//   - gelu_tanh: |gelu'| <= 1.13, and tanhf differs by <= 2 ulp (2^-22 absolute near 1, times 0.5|v|) plus
//     <= 4 roundings of |gelu(v)|;
//   - gate: times |gate|, + 2u |result|; residual: + 2u |result|;
//   - bf16 y: the device rounds its own value: + 2^-8 (|ref| + e) (half an ulp: 8 significant bits).
// A wrong element (a missed chunk, a wrong fragment, the f8 scale applied after the bf16 rounding instead
// of before, x not rounded to bf16) changes results by ~2^-9 |x w| per product or more, far above this.
#include <cmath>
#include <algorithm>
#include <cstring>
#include <memory>

#include "aiprod/gemm.h"
#include "aiprod/half.h"
#include "harness.h"

using harness::DeviceBuffer;

namespace {

constexpr double kU = 1.0 / 16777216.0;  // 2^-24

// Host data in a dtype (f32 or bf16 or f8 bytes), with the f32 values the CPU reference sees.
struct HostTensor {
  int dtype = AIPROD_CUDA_F32;
  std::vector<uint8_t> bytes;
  std::vector<float> values;  // exactly what the stored data decodes to
};

HostTensor make_tensor(size_t n, int dtype, uint64_t seed, float lo = -1.f, float hi = 1.f) {
  HostTensor t;
  t.dtype = dtype;
  const std::vector<float> v = harness::random_floats(n, seed, lo, hi);
  t.values.resize(n);
  if (dtype == AIPROD_CUDA_F32) {
    t.bytes.resize(4 * n);
    std::memcpy(t.bytes.data(), v.data(), 4 * n);
    t.values = v;
  } else if (dtype == AIPROD_CUDA_BF16) {
    t.bytes.resize(2 * n);
    for (size_t i = 0; i < n; ++i) {
      const uint16_t b = aiprod::f32_to_bf16(v[i]);
      std::memcpy(t.bytes.data() + 2 * i, &b, 2);
      t.values[i] = aiprod::bf16_to_f32(b);
    }
  } else {  // f8e4m3 codes (values up to |8|: normals and subnormals)
    t.bytes.resize(n);
    for (size_t i = 0; i < n; ++i) {
      t.bytes[i] = aiprod::f32_to_f8e4m3(v[i] * 8.f);
      t.values[i] = aiprod::f8e4m3_to_f32(t.bytes[i]);
    }
  }
  return t;
}

struct Case {
  size_t m, k, n;
  int x_dtype, w_dtype;
  int bias_dtype = -1, gate_dtype = -1, residual_dtype = -1;  // -1: absent
  int act = 0;
  int y_dtype = AIPROD_CUDA_F32;
  bool residual_is_y = false;  // residual aliases y (y_dtype == residual_dtype)
  bool unaligned = false;      // x and w one element past a 16-byte boundary (the per-element path)
  float w_scale = 1.0f;
};

std::string describe(const Case& c) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "m%zu k%zu n%zu x%d w%d bias%d act%d gate%d res%d%s y%d%s", c.m, c.k, c.n, c.x_dtype,
                c.w_dtype, c.bias_dtype, c.act, c.gate_dtype, c.residual_dtype, c.residual_is_y ? "(=y)" : "",
                c.y_dtype, c.unaligned ? " unaligned" : "");
  return buf;
}

// Device copy of a host tensor, `offset` elements into its buffer.
struct DeviceTensor {
  DeviceBuffer<uint8_t> buf;
  size_t offset_bytes;
  DeviceTensor(const HostTensor& t, size_t offset)
      : buf(t.bytes.size() + offset * aiprod_dtype_size(t.dtype) + 16), offset_bytes(offset * aiprod_dtype_size(t.dtype)) {
    std::vector<uint8_t> host(buf.size(), 0);
    std::memcpy(host.data() + offset_bytes, t.bytes.data(), t.bytes.size());
    buf.upload(host);
  }
  static size_t aiprod_dtype_size(int d) { return d == AIPROD_CUDA_F32 ? 4 : (d == AIPROD_CUDA_F8E4M3 ? 1 : 2); }
  void* get() const { return buf.get() + offset_bytes; }
};

// Runs one case on the device and on the CPU; returns the worst error / bound ratio.
double run_case(const Case& c, uint64_t seed) {
  const std::string what = describe(c);
  const HostTensor x = make_tensor(c.m * c.k, c.x_dtype, seed);
  const HostTensor w = make_tensor(c.n * c.k, c.w_dtype, seed + 1, -0.5f, 0.5f);
  HostTensor bias, gate, res;
  if (c.bias_dtype >= 0) bias = make_tensor(c.n, c.bias_dtype, seed + 2);
  if (c.gate_dtype >= 0) gate = make_tensor(c.m * c.n, c.gate_dtype, seed + 3, -2.f, 2.f);
  if (c.residual_dtype >= 0) res = make_tensor(c.m * c.n, c.residual_dtype, seed + 4, -4.f, 4.f);

  const size_t off = c.unaligned ? 1 : 0;
  DeviceTensor dx(x, off), dw(w, off);
  std::unique_ptr<DeviceTensor> dbias, dgate, dres;
  if (c.bias_dtype >= 0) dbias.reset(new DeviceTensor(bias, 0));
  if (c.gate_dtype >= 0) dgate.reset(new DeviceTensor(gate, 0));
  // y: poisoned (0xFF: NaN in f32 and bf16) so a missed element shows, or the residual itself when aliased.
  HostTensor ypoison;
  ypoison.dtype = c.y_dtype;
  ypoison.bytes.assign(c.m * c.n * DeviceTensor::aiprod_dtype_size(c.y_dtype), 0xFF);
  std::unique_ptr<DeviceTensor> dy(new DeviceTensor(c.residual_is_y ? res : ypoison, 0));
  if (c.residual_dtype >= 0 && !c.residual_is_y) dres.reset(new DeviceTensor(res, 0));

  aiprod_cuda_linear_args a{};
  a.x = dx.get();
  a.x_dtype = c.x_dtype;
  a.m = c.m, a.k = c.k, a.n = c.n;
  a.w = dw.get();
  a.w_dtype = c.w_dtype;
  a.w_scale = c.w_scale;
  a.bias = dbias ? dbias->get() : nullptr;
  a.bias_dtype = c.bias_dtype;
  a.activation = c.act;
  a.gate = dgate ? dgate->get() : nullptr;
  a.gate_dtype = c.gate_dtype;
  a.residual = c.residual_is_y ? dy->get() : (dres ? dres->get() : nullptr);
  a.residual_dtype = c.residual_dtype;
  a.y = dy->get();
  a.y_dtype = c.y_dtype;
  aiprod_cuda::linear(a, nullptr);
  const std::vector<uint8_t> ybytes = dy->buf.download();
  std::vector<float> got(c.m * c.n);
  for (size_t i = 0; i < got.size(); ++i) {
    if (c.y_dtype == AIPROD_CUDA_F32) {
      std::memcpy(&got[i], ybytes.data() + 4 * i, 4);
    } else {
      uint16_t b;
      std::memcpy(&b, ybytes.data() + 2 * i, 2);
      got[i] = aiprod::bf16_to_f32(b);
    }
  }

  // The CPU: x as f32 values, w in its storage dtype.
  std::vector<float> ref(c.m * c.n);
  aiprod::LinearArgs r;
  r.x = x.values.data();
  r.m = c.m, r.k = c.k, r.n = c.n;
  std::vector<float> wf32;
  if (c.w_dtype == AIPROD_CUDA_F32) {
    r.w = w.values.data();
    r.w_dtype = aiprod::DType::F32;
  } else {
    r.w = w.bytes.data();
    r.w_dtype = c.w_dtype == AIPROD_CUDA_BF16 ? aiprod::DType::BF16 : aiprod::DType::F8E4M3;
  }
  r.w_scale = c.w_scale;
  r.y = ref.data();
  r.epi.bias = c.bias_dtype >= 0 ? bias.values.data() : nullptr;
  r.epi.act = c.act ? aiprod::Activation::GeluTanh : aiprod::Activation::None;
  r.epi.gate = c.gate_dtype >= 0 ? gate.values.data() : nullptr;
  r.epi.residual = c.residual_dtype >= 0 ? res.values.data() : nullptr;
  aiprod::linear_ref(r);

  // Bounds (see the top of the file).
  const bool bf16_math = c.w_dtype != AIPROD_CUDA_F32;
  std::vector<double> xq(x.values.begin(), x.values.end()), wq(c.n * c.k);
  if (bf16_math) {
    for (auto& v : xq) v = aiprod::bf16_to_f32(aiprod::f32_to_bf16(float(v)));
  }
  for (size_t i = 0; i < wq.size(); ++i) {
    wq[i] = c.w_dtype == AIPROD_CUDA_F8E4M3 ? aiprod::bf16_to_f32(aiprod::f32_to_bf16(w.values[i] * c.w_scale)) : w.values[i];
  }
  std::vector<float> bound(c.m * c.n);
  for (size_t i = 0; i < c.m; ++i) {
    for (size_t j = 0; j < c.n; ++j) {
      double s = 0, exact = 0;
      for (size_t p = 0; p < c.k; ++p) {
        s += std::fabs(xq[i * c.k + p] * wq[j * c.k + p]);
        exact += xq[i * c.k + p] * wq[j * c.k + p];
      }
      double v = exact + (c.bias_dtype >= 0 ? bias.values[j] : 0.0);
      double e = (2.0 * double(c.k) + 4.0) * kU * s + 2 * kU * std::fabs(v) + 1e-30;
      double out = v;
      if (c.act) {
        out = aiprod::gelu_tanh(float(v));
        e = 1.13 * e + 0.5 * std::fabs(v) * std::ldexp(1.0, -22) + 4 * kU * std::fabs(out);
      }
      if (c.gate_dtype >= 0) {
        out *= gate.values[i * c.n + j];
        e = e * std::fabs(gate.values[i * c.n + j]) + 2 * kU * std::fabs(out);
      }
      if (c.residual_dtype >= 0) {
        out += res.values[i * c.n + j];
        e += 2 * kU * (std::fabs(out) + e);
      }
      if (c.y_dtype == AIPROD_CUDA_BF16) e += std::ldexp(1.0, -8) * (std::fabs(ref[i * c.n + j]) + e);
      bound[i * c.n + j] = float(e);
    }
  }
  harness::expect_within(what, got, ref, bound);
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::fabs(double(got[i]) - ref[i]) / bound[i]);
  return worst;
}

const int kX[2] = {AIPROD_CUDA_F32, AIPROD_CUDA_BF16};
const int kW[3] = {AIPROD_CUDA_F32, AIPROD_CUDA_BF16, AIPROD_CUDA_F8E4M3};

}  // namespace

// Every x dtype x w dtype over the required sizes (m 1/17/130, k 1/15/72/257, n 1/24/129) plus two long-k
// aligned shapes: each shape once per dtype pair, epilogues rotating.
KERNEL_TEST(linear_shapes_by_dtype) {
  const size_t shapes[][3] = {{1, 1, 1}, {17, 15, 24}, {130, 72, 129}, {1, 257, 129}, {17, 257, 1}, {130, 15, 24},
                              {17, 72, 129}, {130, 256, 24}, {17, 136, 40}};  // k % 8 == 0, > 4 slices: the
                                                                                 // cp.async ring wraps (fast path)
  double worst = 0;
  uint64_t seed = 100;
  int rot = 0;
  for (int xd : kX) {
    for (int wd : kW) {
      for (const auto& s : shapes) {
        Case c;
        c.m = s[0], c.k = s[1], c.n = s[2];
        c.x_dtype = xd, c.w_dtype = wd;
        c.w_scale = wd == AIPROD_CUDA_F8E4M3 ? 0.0371f : 1.0f;  // not a power of 2: round_bf16(q * s) rounds
        const int e = rot++ % 4;
        if (e == 1) c.bias_dtype = AIPROD_CUDA_F32;
        if (e == 2) c.bias_dtype = AIPROD_CUDA_BF16, c.act = 1;
        if (e == 3) c.residual_dtype = AIPROD_CUDA_F32;
        worst = std::max(worst, run_case(c, seed++));
      }
    }
  }
  harness::note("worst |err| / bound over all shapes: " + std::to_string(worst));
}

// All 16 combinations of bias / gelu / gate / residual, with the epilogue operands' dtypes and y's dtype
// rotating between f32 and bf16, on the three weight dtypes.
KERNEL_TEST(linear_epilogue_combinations) {
  double worst = 0;
  uint64_t seed = 500;
  for (int combo = 0; combo < 16; ++combo) {
    Case c;
    c.m = 17, c.k = 40, c.n = 24;
    c.x_dtype = kX[combo % 2];
    c.w_dtype = kW[combo % 3];
    c.w_scale = c.w_dtype == AIPROD_CUDA_F8E4M3 ? 0.23f : 1.0f;
    const int d = (combo / 2) % 2 ? AIPROD_CUDA_BF16 : AIPROD_CUDA_F32;
    if (combo & 1) c.bias_dtype = d;
    if (combo & 2) c.act = 1;
    if (combo & 4) c.gate_dtype = d == AIPROD_CUDA_F32 ? AIPROD_CUDA_BF16 : AIPROD_CUDA_F32;
    if (combo & 8) c.residual_dtype = d;
    c.y_dtype = (combo / 4) % 2 ? AIPROD_CUDA_BF16 : AIPROD_CUDA_F32;
    worst = std::max(worst, run_case(c, seed++));
  }
  harness::note("worst |err| / bound: " + std::to_string(worst));
}

// residual = y (in place), f32 and bf16, with every weight dtype; and a full epilogue into bf16.
KERNEL_TEST(linear_residual_aliases_y) {
  double worst = 0;
  uint64_t seed = 900;
  for (int wd : kW) {
    for (int yd : {AIPROD_CUDA_F32, AIPROD_CUDA_BF16}) {
      Case c;
      c.m = 33, c.k = 24, c.n = 40;
      c.x_dtype = AIPROD_CUDA_F32, c.w_dtype = wd;
      c.w_scale = wd == AIPROD_CUDA_F8E4M3 ? 0.5f : 1.0f;
      c.bias_dtype = AIPROD_CUDA_F32, c.act = 1, c.gate_dtype = AIPROD_CUDA_BF16;
      c.residual_dtype = yd, c.y_dtype = yd, c.residual_is_y = true;
      worst = std::max(worst, run_case(c, seed++));
    }
  }
  harness::note("worst |err| / bound: " + std::to_string(worst));
}

// x and w one element off 16-byte alignment with k a multiple of 8: the per-element staging path, which the
// other tests reach only through k % 8 != 0. Partial tiles in m and n.
KERNEL_TEST(linear_unaligned_pointers) {
  double worst = 0;
  uint64_t seed = 1300;
  int i = 0;
  for (int xd : kX) {
    for (int wd : {AIPROD_CUDA_BF16, AIPROD_CUDA_F8E4M3, AIPROD_CUDA_F32}) {
      Case c;
      c.m = i % 2 ? 70 : 9, c.k = 48, c.n = 20;
      c.x_dtype = xd, c.w_dtype = wd, c.unaligned = true;
      c.w_scale = wd == AIPROD_CUDA_F8E4M3 ? 1.7f : 1.0f;
      c.bias_dtype = AIPROD_CUDA_BF16;
      c.y_dtype = i++ % 2 ? AIPROD_CUDA_BF16 : AIPROD_CUDA_F32;
      worst = std::max(worst, run_case(c, seed++));
    }
  }
  harness::note("worst |err| / bound: " + std::to_string(worst));
}

// k = 0: y = epilogue(0) (no pointer read for x or w); m = 0 or n = 0: nothing at all.
KERNEL_TEST(linear_zero_sizes) {
  DeviceBuffer<float> y(std::vector<float>(6, -1.f)), bias(std::vector<float>{1.f, -2.f, 3.f});
  aiprod_cuda_linear_args a{};
  a.x_dtype = AIPROD_CUDA_BF16;
  a.m = 2, a.k = 0, a.n = 3;
  a.w_dtype = AIPROD_CUDA_BF16;
  a.bias = bias.get();
  a.bias_dtype = AIPROD_CUDA_F32;
  a.activation = 1;
  a.y = y.get();
  a.y_dtype = AIPROD_CUDA_F32;
  aiprod_cuda::linear(a, nullptr);
  const auto g = y.download();
  for (size_t i = 0; i < 6; ++i) {
    const float want = aiprod::gelu_tanh(i % 3 == 0 ? 1.f : i % 3 == 1 ? -2.f : 3.f);
    EXPECT(std::fabs(g[i] - want) <= 4e-7f * std::fabs(want) + 1e-30f, "k=0: y[%zu] = %g, want %g", i, g[i], want);
  }
  a.w_dtype = AIPROD_CUDA_F32;  // the SIMT path too
  y.upload(std::vector<float>(6, -1.f));
  aiprod_cuda::linear(a, nullptr);
  const auto g2 = y.download();
  for (size_t i = 0; i < 6; ++i) EXPECT(g2[i] == g[i], "k=0 f32 weights: y[%zu] = %g vs %g", i, g2[i], g[i]);
  // m = 0 and n = 0: returns without touching y (null x and w are fine).
  a.m = 0, a.k = 5;
  aiprod_cuda::linear(a, nullptr);
  a.m = 2, a.n = 0;
  aiprod_cuda::linear(a, nullptr);
  const auto g3 = y.download();
  EXPECT(g3 == g2, "m = 0 / n = 0 wrote y");
}

KERNEL_TEST(linear_errors) {
  DeviceBuffer<float> x(64), w(64), y(64), g(64);
  auto base = [&] {
    aiprod_cuda_linear_args a{};
    a.x = x.get(), a.x_dtype = AIPROD_CUDA_F32;
    a.m = 4, a.k = 4, a.n = 4;
    a.w = w.get(), a.w_dtype = AIPROD_CUDA_BF16, a.w_scale = 1.f;
    a.y = y.get(), a.y_dtype = AIPROD_CUDA_F32;
    return a;
  };
  const int E = AIPROD_CUDA_ERR_INVALID_ARGUMENT;
  auto run = [](aiprod_cuda_linear_args a) { return [a] { aiprod_cuda::linear(a, nullptr); }; };
  aiprod_cuda_linear_args a = base();
  a.x_dtype = AIPROD_CUDA_F8E4M3;
  harness::expect_error("x f8", E, "x must be f32 or bf16", run(a));
  a = base(), a.x_dtype = 9;
  harness::expect_error("x dtype 9", E, "code 9", run(a));
  a = base(), a.w_dtype = AIPROD_CUDA_F16;
  harness::expect_error("w f16", E, "w must be f32, bf16 or f8e4m3", run(a));
  a = base(), a.w_dtype = -1;
  harness::expect_error("w dtype -1", E, "unknown dtype", run(a));
  a = base(), a.y_dtype = AIPROD_CUDA_F16;
  harness::expect_error("y f16", E, "y must be f32 or bf16", run(a));
  a = base(), a.bias = g.get(), a.bias_dtype = 7;
  harness::expect_error("bias dtype", E, "bias must be f32 or bf16", run(a));
  a = base(), a.gate = g.get(), a.gate_dtype = AIPROD_CUDA_F8E4M3;
  harness::expect_error("gate dtype", E, "gate must be f32 or bf16", run(a));
  a = base(), a.residual = g.get(), a.residual_dtype = AIPROD_CUDA_F16;
  harness::expect_error("residual dtype", E, "residual must be f32 or bf16", run(a));
  a = base(), a.activation = 2;
  harness::expect_error("activation 2", E, "activation code 2", run(a));
  a = base(), a.x = nullptr;
  harness::expect_error("null x", E, "x is null", run(a));
  a = base(), a.w = nullptr;
  harness::expect_error("null w", E, "w is null", run(a));
  a = base(), a.y = nullptr;
  harness::expect_error("null y", E, "y is null", run(a));
  a = base(), a.w_dtype = AIPROD_CUDA_F8E4M3, a.w_scale = NAN;
  harness::expect_error("NaN scale", E, "w_scale", run(a));
  a = base(), a.residual = y.get(), a.residual_dtype = AIPROD_CUDA_BF16;  // same memory, other dtype
  harness::expect_error("residual aliasing y as bf16", E, "residual overlaps y", run(a));
  a = base(), a.gate = y.get() + 1, a.gate_dtype = AIPROD_CUDA_F32;  // shifted overlap
  harness::expect_error("gate overlapping y", E, "gate overlaps y", run(a));
  a = base(), a.x = y.get();
  harness::expect_error("x is y", E, "y overlaps x", run(a));
  a = base(), a.m = size_t(1) << 23;
  harness::expect_error("m too large", E, "exceed the grid", run(a));
}

// More than one group of 8 M-tiles (the grouped tile order) and several N-tiles: every tile written once.
KERNEL_TEST(linear_many_tiles) {
  Case c;
  c.m = 1100, c.k = 16, c.n = 136;
  c.x_dtype = AIPROD_CUDA_BF16, c.w_dtype = AIPROD_CUDA_BF16;
  c.residual_dtype = AIPROD_CUDA_F32;
  harness::note("worst |err| / bound: " + std::to_string(run_case(c, 1700)));
  c.m = 600, c.n = 200, c.w_dtype = AIPROD_CUDA_F32;  // the SIMT grid too
  harness::note("f32 weights: worst |err| / bound: " + std::to_string(run_case(c, 1701)));
}
