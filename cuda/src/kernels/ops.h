// The launchers: one per op of the C API (aiprod_cuda/api.h), each in its own kernels/<op>.cu. They validate
// the arguments (throwing aiprod_cuda::Error with AIPROD_CUDA_ERR_INVALID_ARGUMENT and a message naming the op,
// the argument and the shapes, before anything is launched), pick a kernel, and launch it on `stream`.
// Plain C++ declarations: included by the C API table and by the tests, which build against either the GPU
// library or the host emulation.
#ifndef AIPROD_CUDA_OPS_H
#define AIPROD_CUDA_OPS_H

#include "aiprod_cuda/api.h"
#include "aiprod_cuda/error.h"

namespace aiprod_cuda {

void linear(const aiprod_cuda_linear_args& a, void* stream);
void matmul(const aiprod_cuda_matmul_args& a, void* stream);
void attention(const aiprod_cuda_attention_args& a, void* stream);
void conv3d(const aiprod_cuda_conv3d_args& a, void* stream);
void conv_transpose1d(const aiprod_cuda_conv_transpose1d_args& a, void* stream);
void norm(const aiprod_cuda_norm_args& a, void* stream);
void modulate(const aiprod_cuda_modulate_args& a, void* stream);
void unary(const aiprod_cuda_unary_args& a, void* stream);
void binary(const aiprod_cuda_binary_args& a, void* stream);
void rope(const aiprod_cuda_rope_args& a, void* stream);
void copy(const aiprod_cuda_copy_args& a, void* stream);
void layout(const aiprod_cuda_layout_args& a, void* stream);

}  // namespace aiprod_cuda

#endif
