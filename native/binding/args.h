// Helpers for reading op options on the JavaScript thread.
#pragma once
#include <napi.h>

#include <string>

#include "tensor_wrap.h"

namespace aiprod {

// The tensor in opts[key], nullptr when absent/undefined; a non-tensor is an error naming op and key.
TensorWrap* optional_tensor(const Napi::Object& opts, const char* key, const std::string& op);
// opts[key] as a number, or fallback when absent; a non-number is an error.
double optional_number(const Napi::Object& opts, const char* key, double fallback, const std::string& op);
// opts[key] as a string, or fallback when absent.
std::string optional_string(const Napi::Object& opts, const char* key, const std::string& fallback, const std::string& op);
// opts[key] as a boolean, or fallback when absent.
bool optional_bool(const Napi::Object& opts, const char* key, bool fallback, const std::string& op);
// info[i] as an options object ({} when undefined).
Napi::Object options_arg(const Napi::CallbackInfo& info, size_t i, const std::string& op);
// opts[key] as an f32 vector of n elements, nullptr when absent; otherwise an error
// "aiprod.<op>: <key> is f32[4]; expected f32[3]<context>".
TensorWrap* optional_vector(const Napi::Object& opts, const char* key, size_t n, const std::string& op,
                            const std::string& context = "");
// Requires dtype; error "aiprod.<op>: <arg> is bf16[2,3]; expected f32".
void require_dtype(TensorWrap* t, DType dtype, const std::string& op, const char* arg);

}  // namespace aiprod
