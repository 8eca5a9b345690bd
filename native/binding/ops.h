// Registration of the op entry points, one function per file group.
#pragma once
#include <napi.h>

namespace aiprod {

void register_elementwise_ops(Napi::Env env, Napi::Object exports);
void register_info(Napi::Env env, Napi::Object exports);
void register_bench_ops(Napi::Env env, Napi::Object exports);

}  // namespace aiprod
