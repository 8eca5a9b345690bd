// Stage: image (and reference-video) conditionings for one latent grid (upstream ImageConditioner block and
// helpers.combined_image_conditionings / image_conditionings_by_adding_guiding_latent). Images are decoded and
// re-compressed once per run; each stage resizes them to its own size and VAE-encodes them to one latent frame.
import { SafetensorsFile } from "../../checkpoint/safetensors.js";
import { downsampleMaskToLatent, grayMask, type MaskVideo } from "../../models/ltx2/conditioning/attentionMask.js";
import { VideoConditionByKeyframeIndex } from "../../models/ltx2/conditioning/keyframeIndex.js";
import { VideoConditionByLatentIndex } from "../../models/ltx2/conditioning/latentIndex.js";
import { type LatentState, videoTokens } from "../../models/ltx2/conditioning/latentState.js";
import { VideoConditionByReferenceLatent, withAttentionStrength } from "../../models/ltx2/conditioning/referenceLatent.js";
import { VideoEncoder } from "../../models/ltx2/vae/videoVae.js";
import { decodeImage, recompressImage } from "../../media/image.js";
import { framesToVaeInput, resizeAndCenterCrop, type RgbImage } from "../../media/resize.js";
import { Tensor } from "../../runtime/tensor.js";
import type { RunContext } from "../context.js";
import type { ResolvedImage } from "../types.js";

export interface PreparedImage {
  image: RgbImage;
  frame: number;
  strength: number;
}

export interface EncodedLatent {
  tokens: Float32Array;
  grid: { frames: number; height: number; width: number };
}

/** Decode + CRF re-compression, once per run. */
export async function prepareImages(images: readonly ResolvedImage[]): Promise<PreparedImage[]> {
  const out: PreparedImage[] = [];
  for (const img of images) out.push({ image: await recompressImage(await decodeImage(img.source), img.crf), frame: img.frame, strength: img.strength });
  return out;
}

/** VAE-encodes pixel clips ([F][H·W·3] in 0..255, already at the wanted size) to latent tokens. */
export function encodeClips(ctx: RunContext, checkpoint: string, clips: readonly { frames: Float32Array[]; width: number; height: number }[]): EncodedLatent[] {
  if (clips.length === 0) return [];
  using file = SafetensorsFile.open(checkpoint);
  using encoder = VideoEncoder.fromCheckpoint(file);
  return clips.map((c, i) => {
    ctx.check();
    using x = Tensor.from(framesToVaeInput(c.frames, c.width, c.height), [1, 3, c.frames.length, c.height, c.width]);
    using latent = encoder.forward(x);
    const [, , f, h, w] = latent.shape as [number, number, number, number, number];
    ctx.progress(i + 1, clips.length);
    return { tokens: videoTokens(latent), grid: { frames: f, height: h, width: w } };
  });
}

/** The images resized (cover + center crop) to width×height and encoded. */
export function encodeImages(ctx: RunContext, checkpoint: string, images: readonly PreparedImage[], width: number, height: number): EncodedLatent[] {
  return encodeClips(ctx, checkpoint, images.map((p) => ({ frames: [resizeAndCenterCrop(p.image, width, height)], width, height })));
}

/**
 * Applies image conditionings. `keyframesOnly` (keyframe_interpolation): every image becomes appended keyframe
 * tokens. Otherwise frame 0 replaces latent frame 0 and other frames are appended keyframes.
 */
export function applyImages(state: LatentState, images: readonly PreparedImage[], latents: readonly EncodedLatent[], grid: EncodedLatent["grid"], fps: number, keyframesOnly: boolean): LatentState {
  let s = state;
  images.forEach((img, i) => {
    const l = latents[i]!;
    s = img.frame === 0 && !keyframesOnly
      ? new VideoConditionByLatentIndex(l.tokens, l.grid.frames, img.strength, 0).applyTo(s, grid)
      : new VideoConditionByKeyframeIndex(l.tokens, l.grid, img.frame, img.strength).applyTo(s, fps);
  });
  return s;
}

/** Reference frames subsampled (frame 0, then every S-th from 1: iclora_utils.temporal_subsample) and resized. */
export function referenceClip(frames: readonly RgbImage[], width: number, height: number, temporalScale: number): { frames: Float32Array[]; width: number; height: number } {
  const picked = [frames[0]!];
  for (let i = 1; i < frames.length; i += temporalScale) picked.push(frames[i]!);
  // The VAE keeps 8k+1 frames; dropping the rest here saves resizing them.
  const keep = picked.length - ((picked.length - 1) % 8);
  return { frames: picked.slice(0, keep).map((f) => resizeAndCenterCrop(f, width, height)), width, height };
}

export function applyReference(state: LatentState, ref: EncodedLatent, fps: number,
  o: { downscale: number; temporalScale: number; strength: number; attentionStrength: number; attentionMask?: MaskVideo }): LatentState {
  const item = new VideoConditionByReferenceLatent(ref.tokens, ref.grid, o.downscale, o.temporalScale, o.strength);
  // Upstream wraps the item with the attention-strength mask only when a mask is given or the strength is below 1.
  if (o.attentionMask) {
    const weights = downsampleMaskToLatent(o.attentionMask, ref.grid).map((m) => m * o.attentionStrength);
    return withAttentionStrength(state, (s) => item.applyTo(s, fps), weights);
  }
  return o.attentionStrength < 1 ? withAttentionStrength(state, (s) => item.applyTo(s, fps), o.attentionStrength) : item.applyTo(state, fps);
}

/** The mask video's frames resized (cover + center crop) to the stage-1 size, as grayscale in [0, 1]. */
export function maskFromFrames(frames: readonly RgbImage[], width: number, height: number): MaskVideo {
  return grayMask(frames.map((f) => resizeAndCenterCrop(f, width, height)), width, height);
}
