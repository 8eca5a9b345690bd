// Checks every CUDA op against the CPU reference kernels on random inputs, odd sizes included; bit-exact,
// since both sides round the same way. Exit 0: passed; 1: a mismatch or CUDA error; 77: skipped (no device).
// Usage: aiprod_cuda_selftest [path/to/libaiprod_cuda.so]
#include <dlfcn.h>

#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "aiprod/half.h"
#include "aiprod/kernels.h"
#include "aiprod_cuda/api.h"

using namespace aiprod;

namespace {

const aiprod_cuda_api* api = nullptr;
int failures = 0;

bool check(int rc, const aiprod_cuda_error& err) {
  if (rc != 0) {
    std::fprintf(stderr, "CUDA error: %s\n", err.message);
    ++failures;
  }
  return rc == 0;
}

template <typename T>
std::vector<T> roundtrip(const std::vector<T>& host, void** dev) {
  aiprod_cuda_error err{};
  check(api->malloc(0, host.size() * sizeof(T), dev, &err), err);
  check(api->copy_to_device(*dev, host.data(), host.size() * sizeof(T), &err), err);
  return host;
}

template <typename T>
std::vector<T> fetch(const void* dev, size_t n) {
  std::vector<T> out(n);
  aiprod_cuda_error err{};
  check(api->copy_to_host(out.data(), dev, n * sizeof(T), &err), err);
  return out;
}

void test_size(size_t n, std::mt19937& rng) {
  std::normal_distribution<float> dist(0.0f, 3.0f);
  std::vector<float> a(n), b(n);
  for (size_t i = 0; i < n; ++i) a[i] = dist(rng), b[i] = dist(rng);
  const KernelTable& ref = ref_kernels();
  for (int dtype : {AIPROD_CUDA_F32, AIPROD_CUDA_BF16, AIPROD_CUDA_F16}) {
    for (int op : {AIPROD_CUDA_ADD, AIPROD_CUDA_MUL}) {
      const BinaryOp bop = op == AIPROD_CUDA_ADD ? BinaryOp::Add : BinaryOp::Mul;
      void *da = nullptr, *db = nullptr, *dout = nullptr;
      aiprod_cuda_error err{};
      bool same = true;
      if (dtype == AIPROD_CUDA_F32) {
        std::vector<float> want(n);
        ref.binary_f32(bop, a.data(), b.data(), want.data(), n);
        roundtrip(a, &da), roundtrip(b, &db);
        check(api->malloc(0, n * 4, &dout, &err), err);
        check(api->binary(op, dtype, da, db, dout, n, &err), err);
        const std::vector<float> got = fetch<float>(dout, n);
        for (size_t i = 0; i < n; ++i) same = same && f32_bits(got[i]) == f32_bits(want[i]);
      } else {
        std::vector<uint16_t> ha(n), hb(n), want(n);
        auto enc = dtype == AIPROD_CUDA_BF16 ? ref.f32_to_bf16 : ref.f32_to_f16;
        enc(a.data(), ha.data(), n), enc(b.data(), hb.data(), n);
        (dtype == AIPROD_CUDA_BF16 ? ref.binary_bf16 : ref.binary_f16)(bop, ha.data(), hb.data(), want.data(), n);
        roundtrip(ha, &da), roundtrip(hb, &db);
        check(api->malloc(0, n * 2, &dout, &err), err);
        check(api->binary(op, dtype, da, db, dout, n, &err), err);
        const std::vector<uint16_t> got = fetch<uint16_t>(dout, n);
        for (size_t i = 0; i < n; ++i) same = same && got[i] == want[i];
      }
      if (!same) {
        std::fprintf(stderr, "mismatch: binary op %d dtype %d n %zu\n", op, dtype, n);
        ++failures;
      }
      api->free(da, &err), api->free(db, &err), api->free(dout, &err);
    }
  }
  // casts f32 -> bf16/f16 -> f32
  for (int dtype : {AIPROD_CUDA_BF16, AIPROD_CUDA_F16}) {
    std::vector<uint16_t> want(n);
    (dtype == AIPROD_CUDA_BF16 ? ref.f32_to_bf16 : ref.f32_to_f16)(a.data(), want.data(), n);
    void *din = nullptr, *dmid = nullptr;
    aiprod_cuda_error err{};
    roundtrip(a, &din);
    check(api->malloc(0, n * 2, &dmid, &err), err);
    check(api->cast(AIPROD_CUDA_F32, din, dtype, dmid, n, &err), err);
    if (fetch<uint16_t>(dmid, n) != want) {
      std::fprintf(stderr, "mismatch: cast f32 -> dtype %d n %zu\n", dtype, n);
      ++failures;
    }
    api->free(din, &err), api->free(dmid, &err);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string path = argc > 1 ? argv[1] : "";
  if (path.empty()) {
    const std::string self = argv[0];
    const size_t slash = self.find_last_of('/');
    path = (slash == std::string::npos ? std::string(".") : self.substr(0, slash)) + "/libaiprod_cuda.so";
  }
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    std::fprintf(stderr, "cannot load %s: %s\n", path.c_str(), dlerror());
    return 1;
  }
  auto get = reinterpret_cast<const aiprod_cuda_api* (*)(int)>(dlsym(handle, "aiprod_cuda_get_api"));
  api = get ? get(AIPROD_CUDA_API_VERSION) : nullptr;
  if (!api) {
    std::fprintf(stderr, "%s does not offer API version %d\n", path.c_str(), AIPROD_CUDA_API_VERSION);
    return 1;
  }
  int count = 0;
  aiprod_cuda_error err{};
  api->device_count(&count, &err);
  if (count == 0) {
    std::printf("skipped: no CUDA device (%s)\n", err.message[0] ? err.message : "none found");
    return 77;
  }
  std::mt19937 rng(1234);
  for (size_t n : {size_t(1), size_t(7), size_t(255), size_t(256), size_t(1000003)}) test_size(n, rng);
  std::printf("%s: %d failures\n", failures ? "FAILED" : "passed", failures);
  return failures ? 1 : 0;
}
