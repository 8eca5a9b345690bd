// CUDA entry points of the data-movement ops: cast, narrow, permute, concat (the strided copy kernel),
// spaceToDepth3d / depthToSpace3d (the layout kernel), and pixelShuffle2d / patchify / unpatchify, which the
// library has no kernel of their own for: each is one strided copy over a 6-d or 8-d view of the data (the
// einops pattern written as strides), on the device, never a round trip through host memory.
#include "cuda_ops.h"
#include "op_checks.h"
#include "ops.h"

namespace aiprod {
namespace {

using Shape = std::vector<int64_t>;

Napi::Value CudaCast(const Napi::CallbackInfo& info) {
  CudaOp c(info.Env(), "cast");
  const CastCheck k = check_cast(info);
  auto out = c.alloc(k.to, k.a->shape());
  const Shape flat = {int64_t(k.a->numel())};
  cuda_strided_copy(c, dptr(k.a), k.a->dtype(), {1}, out->bytes(), k.to, {1}, flat, describe_args({{"a", k.a}}));
  return c.wrap(k.to, k.a->shape(), std::move(out));
}

// narrow: a view when the slice is one contiguous run (as on the CPU), else a strided copy.
Napi::Value CudaNarrow(const Napi::CallbackInfo& info) {
  CudaOp c(info.Env(), "narrow");
  const NarrowCheck k = check_narrow(info);
  TensorWrap* x = k.x;
  const Shape& s = x->shape();
  const size_t elem = dtype_size(x->dtype());
  const Shape st = contiguous_strides(s);
  int64_t outer = 1;
  for (size_t d = 0; d < k.dim; ++d) outer *= s[d];
  const size_t offset = size_t(k.start) * size_t(st[k.dim]) * elem;
  if (outer == 1) return TensorWrap::CreateView(c.env(), x->dtype(), k.out_shape, x->buffer(), x->byte_offset() + offset);
  auto out = c.alloc(x->dtype(), k.out_shape);
  cuda_strided_copy(c, static_cast<const uint8_t*>(x->data()) + offset, x->dtype(), st, out->bytes(), x->dtype(),
                    contiguous_strides(k.out_shape), k.out_shape, describe_args({{"x", x}}));
  return c.wrap(x->dtype(), k.out_shape, std::move(out));
}

Napi::Value CudaPermute(const Napi::CallbackInfo& info) {
  CudaOp c(info.Env(), "permute");
  const PermuteCheck k = check_permute(info);
  const Shape st = contiguous_strides(k.x->shape());
  Shape xs(k.perm.size());
  for (size_t i = 0; i < k.perm.size(); ++i) xs[i] = st[size_t(k.perm[i])];
  auto out = c.alloc(k.x->dtype(), k.out_shape);
  cuda_strided_copy(c, dptr(k.x), k.x->dtype(), xs, out->bytes(), k.x->dtype(), contiguous_strides(k.out_shape),
                    k.out_shape, describe_args({{"x", k.x}}));
  return c.wrap(k.x->dtype(), k.out_shape, std::move(out));
}

// concat: one strided copy per piece into its slot of the output.
Napi::Value CudaConcat(const Napi::CallbackInfo& info) {
  CudaOp c(info.Env(), "concat");
  const ConcatCheck k = check_concat(info);
  const DType dt = k.xs[0]->dtype();
  auto out = c.alloc(dt, k.out_shape);
  const Shape ost = contiguous_strides(k.out_shape);
  const size_t elem = dtype_size(dt);
  int64_t at = 0;
  for (size_t i = 0; i < k.xs.size(); ++i) {
    TensorWrap* x = k.xs[i];
    const std::string name = "xs[" + std::to_string(i) + "]";
    cuda_strided_copy(c, dptr(x), dt, contiguous_strides(x->shape()), out->bytes() + size_t(at * ost[k.dim]) * elem, dt,
                      ost, x->shape(), describe_args({{name.c_str(), x}}));
    at += x->shape()[k.dim];
  }
  return c.wrap(dt, k.out_shape, std::move(out));
}

// spaceToDepth3d / depthToSpace3d: the layout kernel; c, d, h, w are the channel count and sizes of the side
// with fewer channels (as aiprod::space_to_depth3d / depth_to_space3d take them).
Napi::Value layout(const Napi::CallbackInfo& info, int kind) {
  CudaOp c(info.Env(), kind == 0 ? "space_to_depth3d" : "depth_to_space3d");
  const LayoutCheck k = kind == 0 ? check_space_to_depth3d(info) : check_depth_to_space3d(info);
  TensorWrap* x = k.x;
  const Shape& s = x->shape();
  const Shape& o = k.out_shape;
  auto out = c.alloc(x->dtype(), o);
  aiprod_cuda_layout_args a{};
  a.kind = kind;
  a.x = dptr(x), a.out = out->bytes(), a.elem_size = dtype_size(x->dtype());
  const Shape& small = kind == 0 ? o : s;  // [B, C·p1·p2·p3, D, H, W]
  a.b = size_t(s[0]), a.c = size_t(kind == 0 ? s[1] : o[1]);
  a.d = size_t(small[2]), a.h = size_t(small[3]), a.w = size_t(small[4]);
  a.p1 = size_t(k.f1), a.p2 = size_t(k.f2), a.p3 = size_t(k.f3);
  if (x->numel()) c.call(c.api()->layout, a, describe_args({{"x", x}}));
  return c.wrap(x->dtype(), o, std::move(out));
}
Napi::Value CudaSpaceToDepth3d(const Napi::CallbackInfo& info) { return layout(info, 0); }
Napi::Value CudaDepthToSpace3d(const Napi::CallbackInfo& info) { return layout(info, 1); }

// pixelShuffle2d "b (c i j) h w -> b c (h i) (w j)": x viewed as [N, C, r, r, H, W] (contiguous), written at
// the output's strides for the same indices.
Napi::Value CudaPixelShuffle2d(const Napi::CallbackInfo& info) {
  CudaOp c(info.Env(), "pixel_shuffle2d");
  const LayoutCheck k = check_pixel_shuffle2d(info);
  TensorWrap* x = k.x;
  const Shape& s = x->shape();
  const size_t n = s.size();
  const int64_t r = k.f1, H = s[n - 2], W = s[n - 1], C = k.out_shape[n - 3];
  int64_t N = 1;
  for (size_t d = 0; d + 3 < n; ++d) N *= s[d];
  const Shape view = {N, C, r, r, H, W};
  const Shape out_st = {C * H * r * W * r, H * r * W * r, W * r, 1, r * W * r, r};
  auto out = c.alloc(x->dtype(), k.out_shape);
  cuda_strided_copy(c, dptr(x), x->dtype(), contiguous_strides(view), out->bytes(), x->dtype(), out_st, view,
                    describe_args({{"x", x}}));
  return c.wrap(x->dtype(), k.out_shape, std::move(out));
}

// patchify "b c (f p) (h q) (w r) -> b (c p r q) f h w" (4-d: no f, p): the unpatched tensor viewed as
// [B, C, F, pt, H, P(q), W, P(r)] with its contiguous strides, and the patched tensor's strides for the same
// indices. unpatchify is the same copy in the other direction.
struct PatchView {
  Shape view, unpatched_st, patched_st;
};
PatchView patch_view(int64_t B, int64_t C, int64_t F, int64_t H, int64_t W, int64_t pt, int64_t P, bool video) {
  const int64_t fhw = F * H * W, Cp = C * pt * P * P;
  PatchView v;
  if (video) {
    v.view = {B, C, F, pt, H, P, W, P};
    // channel (c p r q) = ((c·pt + p)·P + r)·P + q
    v.patched_st = {Cp * fhw, pt * P * P * fhw, H * W, P * P * fhw, W, fhw, 1, P * fhw};
  } else {
    v.view = {B, C, H, P, W, P};
    v.patched_st = {Cp * H * W, P * P * H * W, W, H * W, 1, P * H * W};
  }
  v.unpatched_st = contiguous_strides(v.view);
  return v;
}

Napi::Value patch(const Napi::CallbackInfo& info, bool inverse) {
  CudaOp c(info.Env(), inverse ? "unpatchify" : "patchify");
  const LayoutCheck k = inverse ? check_unpatchify(info) : check_patchify(info);
  TensorWrap* x = k.x;
  const bool video = x->shape().size() == 5;
  const Shape& u = inverse ? k.out_shape : x->shape();  // the unpatched shape [B, C, F·pt, H·P, W·P]
  const int64_t P = k.f1, pt = k.f2;
  const int64_t F = video ? u[2] / pt : 1, H = u[u.size() - 2] / P, W = u[u.size() - 1] / P;
  const PatchView v = patch_view(u[0], u[1], F, H, W, pt, P, video);
  auto out = c.alloc(x->dtype(), k.out_shape);
  cuda_strided_copy(c, dptr(x), x->dtype(), inverse ? v.patched_st : v.unpatched_st, out->bytes(), x->dtype(),
                    inverse ? v.unpatched_st : v.patched_st, v.view, describe_args({{"x", x}}));
  return c.wrap(x->dtype(), k.out_shape, std::move(out));
}
Napi::Value CudaPatchify(const Napi::CallbackInfo& info) { return patch(info, false); }
Napi::Value CudaUnpatchify(const Napi::CallbackInfo& info) { return patch(info, true); }

}  // namespace

void register_cuda_layout_ops(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaCast", Napi::Function::New(env, CudaCast, "cudaCast"));
  exports.Set("cudaNarrow", Napi::Function::New(env, CudaNarrow, "cudaNarrow"));
  exports.Set("cudaPermute", Napi::Function::New(env, CudaPermute, "cudaPermute"));
  exports.Set("cudaConcat", Napi::Function::New(env, CudaConcat, "cudaConcat"));
  exports.Set("cudaSpaceToDepth3d", Napi::Function::New(env, CudaSpaceToDepth3d, "cudaSpaceToDepth3d"));
  exports.Set("cudaDepthToSpace3d", Napi::Function::New(env, CudaDepthToSpace3d, "cudaDepthToSpace3d"));
  exports.Set("cudaPixelShuffle2d", Napi::Function::New(env, CudaPixelShuffle2d, "cudaPixelShuffle2d"));
  exports.Set("cudaPatchify", Napi::Function::New(env, CudaPatchify, "cudaPatchify"));
  exports.Set("cudaUnpatchify", Napi::Function::New(env, CudaUnpatchify, "cudaUnpatchify"));
}

}  // namespace aiprod
