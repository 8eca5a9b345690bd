// CUDA entry points of conv3d/conv2d/conv1d and convTranspose1d: the CPU ops' checks, one library call.
#include "cuda_ops.h"
#include "op_checks.h"
#include "ops.h"

namespace aiprod {
namespace {

Napi::Value CudaConv(const Napi::CallbackInfo& info, size_t dims, const char* op) {
  CudaOp c(info.Env(), op);
  const ConvCheck k = check_conv(info, dims, c.op());
  auto out = c.alloc(DType::F32, k.out_shape);
  const Conv3dArgs& s = k.args;
  aiprod_cuda_conv3d_args a{};
  a.x = dptr(k.x), a.dtype = cuda_dtype(DType::F32);
  a.batch = s.batch, a.cin = s.cin, a.w = dptr(k.w), a.cout = s.cout;
  a.bias = static_cast<const float*>(dptr(k.bias));
  for (int i = 0; i < 3; ++i) {
    a.in[i] = s.in[i], a.k[i] = s.k[i], a.stride[i] = s.stride[i];
    a.pad_front[i] = s.pad_front[i], a.pad_back[i] = s.pad_back[i], a.mode[i] = int(s.mode[i]);
    a.out_size[i] = s.out_size[i];
  }
  a.out = out->bytes();
  a.allow_bf16 = 0;  // f32 products, as the CPU op
  if (s.batch) c.call(c.api()->conv3d, a, describe_args({{"x", k.x}, {"weight", k.w}, {"bias", k.bias}}));
  return c.wrap(DType::F32, k.out_shape, std::move(out));
}

Napi::Value CudaConv3d(const Napi::CallbackInfo& info) { return CudaConv(info, 3, "conv3d"); }
Napi::Value CudaConv2d(const Napi::CallbackInfo& info) { return CudaConv(info, 2, "conv2d"); }
Napi::Value CudaConv1d(const Napi::CallbackInfo& info) { return CudaConv(info, 1, "conv1d"); }

Napi::Value CudaConvTranspose1d(const Napi::CallbackInfo& info) {
  CudaOp c(info.Env(), "convTranspose1d");
  const ConvTranspose1dCheck k = check_conv_transpose1d(info, c.op());
  const ConvTranspose1dArgs& s = k.args;
  const std::vector<int64_t> shape = {int64_t(s.batch), int64_t(s.cout), int64_t(s.out_len)};
  auto out = c.alloc(DType::F32, shape);
  aiprod_cuda_conv_transpose1d_args a{};
  a.x = dptr(k.x), a.batch = s.batch, a.cin = s.cin, a.len = s.len;
  a.w = dptr(k.w), a.cout = s.cout, a.k = s.k;
  a.bias = static_cast<const float*>(dptr(k.bias));
  a.stride = s.stride, a.padding = s.padding, a.output_padding = s.output_padding, a.dilation = s.dilation;
  a.out = out->bytes(), a.out_len = s.out_len;
  if (s.batch && s.cout) {
    c.call(c.api()->conv_transpose1d, a, describe_args({{"x", k.x}, {"weight", k.w}, {"bias", k.bias}}));
  }
  return c.wrap(DType::F32, shape, std::move(out));
}

}  // namespace

void register_cuda_conv_ops(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaConv3d", Napi::Function::New(env, CudaConv3d, "cudaConv3d"));
  exports.Set("cudaConv2d", Napi::Function::New(env, CudaConv2d, "cudaConv2d"));
  exports.Set("cudaConv1d", Napi::Function::New(env, CudaConv1d, "cudaConv1d"));
  exports.Set("cudaConvTranspose1d", Napi::Function::New(env, CudaConvTranspose1d, "cudaConvTranspose1d"));
}

}  // namespace aiprod
