// Typed op entry points. Each is one synchronous native call over whole tensors; the native side validates
// dtypes and shapes and names them in its errors.
import type { DType } from "./dtype.js";
import { nativeOf, Tensor } from "./tensor.js";

export function add(a: Tensor, b: Tensor): Tensor {
  nativeOf(a, "add", "a");
  return a.add(b);
}

export function mul(a: Tensor, b: Tensor): Tensor {
  nativeOf(a, "mul", "a");
  return a.mul(b);
}

export function cast(a: Tensor, dtype: DType): Tensor {
  nativeOf(a, "cast", "a");
  return a.cast(dtype);
}
