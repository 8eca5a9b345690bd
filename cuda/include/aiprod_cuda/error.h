/* The one exception type inside the CUDA library (plain C++, no CUDA headers). Launchers and the runtime
 * throw it; the C API table (cuda/src/api.cc) turns it into an aiprod_cuda_error naming the op. */
#ifndef AIPROD_CUDA_ERROR_H
#define AIPROD_CUDA_ERROR_H

#include <stdexcept>
#include <string>

#include "aiprod_cuda/api.h"

namespace aiprod_cuda {

struct Error : std::runtime_error {
  int code;
  Error(int c, const std::string& m) : std::runtime_error(m), code(c) {}
};

[[noreturn]] inline void invalid_argument(const std::string& message) {
  throw Error(AIPROD_CUDA_ERR_INVALID_ARGUMENT, message);
}

}  // namespace aiprod_cuda

#endif
