// A small harness for the CUDA kernel tests. The same test sources build twice: against the host emulation
// (aiprod_cuda_kernel_tests_emu, run in CI) and against the GPU library (aiprod_cuda_kernel_tests, run by
// `npm run test:gpu`). Tests use only the launchers (kernels/ops.h), the runtime (device memory) and the CPU
// reference kernels (aiprod_kernels), never a kernel directly, so nothing in them depends on where they run.
#ifndef AIPROD_CUDA_TESTS_HARNESS_H
#define AIPROD_CUDA_TESTS_HARNESS_H

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "../src/kernels/ops.h"
#include "../src/runtime/runtime.h"

namespace harness {

using TestFn = void (*)();
struct Registrar {
  Registrar(const char* name, TestFn fn);
};
#define KERNEL_TEST(name)                                              \
  static void kernel_test_##name();                                    \
  static ::harness::Registrar kernel_test_reg_##name(#name, &kernel_test_##name); \
  static void kernel_test_##name()

// Records a failure of the running test (the run goes on; the process exits 1 at the end).
void fail(const std::string& message);
#define EXPECT(cond, ...)                                                                      \
  do {                                                                                         \
    if (!(cond)) {                                                                             \
      char buf_[768];                                                                          \
      std::snprintf(buf_, sizeof buf_, __VA_ARGS__);                                           \
      ::harness::fail(std::string(__FILE__ ":") + std::to_string(__LINE__) + ": " + buf_);     \
    }                                                                                          \
  } while (0)
// Adds a line to the test's report (printed under its name, e.g. the measured error against its bound).
void note(const std::string& line);

// Device memory that frees itself; contents copied in and out synchronously.
template <class T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(size_t n) : n_(n) { ptr_ = static_cast<T*>(aiprod_cuda::rt::malloc(n * sizeof(T), nullptr)); }
  explicit DeviceBuffer(const std::vector<T>& host) : DeviceBuffer(host.size()) { upload(host); }
  ~DeviceBuffer() { aiprod_cuda::rt::free(ptr_, nullptr); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  void upload(const std::vector<T>& host) { aiprod_cuda::rt::memcpy(ptr_, host.data(), n_ * sizeof(T), 0, nullptr); }
  void fill_bytes(int value) {
    aiprod_cuda::rt::memset(ptr_, value, n_ * sizeof(T), nullptr);
    aiprod_cuda::rt::stream_synchronize(nullptr);
  }
  std::vector<T> download() const {
    aiprod_cuda::rt::stream_synchronize(nullptr);
    std::vector<T> host(n_);
    aiprod_cuda::rt::memcpy(host.data(), ptr_, n_ * sizeof(T), 1, nullptr);
    return host;
  }
  T* get() const { return ptr_; }
  size_t size() const { return n_; }

 private:
  T* ptr_ = nullptr;
  size_t n_ = 0;
};

// Seeded uniform values in [lo, hi).
std::vector<float> random_floats(size_t n, uint64_t seed, float lo = -1.f, float hi = 1.f);
std::vector<uint16_t> to_bf16(const std::vector<float>& v);     // round to nearest even
std::vector<float> from_bf16(const std::vector<uint16_t>& v);
std::vector<float> round_bf16(const std::vector<float>& v);     // values made exactly representable in bf16

// Compares got with ref elementwise: |got - ref| <= atol + rtol * |ref| (NaN only where ref is NaN). Reports
// the worst element and its ratio to the bound in the test's notes; returns whether all were within.
bool expect_close(const std::string& what, const std::vector<float>& got, const std::vector<float>& ref, double atol,
                  double rtol);
// Same with a bound per element (e.g. k * eps * sum |a||b| for a dot product).
bool expect_within(const std::string& what, const std::vector<float>& got, const std::vector<float>& ref,
                   const std::vector<float>& bound);

// Expects `f` to throw aiprod_cuda::Error with `code` and a message containing `needle`.
template <class F>
void expect_error(const std::string& what, int code, const std::string& needle, F&& f) {
  try {
    f();
  } catch (const aiprod_cuda::Error& e) {
    const std::string msg = e.what();
    EXPECT(e.code == code && msg.find(needle) != std::string::npos, "%s: got error %d '%s', expected %d containing '%s'",
           what.c_str(), e.code, msg.c_str(), code, needle.c_str());
    return;
  }
  fail(what + ": expected an error containing '" + needle + "', got none");
}

}  // namespace harness

#endif
