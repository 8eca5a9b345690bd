// Registration of the op entry points, one function per file group.
#pragma once
#include <napi.h>

#include "tensor_wrap.h"

namespace aiprod {

// Registers a CPU entry point: its tensor arguments must be on the CPU (TensorWrap::From), also when it is
// called from user code (an options getter) while a CUDA entry point is taking its own arguments.
template <Napi::Value (*F)(const Napi::CallbackInfo&)>
Napi::Value cpu_op(const Napi::CallbackInfo& info) {
  OpDeviceScope scope(OpDevice::Cpu);
  return F(info);
}

void register_elementwise_ops(Napi::Env env, Napi::Object exports);
void register_info(Napi::Env env, Napi::Object exports);
void register_linear_ops(Napi::Env env, Napi::Object exports);
void register_attention_ops(Napi::Env env, Napi::Object exports);
void register_conv_ops(Napi::Env env, Napi::Object exports);
// Pointwise and layout ops (ops_norm.cc, ops_activation.cc, ops_rope.cc, ops_layout.cc).
void register_norm_ops(Napi::Env env, Napi::Object exports);
void register_activation_ops(Napi::Env env, Napi::Object exports);
void register_rope_ops(Napi::Env env, Napi::Object exports);
void register_layout_ops(Napi::Env env, Napi::Object exports);
void register_bench_ops(Napi::Env env, Napi::Object exports);
// Views, copies and broadcasting for model code (ops_shape.cc).
void register_shape_ops(Napi::Env env, Napi::Object exports);
// CUDA entry points (cuda_ops_*.cc): the same ops on device tensors, named cuda<Op>, plus the device runtime.
void register_cuda_runtime(Napi::Env env, Napi::Object exports);
void register_cuda_linear_ops(Napi::Env env, Napi::Object exports);
void register_cuda_conv_ops(Napi::Env env, Napi::Object exports);
void register_cuda_pointwise_ops(Napi::Env env, Napi::Object exports);
void register_cuda_layout_ops(Napi::Env env, Napi::Object exports);

}  // namespace aiprod
