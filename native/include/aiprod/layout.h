// Layout ops of the LTX-2 VAE and friends: pure index shuffles, so they work for every dtype (only the element
// size matters). The binding has validated shapes and divisibility; sizes below are the output-side sizes.
#pragma once
#include <cstddef>

namespace aiprod {

// "b c (d p1) (h p2) (w p3) -> b (c p1 p2 p3) d h w"  (SpaceToDepthDownsample; in [B,C,D·p1,H·p2,W·p3])
void space_to_depth3d(const void* in, void* out, size_t elem_size, size_t B, size_t C, size_t D, size_t H, size_t W,
                      size_t p1, size_t p2, size_t p3);
// "b (c p1 p2 p3) d h w -> b c (d p1) (h p2) (w p3)"  (DepthToSpaceUpsample; in [B,C·p1·p2·p3,D,H,W])
void depth_to_space3d(const void* in, void* out, size_t elem_size, size_t B, size_t C, size_t D, size_t H, size_t W,
                      size_t p1, size_t p2, size_t p3);
// torch.nn.PixelShuffle(r): "b (c i j) h w -> b c (h i) (w j)"  (in [B,C·r·r,H,W])
void pixel_shuffle2d(const void* in, void* out, size_t elem_size, size_t B, size_t C, size_t H, size_t W, size_t r);
// VAE patchify (ltx_core patchify, q = h sub-index, r = w sub-index; note r before q in the channel order):
//   5-d "b c (f p) (h q) (w r) -> b (c p r q) f h w"   (in [B,C,F·pt,H·P,W·P]); 4-d: pt = 1, no f axis,
//   "b c (h q) (w r) -> b (c r q) h w" is the same copy with F = 1.
void patchify(const void* in, void* out, size_t elem_size, size_t B, size_t C, size_t F, size_t H, size_t W,
              size_t pt, size_t P);
// The inverse: "b (c p r q) f h w -> b c (f p) (h q) (w r)"  (in [B,C·pt·P·P,F,H,W]).
void unpatchify(const void* in, void* out, size_t elem_size, size_t B, size_t C, size_t F, size_t H, size_t W,
                size_t pt, size_t P);

}  // namespace aiprod
