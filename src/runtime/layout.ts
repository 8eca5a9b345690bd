// VAE layout ops (native/binding/ops_layout.cc; on cuda tensors cuda_ops_layout.cc: the layout kernel, or one
// strided copy on the device for pixelShuffle2d/patchify/unpatchify): index shuffles in the upstream einops
// orders; any dtype.
import { loadBinding } from "../native/loadBinding.js";
import { pick } from "./device.js";
import { nativeOf, Tensor } from "./tensor.js";

export type Factors3 = readonly [number, number, number];

/** "b c (d p1) (h p2) (w p3) -> b (c p1 p2 p3) d h w" (LTX-2 SpaceToDepthDownsample; frame-0 duplication is the caller's). */
export function spaceToDepth3d(x: Tensor, [p1, p2, p3]: Factors3): Tensor {
  const b = loadBinding();
  return Tensor.fromNative(pick("space_to_depth3d", { x }, b.spaceToDepth3d, b.cudaSpaceToDepth3d)(nativeOf(x, "space_to_depth3d", "x"), p1, p2, p3));
}

/** "b (c p1 p2 p3) d h w -> b c (d p1) (h p2) (w p3)" (LTX-2 DepthToSpaceUpsample; dropping frame 0 is the caller's). */
export function depthToSpace3d(x: Tensor, [p1, p2, p3]: Factors3): Tensor {
  const b = loadBinding();
  return Tensor.fromNative(pick("depth_to_space3d", { x }, b.depthToSpace3d, b.cudaDepthToSpace3d)(nativeOf(x, "depth_to_space3d", "x"), p1, p2, p3));
}

/** torch.nn.PixelShuffle(r): [*, C·r², H, W] -> [*, C, H·r, W·r]. */
export function pixelShuffle2d(x: Tensor, r: number): Tensor {
  const b = loadBinding();
  return Tensor.fromNative(pick("pixel_shuffle2d", { x }, b.pixelShuffle2d, b.cudaPixelShuffle2d)(nativeOf(x, "pixel_shuffle2d", "x"), r));
}

/**
 * VAE patchify (p = 4, pt = 1 for LTX-2): 5-d "b c (f p) (h q) (w r) -> b (c p r q) f h w" (einops p = pt,
 * q = r = p); 4-d
 * "b c (h q) (w r) -> b (c r q) h w". The w sub-index comes before the h sub-index in the channel order.
 */
export function patchify(x: Tensor, p = 4, pt = 1): Tensor {
  const b = loadBinding();
  return Tensor.fromNative(pick("patchify", { x }, b.patchify, b.cudaPatchify)(nativeOf(x, "patchify", "x"), p, pt));
}

/** The inverse of patchify: "b (c p r q) f h w -> b c (f p) (h q) (w r)". */
export function unpatchify(x: Tensor, p = 4, pt = 1): Tensor {
  const b = loadBinding();
  return Tensor.fromNative(pick("unpatchify", { x }, b.unpatchify, b.cudaUnpatchify)(nativeOf(x, "unpatchify", "x"), p, pt));
}
