#include "errors.h"

namespace aiprod {

std::string describe(DType dtype, const std::vector<int64_t>& shape) {
  std::string s = std::string(dtype_name(dtype)) + "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

const char* cuda_error_code(int code) {
  switch (code) {
    case AIPROD_CUDA_ERR_OUT_OF_MEMORY: return "ERR_AIPROD_OUT_OF_MEMORY";
    case AIPROD_CUDA_ERR_INVALID_ARGUMENT: return "ERR_AIPROD_INVALID_ARGUMENT";
    case AIPROD_CUDA_ERR_UNSUPPORTED: return "ERR_AIPROD_UNSUPPORTED";
    default: return "ERR_AIPROD_CUDA";
  }
}

Napi::Error op_error(Napi::Env env, const std::string& op, const std::string& message, const char* code) {
  Napi::Error e = Napi::Error::New(env, "aiprod." + op + ": " + message);
  e.Set("op", Napi::String::New(env, op));
  e.Set("code", Napi::String::New(env, code));
  return e;
}

}  // namespace aiprod
