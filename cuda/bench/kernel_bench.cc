// Times the CUDA kernels of `npm run bench:gpu` (bench/gpu/run.ts) with CUDA events: attention bf16
// B1 H32 N16384 D128 and D64, conv3d bf16 3x3x3 512->512 on 9x64x64, linear bf16 8192x8192x8192 (the shapes of
// the CUDA issue). Prints one JSON object per case: {"case", "ms" (median), "runs", "flop", "tflops"}.
// `--smoke` runs the same code on tiny shapes (used under the host emulation to check the program itself).
// Built against the GPU library (aiprod_cuda_kernel_bench) and the emulation (aiprod_cuda_kernel_bench_emu).
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "../src/kernels/ops.h"
#include "../src/runtime/runtime.h"

using namespace aiprod_cuda;

namespace {

struct Device {
  void* p;
  explicit Device(size_t bytes) : p(rt::malloc(bytes, nullptr)) { rt::memset(p, 0, bytes, nullptr); }
  ~Device() { rt::free(p, nullptr); }
};

// Small random-ish bf16 values (|x| < 1) so nothing overflows; the bench measures time, not values.
void fill_bf16(void* dev, size_t n) {
  std::vector<uint16_t> h(n);
  uint32_t s = 12345;
  for (auto& v : h) {
    s = s * 1664525u + 1013904223u;
    v = uint16_t(0x3c00u | ((s >> 9) & 0x7fu) | ((s >> 8) & 0x8000u));  // ±[2^-7, 2^-6)
  }
  rt::memcpy(dev, h.data(), n * 2, 0, nullptr);
}

double median_ms(const std::function<void()>& f, int warmup, int runs) {
  for (int i = 0; i < warmup; ++i) f();
  rt::stream_synchronize(nullptr);
  void* a = rt::event_create();
  void* b = rt::event_create();
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    rt::event_record(a, nullptr);
    f();
    rt::event_record(b, nullptr);
    rt::event_synchronize(b);
    ms.push_back(rt::event_elapsed_ms(a, b));
  }
  rt::event_destroy(a);
  rt::event_destroy(b);
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

void report(const std::string& name, double ms, int runs, double flop) {
  std::printf("{\"case\":\"%s\",\"ms\":%.4f,\"runs\":%d,\"flop\":%.6g,\"tflops\":%.4f}\n", name.c_str(), ms, runs, flop,
              flop / (ms * 1e-3) / 1e12);
  std::fflush(stdout);
}

void bench_attention(size_t n, size_t d, size_t heads, int runs) {
  const size_t elems = heads * n * d;
  Device q(elems * 2), k(elems * 2), v(elems * 2), o(elems * 2);
  fill_bf16(q.p, elems);
  fill_bf16(k.p, elems);
  fill_bf16(v.p, elems);
  aiprod_cuda_attention_args a{};
  a.q = q.p, a.k = k.p, a.v = v.p, a.out = o.p, a.dtype = AIPROD_CUDA_BF16;
  a.batch = 1, a.heads = heads, a.kv_heads = heads, a.nq = n, a.nk = n, a.d = d;
  a.scale = 1.0f / std::sqrt(float(d));
  const double ms = median_ms([&] { attention(a, nullptr); }, 2, runs);
  report("attention_bf16_h" + std::to_string(heads) + "_n" + std::to_string(n) + "_d" + std::to_string(d), ms, runs,
         4.0 * double(n) * double(n) * double(d) * double(heads));
}

void bench_conv3d(size_t c, size_t t, size_t hw, int runs) {
  const size_t xs = c * t * hw * hw, ws = c * c * 27;
  Device x(xs * 2), w(ws * 2), o(xs * 2);
  fill_bf16(x.p, xs);
  fill_bf16(w.p, ws);
  aiprod_cuda_conv3d_args a{};
  a.x = x.p, a.dtype = AIPROD_CUDA_BF16, a.batch = 1, a.cin = c, a.in[0] = t, a.in[1] = hw, a.in[2] = hw;
  a.w = w.p, a.cout = c, a.k[0] = a.k[1] = a.k[2] = 3;
  for (int i = 0; i < 3; ++i) a.stride[i] = 1, a.pad_front[i] = a.pad_back[i] = 1, a.mode[i] = 0;
  a.out = o.p, a.out_size[0] = t, a.out_size[1] = hw, a.out_size[2] = hw;
  const double ms = median_ms([&] { conv3d(a, nullptr); }, 2, runs);
  report("conv3d_bf16_k3_c" + std::to_string(c) + "_" + std::to_string(t) + "x" + std::to_string(hw) + "x" + std::to_string(hw),
         ms, runs, 2.0 * double(c) * double(c) * 27.0 * double(t * hw * hw));
}

void bench_linear(size_t m, int runs) {
  Device x(m * m * 2), w(m * m * 2), y(m * m * 2);
  fill_bf16(x.p, m * m);
  fill_bf16(w.p, m * m);
  aiprod_cuda_linear_args a{};
  a.x = x.p, a.x_dtype = AIPROD_CUDA_BF16, a.m = m, a.k = m, a.n = m;
  a.w = w.p, a.w_dtype = AIPROD_CUDA_BF16, a.w_scale = 1.0f;
  a.y = y.p, a.y_dtype = AIPROD_CUDA_BF16;
  const double ms = median_ms([&] { linear(a, nullptr); }, 2, runs);
  report("gemm_bf16_" + std::to_string(m), ms, runs, 2.0 * double(m) * double(m) * double(m));
}

}  // namespace

int main(int argc, char** argv) {
  const bool smoke = argc > 1 && !std::strcmp(argv[1], "--smoke");
  std::string why;
  if (rt::device_count(&why) == 0) {
    std::printf("{\"skipped\":\"no CUDA device: %s\"}\n", why.c_str());
    return 77;
  }
  try {
    if (smoke) {
      bench_attention(64, 64, 1, 1);
      bench_conv3d(32, 3, 8, 1);
      bench_linear(64, 1);
    } else {
      bench_attention(16384, 128, 32, 10);
      bench_attention(16384, 64, 32, 10);
      bench_conv3d(512, 9, 64, 10);
      bench_linear(8192, 10);
    }
  } catch (const std::exception& e) {
    std::printf("{\"error\":\"%s\"}\n", e.what());
    return 1;
  }
  return 0;
}
