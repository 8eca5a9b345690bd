// Registration of the op entry points, one function per file group.
#pragma once
#include <napi.h>

namespace aiprod {

void register_elementwise_ops(Napi::Env env, Napi::Object exports);
void register_info(Napi::Env env, Napi::Object exports);
void register_linear_ops(Napi::Env env, Napi::Object exports);
void register_attention_ops(Napi::Env env, Napi::Object exports);
void register_conv_ops(Napi::Env env, Napi::Object exports);

}  // namespace aiprod
