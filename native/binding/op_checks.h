// Argument checks shared by the CPU entry points (ops_*.cc) and the CUDA entry points (cuda_ops_*.cc): one
// function per op reads the JavaScript arguments, validates dtypes and shapes (same messages on both devices)
// and returns what the kernel call needs. Tensor arguments are taken through TensorWrap::From, so they must be
// on the op's device (OpDeviceScope). Nothing here allocates or computes.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "aiprod/attention.h"
#include "aiprod/conv.h"
#include "tensor_wrap.h"

namespace aiprod {

using ShapeVec = std::vector<int64_t>;

// Which row of a per-token table row r of x reads: (r / div) % count (aiprod::RowMap, and the CUDA modulate
// op's b_div/b_count). Kept apart from pointwise.h, whose Activation enum clashes with gemm.h's.
struct RowSel {
  size_t div = 1, count = 1;
};

// add / mul: a and b of one dtype and shape.
struct SameShapeCheck {
  TensorWrap *a, *b;
};
SameShapeCheck check_same_shape(const Napi::CallbackInfo& info, const char* op);

struct CastCheck {
  TensorWrap* a;
  DType to;
};
CastCheck check_cast(const Napi::CallbackInfo& info);

struct LinearCheck {
  TensorWrap *x, *w, *bias, *gate, *residual;
  size_t m, k, n;
  ShapeVec out_shape;
  bool gelu_tanh;
  float weight_scale;
};
LinearCheck check_linear(const Napi::CallbackInfo& info, const std::string& op);

struct MatmulCheck {
  TensorWrap *a, *b;
  size_t batch, m, k, n;
  bool transpose_b, b_batched;
  ShapeVec out_shape;
};
MatmulCheck check_matmul(const Napi::CallbackInfo& info, const std::string& op);

// args: sizes, scale, masks and bias strides (pointers unset).
struct AttentionCheck {
  TensorWrap *q, *k, *v, *bias;
  AttentionArgs args;
};
AttentionCheck check_attention(const Napi::CallbackInfo& info, const std::string& op);

// conv3d/2d/1d: args holds sizes, strides, padding and modes (pointers unset).
struct ConvCheck {
  TensorWrap *x, *w, *bias;
  Conv3dArgs args;
  ShapeVec out_shape;
};
ConvCheck check_conv(const Napi::CallbackInfo& info, size_t dims, const std::string& op);

struct ConvTranspose1dCheck {
  TensorWrap *x, *w, *bias;
  ConvTranspose1dArgs args;
};
ConvTranspose1dCheck check_conv_transpose1d(const Napi::CallbackInfo& info, const std::string& op);

// Norms: rows x d over the last dim (rms, layer), [outer, channels, inner] (pixel), groups (group).
struct NormCheck {
  TensorWrap *x, *weight, *bias;
  float eps;
  size_t rows, d;                         // rms_norm, layer_norm
  size_t outer, channels, inner, groups;  // pixel_norm, group_norm
};
NormCheck check_rms_norm(const Napi::CallbackInfo& info);
NormCheck check_layer_norm(const Napi::CallbackInfo& info);
NormCheck check_pixel_norm(const Napi::CallbackInfo& info);
NormCheck check_group_norm(const Napi::CallbackInfo& info);

// ada_ln: a = x, b = scale, c = shift; add_mul: a = residual, b = x, c = g (maps only for the tables).
struct ModulateCheck {
  TensorWrap *a, *b, *c;
  RowSel b_map, c_map;
  size_t d;
};
ModulateCheck check_ada_ln(const Napi::CallbackInfo& info);
ModulateCheck check_add_mul(const Napi::CallbackInfo& info);

// Activations: x (f32/bf16) and the op's scalar (leaky_relu's slope).
struct UnaryCheck {
  TensorWrap* x;
  float param;
};
UnaryCheck check_unary(const Napi::CallbackInfo& info, const char* op, bool has_param);

struct LerpCheck {
  TensorWrap *a, *b;
  float t;
};
LerpCheck check_lerp(const Napi::CallbackInfo& info);

// softmax / mean / std over a non-empty last dim d.
struct RowsCheck {
  TensorWrap* x;
  size_t d;
  bool unbiased;
  ShapeVec out_shape;
};
RowsCheck check_softmax(const Napi::CallbackInfo& info);
RowsCheck check_moments(const Napi::CallbackInfo& info, bool want_std);

struct RopeCheck {
  TensorWrap *x, *cos, *sin;
  int layout;  // aiprod::RopeTable: 0 [B,T,H,d/2], 1 [T,H,d/2], 2 [T,d/2]
  size_t batch, heads, tokens, d;
};
RopeCheck check_rope(const Napi::CallbackInfo& info, bool interleaved);

// Layout ops: x, the output shape and the factors as each op names them (p1,p2,p3 | r | P,pt).
struct LayoutCheck {
  TensorWrap* x;
  ShapeVec out_shape;
  int64_t f1, f2, f3;
};
LayoutCheck check_space_to_depth3d(const Napi::CallbackInfo& info);
LayoutCheck check_depth_to_space3d(const Napi::CallbackInfo& info);
LayoutCheck check_pixel_shuffle2d(const Napi::CallbackInfo& info);
LayoutCheck check_patchify(const Napi::CallbackInfo& info);
LayoutCheck check_unpatchify(const Napi::CallbackInfo& info);

struct NarrowCheck {
  TensorWrap* x;
  size_t dim;
  int64_t start, length;
  ShapeVec out_shape;
};
NarrowCheck check_narrow(const Napi::CallbackInfo& info);

struct PermuteCheck {
  TensorWrap* x;
  std::vector<int> perm;
  ShapeVec out_shape;
};
PermuteCheck check_permute(const Napi::CallbackInfo& info);

struct ConcatCheck {
  std::vector<TensorWrap*> xs;
  size_t dim;
  ShapeVec out_shape;
};
ConcatCheck check_concat(const Napi::CallbackInfo& info);

// Broadcast binary: op, output shape, a/b strides in elements (0 on broadcast axes), output dtype.
struct BroadcastCheck {
  std::string op;  // "broadcast_add", ...
  int bop;  // aiprod::BroadcastOp: Add, Sub, Mul, Div, Max, Min (not the CUDA AIPROD_CUDA_* order)
  TensorWrap *a, *b;
  ShapeVec out_shape;
  std::vector<int64_t> a_strides, b_strides;
  DType out_dtype;
};
BroadcastCheck check_broadcast(const Napi::CallbackInfo& info);

struct AffineCheck {
  TensorWrap* x;
  float alpha, beta;
};
AffineCheck check_affine(const Napi::CallbackInfo& info);

}  // namespace aiprod
