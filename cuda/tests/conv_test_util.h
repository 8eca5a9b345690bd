// Helpers shared by the convolution op tests (conv3d, conv_transpose1d).
#ifndef AIPROD_CUDA_TESTS_CONV_TEST_UTIL_H
#define AIPROD_CUDA_TESTS_CONV_TEST_UTIL_H

#include "harness.h"

namespace convt {

// The pointer checks every conv launcher shares, from a valid `base` argument struct: a null x, w or out is
// rejected; an empty batch needs no pointers and launches nothing.
template <class Args, class Launch>
void expect_pointer_checks(const Args& base, Launch launch) {
  const int E = AIPROD_CUDA_ERR_INVALID_ARGUMENT;
  Args a = base;
  a.x = nullptr;
  harness::expect_error("null x", E, "null data pointer", [&] { launch(a); });
  a = base;
  a.w = nullptr;
  harness::expect_error("null w", E, "null data pointer", [&] { launch(a); });
  a = base;
  a.out = nullptr;
  harness::expect_error("null out", E, "null data pointer", [&] { launch(a); });
  a = base;
  a.batch = 0;
  a.x = nullptr;
  a.out = nullptr;
  launch(a);  // an empty output: nothing to do, no pointers needed
}

}  // namespace convt

#endif  // AIPROD_CUDA_TESTS_CONV_TEST_UTIL_H
