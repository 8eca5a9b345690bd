// Tensors that view byte ranges of a file mapped into memory (copy-on-write): the safetensors loader's only
// way to weights, so a 40 GB checkpoint costs page cache, not heap, and weights keep their stored dtype.
import type { NativeFileView } from "../native/bindingTypes.js";
import { loadBinding } from "../native/loadBinding.js";
import { Tensor } from "./tensor.js";

export type FileView = NativeFileView;

/** One tensor per view, all sharing one mapping of the file (unmapped when the last of them is disposed). */
export function mapFileTensors(path: string, views: readonly FileView[]): Tensor[] {
  return loadBinding().mapFile(path, views).map((n) => Tensor.fromNative(n));
}
