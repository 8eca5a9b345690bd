// Errors that reach JavaScript name the op, the arguments' dtypes and shapes, and the problem.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "aiprod/cuda_loader.h"
#include "aiprod/dtype.h"

namespace aiprod {

// "f32[2,3]"
std::string describe(DType dtype, const std::vector<int64_t>& shape);

// A JavaScript Error "aiprod.<op>: <message>" with .op and .code set; throw it.
Napi::Error op_error(Napi::Env env, const std::string& op, const std::string& message,
                     const char* code = "ERR_AIPROD_INVALID_ARGUMENT");

// The AiprodError code of a CUDA library error: AIPROD_CUDA_ERR_OUT_OF_MEMORY -> ERR_AIPROD_OUT_OF_MEMORY,
// _INVALID_ARGUMENT -> ERR_AIPROD_INVALID_ARGUMENT, _UNSUPPORTED -> ERR_AIPROD_UNSUPPORTED, anything else
// (a CUDA runtime error) -> ERR_AIPROD_CUDA.
const char* cuda_error_code(int code);

// Runs fn, turning C++ exceptions (bad_alloc, CudaError, runtime_error) into op errors.
template <typename Fn>
auto guard(Napi::Env env, const std::string& op, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (const CudaError& e) {
    throw op_error(env, op, e.what(), cuda_error_code(e.code));
  } catch (const std::bad_alloc&) {
    throw op_error(env, op, "out of memory", "ERR_AIPROD_OUT_OF_MEMORY");
  } catch (const std::exception& e) {
    throw op_error(env, op, e.what(), "ERR_AIPROD_NATIVE");
  }
}

}  // namespace aiprod
