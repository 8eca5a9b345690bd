// Shape ops for model code (native/binding/ops_shape.cc; on cuda tensors cuda_ops_layout.cc and
// cuda_ops_pointwise.cc). reshape and contiguous narrows are views on either device: they share the source's
// memory (which stays alive while any view does) and cost nothing; permute, strided narrows and concat copy.
// Broadcast arithmetic follows numpy's rules and computes in f32.
import type { NativeBroadcastOp } from "../native/bindingTypes.js";
import { AiprodError } from "../native/errors.js";
import { loadBinding } from "../native/loadBinding.js";
import { pick } from "./device.js";
import { nativeOf, type Shape, Tensor } from "./tensor.js";

function axis(dim: number, rank: number, op: string): number {
  const d = dim < 0 ? dim + rank : dim;
  if (!Number.isInteger(d) || d < 0 || d >= rank) {
    throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.${op}: dim ${dim} is out of range for rank ${rank}`);
  }
  return d;
}

/** A view of x with another shape of the same element count; one entry may be -1 (inferred). */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const native = nativeOf(x, "reshape", "x");
  const known = shape.reduce((n, d) => (d === -1 ? n : n * d), 1);
  const inferred = shape.filter((d) => d === -1).length;
  if (inferred > 1) throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.reshape: only one dimension may be -1, got [${shape.join(",")}]`);
  if (inferred && (known === 0 || x.numel % known !== 0)) {
    throw new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.reshape: cannot view ${x.dtype}[${x.shape.join(",")}] (${x.numel} elements) as [${shape.join(",")}]: ` +
      (known === 0 ? "the other dimensions multiply to 0" : `${x.numel} is not a multiple of ${known}`));
  }
  const full = inferred ? shape.map((d) => (d === -1 ? x.numel / known : d)) : shape;
  return Tensor.fromNative(loadBinding().reshape(native, full));
}

/** Elements start..start+length of dimension dim (negative dims count from the end). */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const native = nativeOf(x, "narrow", "x");
  const b = loadBinding();
  return Tensor.fromNative(pick("narrow", { x }, b.narrow, b.cudaNarrow)(native, axis(dim, x.shape.length, "narrow"), start, length));
}

/** out.shape[i] = x.shape[perm[i]] (a contiguous copy). */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const b = loadBinding();
  return Tensor.fromNative(pick("permute", { x }, b.permute, b.cudaPermute)(nativeOf(x, "permute", "x"), perm));
}

/** Swaps two dimensions (a copy). */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const rank = x.shape.length;
  const a = axis(dim0, rank, "transpose"), b = axis(dim1, rank, "transpose");
  const perm = Array.from({ length: rank }, (_, i) => (i === a ? b : i === b ? a : i));
  return permute(x, perm);
}

/** Joins tensors of one dtype along dim; all other dimensions must match. */
export function concat(xs: readonly Tensor[], dim: number): Tensor {
  const natives = xs.map((t, i) => nativeOf(t, "concat", `xs[${i}]`));
  const rank = xs[0]?.shape.length ?? 0;
  const b = loadBinding();
  const fn = pick("concat", Object.fromEntries(xs.map((t, i) => [`xs[${i}]`, t])), b.concat, b.cudaConcat);
  return Tensor.fromNative(fn(natives, xs.length ? axis(dim, rank, "concat") : dim));
}

function broadcast(op: NativeBroadcastOp, a: Tensor, b: Tensor): Tensor {
  const name = `broadcast_${op}`;
  const n = loadBinding();
  return Tensor.fromNative(pick(name, { a, b }, n.binary, n.cudaBinary)(op, nativeOf(a, name, "a"), nativeOf(b, name, "b")));
}

/** a + b with numpy broadcasting (f32/bf16; a's dtype when both agree, else f32). */
export const addBroadcast = (a: Tensor, b: Tensor): Tensor => broadcast("add", a, b);
/** a − b with numpy broadcasting. */
export const subBroadcast = (a: Tensor, b: Tensor): Tensor => broadcast("sub", a, b);
/** a · b with numpy broadcasting. */
export const mulBroadcast = (a: Tensor, b: Tensor): Tensor => broadcast("mul", a, b);
/** a / b with numpy broadcasting. */
export const divBroadcast = (a: Tensor, b: Tensor): Tensor => broadcast("div", a, b);
/** Elementwise max with numpy broadcasting (NaN if either is NaN). */
export const maximum = (a: Tensor, b: Tensor): Tensor => broadcast("max", a, b);
/** Elementwise min with numpy broadcasting (NaN if either is NaN). */
export const minimum = (a: Tensor, b: Tensor): Tensor => broadcast("min", a, b);

/** x·alpha + beta (two roundings, like PyTorch), in x's dtype. */
export function affine(x: Tensor, alpha: number, beta = 0): Tensor {
  const b = loadBinding();
  return Tensor.fromNative(pick("affine", { x }, b.affine, b.cudaAffine)(nativeOf(x, "affine", "x"), alpha, beta));
}
