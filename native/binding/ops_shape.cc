// Shape ops for model code: mapFile (checkpoint tensors as views of a mapped file), reshape and contiguous
// narrow (views: no copy), permute, strided narrow and concat (copies), broadcast arithmetic and affine.
// Everything is validated here, on the JavaScript thread, before native work starts.
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "aiprod/shape.h"
#include "errors.h"
#include "op_checks.h"
#include "ops.h"
#include "pointwise_args.h"

namespace aiprod {
namespace {

using Shape = std::vector<int64_t>;

size_t numel_of(const Shape& s) { return size_t(product(s, 0, s.size())); }

// A JavaScript array of non-negative integers (a shape), or an error naming op and argument.
Shape shape_arg(Napi::Env env, const Napi::Value& v, const std::string& op, const char* name) {
  if (!v.IsArray()) throw op_error(env, op, std::string(name) + " must be an array of non-negative integers");
  Napi::Array arr = v.As<Napi::Array>();
  if (arr.Length() > 8) throw op_error(env, op, std::string(name) + " has rank " + std::to_string(arr.Length()) + "; at most 8");
  Shape s;
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value d = arr.Get(i);
    const double x = d.IsNumber() ? d.As<Napi::Number>().DoubleValue() : -1;
    if (!(x >= 0) || x != double(int64_t(x)) || x > 9007199254740991.0) {
      throw op_error(env, op, std::string(name) + "[" + std::to_string(i) + "] is " + d.ToString().Utf8Value() +
                                  "; it must be a non-negative integer");
    }
    s.push_back(int64_t(x));
  }
  return s;
}

// mapFile(path: string, views: {offset, dtype, shape}[]) -> NativeTensor[]: one mapping of the whole file,
// shared by all views. A view whose offset is not a multiple of its element size is copied out instead (the
// kernels read whole elements), so any well-formed file loads.
Napi::Value MapFile(const Napi::CallbackInfo& info) {
  const char* op = "map_file";
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw op_error(env, op, "path must be a string");
  if (!info[1].IsArray()) throw op_error(env, op, "views must be an array of {offset, dtype, shape}");
  const std::string path = info[0].As<Napi::String>().Utf8Value();
  std::shared_ptr<Buffer> file = guard(env, op, [&] { return std::shared_ptr<Buffer>(std::make_shared<MappedFile>(path)); });
  Napi::Array views = info[1].As<Napi::Array>();
  Napi::Array out = Napi::Array::New(env, views.Length());
  for (uint32_t i = 0; i < views.Length(); ++i) {
    const std::string where = "views[" + std::to_string(i) + "]";
    if (!views.Get(i).IsObject()) throw op_error(env, op, where + " must be an object");
    Napi::Object v = views.Get(i).As<Napi::Object>();
    DType dtype;
    const Napi::Value dt = v.Get("dtype");
    if (!dt.IsString() || !dtype_from_name(dt.As<Napi::String>().Utf8Value(), &dtype)) {
      throw op_error(env, op, where + ".dtype must be one of f32, bf16, f16, f8e4m3");
    }
    const Shape shape = shape_arg(env, v.Get("shape"), op, (where + ".shape").c_str());
    const Napi::Value off = v.Get("offset");
    const double offset = off.IsNumber() ? off.As<Napi::Number>().DoubleValue() : -1;
    const double bytes = double(numel_of(shape)) * double(dtype_size(dtype));
    if (!(offset >= 0) || offset != double(int64_t(offset)) || offset + bytes > double(file->nbytes())) {
      throw op_error(env, op, where + " (" + describe(dtype, shape) + " at byte " + off.ToString().Utf8Value() +
                                  ") does not lie inside '" + path + "' (" + std::to_string(file->nbytes()) + " bytes)",
                     "ERR_AIPROD_BAD_FILE");
    }
    if (size_t(offset) % dtype_size(dtype) == 0) {
      out.Set(i, TensorWrap::CreateView(env, dtype, shape, file, size_t(offset)));
    } else {
      Napi::Object t = new_tensor(env, op, dtype, shape);
      std::memcpy(TensorWrap::Unwrap(t)->data(), file->bytes() + size_t(offset), size_t(bytes));
      out.Set(i, t);
    }
  }
  return out;
}

// reshape(x, shape) -> a view of x's memory with another shape of the same element count, on x's device.
Napi::Value Reshape(const Napi::CallbackInfo& info) {
  const char* op = "reshape";
  Napi::Env env = info.Env();
  TensorWrap* x = nullptr;
  {
    OpDeviceScope any(OpDevice::Any);
    x = TensorWrap::From(info[0], op, "x");
  }
  const Shape shape = shape_arg(env, info[1], op, "shape");
  if (numel_of(shape) != x->numel()) {
    throw op_error(env, op, "cannot view " + x->describe() + " (" + std::to_string(x->numel()) + " elements) as " +
                                shape_str(shape) + " (" + std::to_string(numel_of(shape)) + " elements)");
  }
  return TensorWrap::CreateView(env, x->dtype(), shape, x->buffer(), x->byte_offset());
}

}  // namespace

NarrowCheck check_narrow(const Napi::CallbackInfo& info) {
  const char* op = "narrow";
  Napi::Env env = info.Env();
  TensorWrap* x = TensorWrap::From(info[0], op, "x");
  const Shape& s = x->shape();
  const int64_t dim = int_arg(info, 1, op, "dim", 0);
  if (size_t(dim) >= s.size()) {
    throw op_error(env, op, "dim " + std::to_string(dim) + " is out of range for " + x->describe());
  }
  const int64_t start = int_arg(info, 2, op, "start", 0), length = int_arg(info, 3, op, "length", 0);
  if (start + length > s[size_t(dim)]) {
    throw op_error(env, op, "range " + std::to_string(start) + ".." + std::to_string(start + length) +
                                " exceeds dim " + std::to_string(dim) + " of " + x->describe());
  }
  Shape o = s;
  o[size_t(dim)] = length;
  return {x, size_t(dim), start, length, o};
}

namespace {

// narrow(x, dim, start, length): x's elements start..start+length along dim. A view when the dims before
// dim are all 1 (the slice is one contiguous run), else a copy.
Napi::Value Narrow(const Napi::CallbackInfo& info) {
  const char* op = "narrow";
  Napi::Env env = info.Env();
  const NarrowCheck c = check_narrow(info);
  TensorWrap* x = c.x;
  const Shape& s = x->shape();
  const Shape& o = c.out_shape;
  const int64_t dim = int64_t(c.dim), start = c.start, length = c.length;
  const size_t elem = dtype_size(x->dtype());
  const size_t inner = size_t(product(s, size_t(dim) + 1, s.size())) * elem;
  const size_t outer = size_t(product(s, 0, size_t(dim)));
  if (outer == 1) {
    return TensorWrap::CreateView(env, x->dtype(), o, x->buffer(), x->byte_offset() + size_t(start) * inner);
  }
  return filled_tensor(env, op, x->dtype(), o, [&](TensorWrap* y) {
    copy_rows(static_cast<uint8_t*>(x->data()) + size_t(start) * inner, size_t(s[size_t(dim)]) * inner, y->data(),
              size_t(length) * inner, outer, size_t(length) * inner);
  });
}

}  // namespace

// permute(x, perm) -> a contiguous copy with out.shape[i] = x.shape[perm[i]].
PermuteCheck check_permute(const Napi::CallbackInfo& info) {
  const char* op = "permute";
  Napi::Env env = info.Env();
  TensorWrap* x = TensorWrap::From(info[0], op, "x");
  const Shape& s = x->shape();
  const Shape p = shape_arg(env, info[1], op, "perm");
  std::vector<int> perm(p.size());
  std::vector<bool> seen(s.size(), false);
  bool ok = p.size() == s.size();
  for (size_t i = 0; ok && i < p.size(); ++i) {
    ok = size_t(p[i]) < s.size() && !seen[size_t(p[i])];
    if (ok) seen[size_t(p[i])] = true;
    perm[i] = int(p[i]);
  }
  if (!ok) {
    throw op_error(env, op, "perm " + shape_str(p) + " is not a permutation of the " + std::to_string(s.size()) +
                                " axes of " + x->describe());
  }
  Shape o(s.size());
  for (size_t i = 0; i < s.size(); ++i) o[i] = s[size_t(perm[i])];
  return {x, perm, o};
}

// concat(xs: NativeTensor[], dim) -> one tensor; all of one dtype, equal shapes except along dim.
ConcatCheck check_concat(const Napi::CallbackInfo& info) {
  const char* op = "concat";
  Napi::Env env = info.Env();
  if (!info[0].IsArray() || info[0].As<Napi::Array>().Length() == 0) {
    throw op_error(env, op, "xs must be a non-empty array of tensors");
  }
  Napi::Array arr = info[0].As<Napi::Array>();
  std::vector<TensorWrap*> xs;
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    xs.push_back(TensorWrap::From(arr.Get(i), op, ("xs[" + std::to_string(i) + "]").c_str()));
  }
  const Shape& s0 = xs[0]->shape();
  const int64_t dim = int_arg(info, 1, op, "dim", 0);
  if (size_t(dim) >= s0.size()) throw op_error(env, op, "dim " + std::to_string(dim) + " is out of range for " + xs[0]->describe());
  Shape o = s0;
  o[size_t(dim)] = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const Shape& si = xs[i]->shape();
    bool ok = xs[i]->dtype() == xs[0]->dtype() && si.size() == s0.size();
    for (size_t d = 0; ok && d < s0.size(); ++d) ok = d == size_t(dim) || si[d] == s0[d];
    if (!ok) {
      throw op_error(env, op, "xs[" + std::to_string(i) + "] is " + xs[i]->describe() + " but xs[0] is " +
                                  xs[0]->describe() + "; dtypes and all dims except " + std::to_string(dim) + " must match");
    }
    o[size_t(dim)] += si[size_t(dim)];
  }
  return {xs, size_t(dim), o};
}

namespace {

Napi::Value Permute(const Napi::CallbackInfo& info) {
  const char* op = "permute";
  Napi::Env env = info.Env();
  const PermuteCheck c = check_permute(info);
  TensorWrap* x = c.x;
  const Shape& s = x->shape();
  const std::vector<int>& perm = c.perm;
  return filled_tensor(env, op, x->dtype(), c.out_shape, [&](TensorWrap* y) {
    if (x->numel()) permute_copy(x->data(), y->data(), dtype_size(x->dtype()), s, perm);
  });
}

Napi::Value Concat(const Napi::CallbackInfo& info) {
  const char* op = "concat";
  Napi::Env env = info.Env();
  const ConcatCheck c = check_concat(info);
  const std::vector<TensorWrap*>& xs = c.xs;
  const Shape& s0 = xs[0]->shape();
  const Shape& o = c.out_shape;
  const int64_t dim = int64_t(c.dim);
  Napi::Object out = new_tensor(env, op, xs[0]->dtype(), o);
  TensorWrap* y = TensorWrap::Unwrap(out);
  const size_t elem = dtype_size(xs[0]->dtype());
  const size_t inner = size_t(product(s0, size_t(dim) + 1, s0.size())) * elem;
  const size_t outer = size_t(product(s0, 0, size_t(dim)));
  const size_t out_row = size_t(o[size_t(dim)]) * inner;
  guard(env, op, [&] {
    size_t at = 0;
    for (TensorWrap* x : xs) {
      const size_t row = size_t(x->shape()[size_t(dim)]) * inner;
      if (row) copy_rows(x->data(), row, static_cast<uint8_t*>(y->data()) + at, out_row, outer, row);
      at += row;
    }
    return 0;
  });
  return out;
}

}  // namespace

// binary(op: "add"|"sub"|"mul"|"div"|"max"|"min", a, b) with numpy broadcasting; f32/bf16 in, f32 compute;
// the result has a's dtype when both dtypes agree, else f32.
BroadcastCheck check_broadcast(const Napi::CallbackInfo& info) {
  const std::string name = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  static const std::pair<const char*, BroadcastOp> kOps[] = {{"add", BroadcastOp::Add}, {"sub", BroadcastOp::Sub},
                                                             {"mul", BroadcastOp::Mul}, {"div", BroadcastOp::Div},
                                                             {"max", BroadcastOp::Max}, {"min", BroadcastOp::Min}};
  const BroadcastOp* bop = nullptr;
  for (const auto& [n, o] : kOps) {
    if (name == n) bop = &o;
  }
  const std::string op = "broadcast_" + (bop ? name : std::string("binary"));
  Napi::Env env = info.Env();
  if (!bop) throw op_error(env, op, "op '" + name + "' is not one of add, sub, mul, div, max, min");
  TensorWrap* a = float_tensor(info, 1, op, "a");
  TensorWrap* b = float_tensor(info, 2, op, "b");
  const Shape& as = a->shape();
  const Shape& bs = b->shape();
  const size_t rank = std::max(as.size(), bs.size());
  Shape o(rank);
  std::vector<int64_t> ast(rank, 0), bst(rank, 0);
  int64_t astride = 1, bstride = 1;
  for (size_t k = 0; k < rank; ++k) {  // from the last axis backwards, numpy's alignment
    const size_t i = rank - 1 - k;
    const int64_t ad = k < as.size() ? as[as.size() - 1 - k] : 1;
    const int64_t bd = k < bs.size() ? bs[bs.size() - 1 - k] : 1;
    if (ad != bd && ad != 1 && bd != 1) {
      throw op_error(env, op, "cannot broadcast a " + a->describe() + " with b " + b->describe() + " (axis " +
                                  std::to_string(i) + ": " + std::to_string(ad) + " vs " + std::to_string(bd) + ")");
    }
    o[i] = ad == 1 ? bd : ad;
    ast[i] = ad == 1 ? 0 : astride;
    bst[i] = bd == 1 ? 0 : bstride;
    astride *= ad;
    bstride *= bd;
  }
  const DType dt = a->dtype() == b->dtype() ? a->dtype() : DType::F32;
  return {op, int(*bop), a, b, o, ast, bst, dt};
}

// affine(x, alpha, beta) -> x·alpha + beta in x's dtype.
AffineCheck check_affine(const Napi::CallbackInfo& info) {
  const char* op = "affine";
  TensorWrap* x = float_tensor(info, 0, op, "x");
  const float alpha = number_arg(info, 1, op, "alpha", false), beta = number_arg(info, 2, op, "beta", false);
  return {x, alpha, beta};
}

namespace {

Napi::Value Binary(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const BroadcastCheck c = check_broadcast(info);
  const std::string& op = c.op;
  const BroadcastOp bop = BroadcastOp(c.bop);
  TensorWrap *a = c.a, *b = c.b;
  return filled_tensor(env, op, c.out_dtype, c.out_shape, [&](TensorWrap* y) {
    if (y->numel()) broadcast_binary(bop, in_of(a), c.a_strides, in_of(b), c.b_strides, out_of(y), c.out_shape);
  });
}

Napi::Value Affine(const Napi::CallbackInfo& info) {
  const char* op = "affine";
  const AffineCheck c = check_affine(info);
  TensorWrap* x = c.x;
  const float alpha = c.alpha, beta = c.beta;
  Napi::Object out = new_tensor(info.Env(), op, x->dtype(), x->shape());
  TensorWrap* y = TensorWrap::Unwrap(out);
  guard(info.Env(), op, [&] {
    affine(in_of(x), alpha, beta, out_of(y), x->numel());
    return 0;
  });
  return out;
}

}  // namespace

void register_shape_ops(Napi::Env env, Napi::Object exports) {
  exports.Set("mapFile", Napi::Function::New(env, cpu_op<MapFile>, "mapFile"));
  exports.Set("reshape", Napi::Function::New(env, cpu_op<Reshape>, "reshape"));
  exports.Set("narrow", Napi::Function::New(env, cpu_op<Narrow>, "narrow"));
  exports.Set("permute", Napi::Function::New(env, cpu_op<Permute>, "permute"));
  exports.Set("concat", Napi::Function::New(env, cpu_op<Concat>, "concat"));
  exports.Set("binary", Napi::Function::New(env, cpu_op<Binary>, "binary"));
  exports.Set("affine", Napi::Function::New(env, cpu_op<Affine>, "affine"));
}

}  // namespace aiprod
