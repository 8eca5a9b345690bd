// conv3d against aiprod::conv3d_ref (f32, one output element at a time) on random inputs.
//
// Bounds, per output element, with u = 2^-24 and S = |bias| + sum_k |x_k||w_k| (computed by running the
// reference on |x|, |w|, |bias|; its own rounding is far below the slack):
//  - f32 (SIMT): both sides sum the same K+1 exact-input terms in f32 in different orders (fma or not),
//    each within K*u*S of the exact sum (recursive summation, K+1 terms): |got - ref| <= 2(K+1) u S.
//  - bf16 data: the reference runs on the same bf16 values widened to f32, bf16 x bf16 products are exact
//    in f32 (and in the mma), so only the accumulation differs: e = 2(K+1) u S; a bf16 output adds its
//    rounding, at most 2^-8 (bf16's unit roundoff) of the value: e + 2^-8 (|ref| + e).
//  - f32 data with allow_bf16: the reference runs on the f32 data, the kernel on x and w rounded to bf16
//    (each within 2^-8 relative): |x~ w~ - x w| <= ((1 + 2^-8)^2 - 1) |x w| = (2^-7 + 2^-16) |x w|, so
//    (2^-7 + 2^-16) S + 2(K+1) u S. And against the reference on the bf16-rounded data (round to nearest
//    even, as the CPU's f32_to_bf16), like bf16 data: 2(K+1) u S; this one fails if any operand is not
//    rounded exactly so.
// A 1% slack covers the rounding of S itself.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "aiprod/conv.h"
#include "conv_test_util.h"
#include "harness.h"

using harness::DeviceBuffer;

namespace {

enum Path { kF32, kF32AllowBf16, kBf16 };
const char* path_name(Path p) { return p == kF32 ? "f32" : p == kF32AllowBf16 ? "f32+allow_bf16" : "bf16"; }

struct Case {
  const char* name;
  size_t batch, cin, in[3], cout, k[3], stride[3], pf[3], pb[3];
  int mode[3];
  bool bias;
};

size_t out_dim(const Case& c, int d) { return aiprod::conv_out_size(c.in[d], c.pf[d], c.pb[d], c.k[d], c.stride[d]); }

// The pointers and the geometry of case c, the same fields in the reference's and the launcher's argument structs.
template <class Args, class In, class Out>
void set_shape(Args& a, const Case& c, In x, In w, const float* bias, Out out) {
  a.x = x;
  a.batch = c.batch;
  a.cin = c.cin;
  a.w = w;
  a.cout = c.cout;
  a.bias = bias;
  a.out = out;
  for (int d = 0; d < 3; ++d) {
    a.in[d] = c.in[d];
    a.k[d] = c.k[d];
    a.stride[d] = c.stride[d];
    a.pad_front[d] = c.pf[d];
    a.pad_back[d] = c.pb[d];
    a.out_size[d] = out_dim(c, d);
  }
}

aiprod::Conv3dArgs ref_args(const Case& c, const float* x, const float* w, const float* bias, float* out) {
  aiprod::Conv3dArgs r;
  set_shape(r, c, x, w, bias, out);
  for (int d = 0; d < 3; ++d) r.mode[d] = aiprod::PadMode(c.mode[d]);
  return r;
}

aiprod_cuda_conv3d_args gpu_args(const Case& c, const void* x, const void* w, const float* bias, void* out, int dtype,
                                 int allow_bf16) {
  aiprod_cuda_conv3d_args a{};
  set_shape(a, c, x, w, bias, out);
  for (int d = 0; d < 3; ++d) a.mode[d] = c.mode[d];
  a.dtype = dtype;
  a.allow_bf16 = allow_bf16;
  return a;
}

std::vector<float> absv(std::vector<float> v) {
  for (float& f : v) f = std::fabs(f);
  return v;
}

// Runs one case on the given paths and checks each against the reference with the bounds above (quiet: only
// failures are reported, for sweeps over many shapes).
void run_case(const Case& c, std::initializer_list<Path> paths, uint64_t seed, bool quiet = false) {
  const size_t nx = c.batch * c.cin * c.in[0] * c.in[1] * c.in[2];
  const size_t K = c.cin * c.k[0] * c.k[1] * c.k[2];
  const size_t nw = c.cout * K;
  const size_t nout = c.batch * c.cout * out_dim(c, 0) * out_dim(c, 1) * out_dim(c, 2);
  const std::vector<float> x = harness::random_floats(nx, seed);
  const std::vector<float> w = harness::random_floats(nw, seed + 1, -0.5f, 0.5f);
  const std::vector<float> bias = c.bias ? harness::random_floats(c.cout, seed + 2) : std::vector<float>();
  const float* bias_h = c.bias ? bias.data() : nullptr;
  DeviceBuffer<float> bias_d(c.bias ? bias : std::vector<float>(1, 0.f));
  const float* bias_g = c.bias ? bias_d.get() : nullptr;

  // S = |bias| + sum |x||w| per output.
  const std::vector<float> ax = absv(x), aw = absv(w), ab = absv(bias);
  std::vector<float> S(nout);
  aiprod::conv3d_ref(ref_args(c, ax.data(), aw.data(), c.bias ? ab.data() : nullptr, S.data()));
  const double u = std::ldexp(1.0, -24), acc = 2.0 * double(K + 1) * u;

  for (Path path : paths) {
    const std::string what = std::string(c.name) + " " + path_name(path);
    std::vector<float> ref(nout), bound(nout), got;
    if (path == kBf16) {
      const std::vector<uint16_t> xb = harness::to_bf16(x), wb = harness::to_bf16(w);
      const std::vector<float> xr = harness::from_bf16(xb), wr = harness::from_bf16(wb);
      aiprod::conv3d_ref(ref_args(c, xr.data(), wr.data(), bias_h, ref.data()));
      DeviceBuffer<uint16_t> xd(xb), wd(wb), od(nout);
      od.fill_bytes(0xFF);
      aiprod_cuda::conv3d(gpu_args(c, xd.get(), wd.get(), bias_g, od.get(), AIPROD_CUDA_BF16, 0), nullptr);
      got = harness::from_bf16(od.download());
      for (size_t i = 0; i < nout; ++i) {
        const double e = acc * S[i] * 1.01;
        bound[i] = float(e + std::ldexp(std::fabs(ref[i]) + e, -8));
      }
    } else {
      aiprod::conv3d_ref(ref_args(c, x.data(), w.data(), bias_h, ref.data()));
      DeviceBuffer<float> xd(x), wd(w), od(nout);
      od.fill_bytes(0xFF);
      aiprod_cuda::conv3d(gpu_args(c, xd.get(), wd.get(), bias_g, od.get(), AIPROD_CUDA_F32, path == kF32AllowBf16),
                          nullptr);
      got = od.download();
      const double rel = path == kF32 ? acc : acc + std::ldexp(1.0, -7) + std::ldexp(1.0, -16);
      for (size_t i = 0; i < nout; ++i) bound[i] = float(rel * S[i] * 1.01);
      if (path == kF32AllowBf16) {
        const std::vector<float> xr = harness::round_bf16(x), wr = harness::round_bf16(w);
        std::vector<float> ref_r(nout), tight(nout);
        aiprod::conv3d_ref(ref_args(c, xr.data(), wr.data(), bias_h, ref_r.data()));
        for (size_t i = 0; i < nout; ++i) tight[i] = float(acc * S[i] * 1.01);
        harness::expect_within(what + " vs bf16-rounded data", got, ref_r, tight);
      }
    }
    if (quiet) {
      size_t bad = 0;
      for (size_t i = 0; i < nout; ++i) bad += !(std::fabs(got[i] - ref[i]) <= bound[i]);
      EXPECT(bad == 0, "%s: %zu of %zu outputs out of bounds", what.c_str(), bad, nout);
    } else {
      harness::expect_within(what, got, ref, bound);
    }
  }
}

constexpr int Z = 0, RF = 1, RP = 2;
const std::initializer_list<Path> kAll = {kF32, kF32AllowBf16, kBf16};

}  // namespace

// LTX-2's causal 3x3x3 (time: replicate, front K0-1 = 2) with zero spatial padding 1; batch 2, bias.
KERNEL_TEST(conv3d_causal_3x3x3) {
  run_case({"causal 3x3x3", 2, 5, {5, 5, 9}, 7, {3, 3, 3}, {1, 1, 1}, {2, 1, 1}, {0, 1, 1}, {RP, Z, Z}, true}, kAll, 1);
}

// Non-causal symmetric time padding (1, 1) replicate, reflect spatially; Cout 48 (a partial N tile), no bias.
KERNEL_TEST(conv3d_symmetric_reflect) {
  run_case({"symmetric 3x3x3 reflect", 1, 3, {5, 9, 5}, 48, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {RP, RF, RF}, false},
           kAll, 2);
}

// Stride 2 on every axis, a different padding mode per axis, Cin 33: K = 891 spans 28 K tiles, none full.
KERNEL_TEST(conv3d_stride2_modes) {
  run_case({"stride 2 zeros/reflect/replicate", 1, 33, {5, 5, 9}, 7, {3, 3, 3}, {2, 2, 2}, {1, 1, 1}, {1, 1, 1},
            {Z, RF, RP}, true},
           kAll, 3);
  run_case({"stride 2 replicate/zeros/reflect asym", 1, 5, {9, 5, 5}, 7, {3, 3, 3}, {2, 2, 1}, {2, 0, 2}, {0, 2, 1},
            {RP, Z, RF}, false},
           kAll, 4);
}

// Reflect in time (pad 4 = T-1, the largest allowed), replicate in height, zero padding 3 in width that
// reaches past the whole kernel (outputs of bias only); Cout 80: two N tiles (three in the f32 kernel).
KERNEL_TEST(conv3d_time_reflect_wide_pads) {
  run_case({"reflect T pad 4, zeros W pad 3", 1, 3, {5, 5, 5}, 80, {3, 3, 3}, {1, 1, 1}, {4, 1, 3}, {2, 2, 3}, {RF, RP, Z},
            true},
           kAll, 16);
}

// Size-1 axes: replicate padding of a single frame (causal on T = 1), reflect on W = 1 impossible, so zeros.
KERNEL_TEST(conv3d_unit_dims) {
  run_case({"T=1 H=1 3x3x3", 2, 3, {1, 1, 5}, 7, {3, 3, 3}, {1, 1, 1}, {2, 1, 1}, {0, 1, 1}, {RP, RP, Z}, true}, kAll, 5);
}

// Temporal-only 3x1x1 (causal, stride 2 in time) and spatial-only 1x3x3 (stride 2, reflect).
KERNEL_TEST(conv3d_3x1x1_and_1x3x3) {
  run_case({"3x1x1 causal", 1, 5, {9, 5, 5}, 7, {3, 1, 1}, {2, 1, 1}, {2, 0, 0}, {0, 0, 0}, {RP, Z, Z}, true}, kAll, 6);
  run_case({"1x3x3 stride 2", 2, 3, {5, 9, 9}, 7, {1, 3, 3}, {1, 2, 2}, {0, 1, 1}, {0, 1, 1}, {Z, RF, RF}, false}, kAll, 7);
}

// 1x1x1 pointwise (the fast gather path): Cin 33 (bf16 weights with K % 8 != 0: register-staged), Cout 48,
// M = 180 (three M tiles, the last partial); Cin 16 (bf16 weights by cp.async).
KERNEL_TEST(conv3d_pointwise) {
  run_case({"1x1x1 cin 33", 2, 33, {1, 9, 10}, 48, {1, 1, 1}, {1, 1, 1}, {0, 0, 0}, {0, 0, 0}, {Z, Z, Z}, true}, kAll, 8);
  run_case({"1x1x1 cin 16", 1, 16, {5, 1, 9}, 7, {1, 1, 1}, {1, 1, 1}, {0, 0, 0}, {0, 0, 0}, {Z, Z, Z}, false},
           {kF32AllowBf16, kBf16}, 9);
  // S = 40 (a multiple of 8): bf16 A tiles by cp.async; with K = 16 the weights too (and Cout 130: two
// 128-wide N tiles), with K = 5 not.
  run_case({"1x1x1 cin 16 S 40 cout 130", 2, 16, {1, 4, 10}, 130, {1, 1, 1}, {1, 1, 1}, {0, 0, 0}, {0, 0, 0}, {Z, Z, Z}, true},
           {kBf16}, 17);
  run_case({"1x1x1 cin 5 S 40", 2, 5, {2, 4, 5}, 7, {1, 1, 1}, {1, 1, 1}, {0, 0, 0}, {0, 0, 0}, {Z, Z, Z}, false},
           {kF32AllowBf16, kBf16}, 18);
  run_case({"1x1x1 cin 33 S 8", 1, 33, {1, 1, 8}, 7, {1, 1, 1}, {1, 1, 1}, {0, 0, 0}, {0, 0, 0}, {Z, Z, Z}, true},
           {kBf16}, 19);
  // 1x1x1 with stride 2: not pointwise (the general gather).
  run_case({"1x1x1 stride 2", 1, 5, {5, 5, 9}, 7, {1, 1, 1}, {2, 2, 2}, {0, 0, 0}, {0, 0, 0}, {Z, Z, Z}, true},
           {kF32, kBf16}, 10);
}

// bf16 weights by cp.async with the general gather: Cin 8 x 27 taps = K 216, K tiles 7 (the last partial);
// Cout 72: the 128-wide N tile, partial. f32 weights with K % 4 == 0: loaded as float4.
KERNEL_TEST(conv3d_bf16_async_weights) {
  run_case({"3x3x3 cin 8 cout 72", 1, 8, {5, 5, 5}, 72, {3, 3, 3}, {1, 1, 1}, {2, 1, 1}, {0, 1, 1}, {RP, Z, Z}, true},
           {kBf16, kF32AllowBf16}, 11);
}

// conv2d (T = 1, K0 = 1): 3x3 with zero padding, batch 2, M = 162 (three M tiles); conv1d (T = H = 1).
KERNEL_TEST(conv3d_conv2d_conv1d) {
  run_case({"conv2d 3x3", 2, 3, {1, 9, 9}, 48, {1, 3, 3}, {1, 1, 1}, {0, 1, 1}, {0, 1, 1}, {Z, Z, Z}, true}, kAll, 12);
  run_case({"conv2d 3x3 stride 2 replicate", 1, 33, {1, 9, 5}, 1, {1, 3, 3}, {1, 2, 2}, {0, 1, 1}, {0, 1, 1},
            {Z, RP, RP}, false},
           kAll, 13);
  run_case({"conv1d k3 reflect", 2, 33, {1, 1, 9}, 1, {1, 1, 3}, {1, 1, 1}, {0, 0, 1}, {0, 0, 1}, {Z, Z, RF}, true}, kAll,
           14);
  run_case({"conv1d k5 stride 2", 1, 5, {1, 1, 9}, 7, {1, 1, 5}, {1, 1, 2}, {0, 0, 2}, {0, 0, 2}, {Z, Z, Z}, true}, kAll,
           15);
}

// A seeded sweep over small shapes: per axis input 1-6, kernel 1-3, stride 1-2, front and back padding 0-2
// in a random mode (reflect only where the padding is smaller than the input), Cin 1-4 (k runs cross
// channel boundaries within a thread's K slice), Cout 1-9, batch 1-2; every path.
KERNEL_TEST(conv3d_random_shapes) {
  uint64_t state = 0x9e3779b97f4a7c15ull;
  auto next = [&](size_t n) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return size_t((state >> 33) % n);
  };
  int cases = 0;
  while (cases < 80) {
    Case c{"", 1 + next(2), 1 + next(4), {0, 0, 0}, 1 + next(9), {0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}, next(2) == 1};
    bool fits = true;
    for (int d = 0; d < 3; ++d) {
      c.in[d] = 1 + next(6);
      c.k[d] = 1 + next(3);
      c.stride[d] = 1 + next(2);
      c.pf[d] = next(3);
      c.pb[d] = next(3);
      c.mode[d] = int(next(3));
      if (c.mode[d] == RF && (c.pf[d] >= c.in[d] || c.pb[d] >= c.in[d])) c.mode[d] = Z;
      fits = fits && out_dim(c, d) > 0;
    }
    if (!fits) continue;
    char name[160];
    std::snprintf(name, sizeof name, "random b%zu cin%zu in%zux%zux%zu cout%zu k%zux%zux%zu s%zu%zu%zu pf%zu%zu%zu pb%zu%zu%zu m%d%d%d",
                  c.batch, c.cin, c.in[0], c.in[1], c.in[2], c.cout, c.k[0], c.k[1], c.k[2], c.stride[0], c.stride[1],
                  c.stride[2], c.pf[0], c.pf[1], c.pf[2], c.pb[0], c.pb[1], c.pb[2], c.mode[0], c.mode[1], c.mode[2]);
    c.name = name;
    run_case(c, kAll, 1000 + uint64_t(cases), /*quiet=*/true);
    ++cases;
  }
  harness::note(std::to_string(cases) + " shapes");
}

KERNEL_TEST(conv3d_rejects_bad_arguments) {
  const Case c = {"base", 1, 3, {5, 5, 5}, 4, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {Z, RF, RP}, false};
  DeviceBuffer<float> x(3 * 125), w(4 * 81), out(4 * 5 * 5 * 11);  // room for the replicate case below
  auto base = [&] { return gpu_args(c, x.get(), w.get(), nullptr, out.get(), AIPROD_CUDA_F32, 0); };
  const int E = AIPROD_CUDA_ERR_INVALID_ARGUMENT;
  auto run = [](aiprod_cuda_conv3d_args a) { return [a] { aiprod_cuda::conv3d(a, nullptr); }; };
  {
    aiprod_cuda::conv3d(base(), nullptr);  // the base case is valid
    aiprod_cuda::rt::stream_synchronize(nullptr);
  }
  auto a = base();
  a.dtype = AIPROD_CUDA_F16;
  harness::expect_error("f16", E, "dtype f16 not supported", run(a));
  a = base();
  a.cin = 0;
  harness::expect_error("cin 0", E, "cin is 0", run(a));
  a = base();
  a.in[1] = 0;
  harness::expect_error("H 0", E, "input size 0 on axis 1", run(a));
  a = base();
  a.k[2] = 0;
  harness::expect_error("k 0", E, "kernel size 0 on axis 2", run(a));
  a = base();
  a.stride[0] = 0;
  harness::expect_error("stride 0", E, "stride 0 on axis 0", run(a));
  a = base();
  a.mode[0] = 3;
  harness::expect_error("mode 3", E, "padding mode 3", run(a));
  a = base();
  a.out_size[2] = 4;
  harness::expect_error("out_size", E, "out_size[2] is 4, the input, kernel, stride and padding give 5", run(a));
  a = base();
  a.stride[1] = 2;  // out 3, given 5
  harness::expect_error("out_size vs stride", E, "out_size[1] is 5", run(a));
  a = base();
  a.pad_back[0] = 0;  // out 4, given 5
  harness::expect_error("out_size vs padding", E, "out_size[0] is 5", run(a));
  a = base();
  a.pad_front[0] = a.pad_back[0] = 0;
  a.in[0] = 2;  // kernel 3 > 2
  harness::expect_error("kernel larger", E, "kernel is larger than the padded input on axis 0", run(a));
  a = base();
  a.pad_front[1] = 5;  // reflect, input 5
  a.out_size[1] = 9;
  harness::expect_error("reflect pad front", E, "reflect padding on axis 1", run(a));
  a = base();
  a.pad_back[1] = 5;
  a.out_size[1] = 9;
  harness::expect_error("reflect pad back", E, "reflect padding on axis 1", run(a));
  a = base();
  a.pad_front[2] = 7;  // replicate: any size is fine, but out_size must follow
  harness::expect_error("replicate pad out_size", E, "out_size[2] is 5", run(a));
  a.out_size[2] = 11;
  aiprod_cuda::conv3d(a, nullptr);  // replicate padding larger than the input is valid
  aiprod_cuda::rt::stream_synchronize(nullptr);
  convt::expect_pointer_checks(base(), [](const aiprod_cuda_conv3d_args& v) { aiprod_cuda::conv3d(v, nullptr); });
}
