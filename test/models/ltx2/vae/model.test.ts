// The tiny LTX-2 VAE checkpoint end to end: encoder and decoder (plain and timestep-conditioned) and both
// latent upsamplers against the float64 whole-model reference (refModel.ts) on the same stored bf16 weights,
// and encode → decode shape round trips. Bound: 2e-5 of the largest reference value — measured errors are
// ~1e-6 relative per conv (blocks.test.ts); the encoder stacks 13 convs and the decoder 16, with PixelNorms that
// rescale absolute errors by 1/RMS; measured 2e-7..1e-6 relative, so the bound 2e-5 leaves a >15x margin over what f32 accumulation produces, while a
// wrong padding, channel order or frame drop moves outputs by O(0.1–1).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { SafetensorsFile } from "../../../../src/checkpoint/safetensors.js";
import { LatentUpsampler, upsampleVideo } from "../../../../src/models/ltx2/upsampler/model.js";
import { TINY_SPATIAL_UPSAMPLER_CONFIG, TINY_TEMPORAL_UPSAMPLER_CONFIG, writeTinyUpsamplerCheckpoint } from "../../../../src/models/ltx2/upsampler/tinyUpsampler.js";
import { ConvVideoDecoder } from "../../../../src/models/ltx2/vae/convVideoDecoder.js";
import { TINY_VAE_CONFIG, writeTinyVaeCheckpoint } from "../../../../src/models/ltx2/vae/tinyVae.js";
import { VideoEncoder } from "../../../../src/models/ltx2/vae/videoVae.js";
import { rand, toTensor, worst } from "./helpers.js";
import * as R from "./reference.js";
import { decodeRef, encodeRef, param, upsamplerRef } from "./refModel.js";

const dir = mkdtempSync(join(tmpdir(), "aiprod-vae-"));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const vaePath = join(dir, "tiny-vae.safetensors");
writeTinyVaeCheckpoint(vaePath, TINY_VAE_CONFIG, 7);
const vaeCfg = TINY_VAE_CONFIG as unknown as Record<string, unknown>;

/** A smooth-ish video in [-1, 1]. */
function video(f: number, h: number, w: number, seed: number): R.T {
  return R.map(rand([1, 3, f, h, w], seed), (v) => Math.tanh(v));
}

t.test("encoder and decoder match the float64 reference on the tiny checkpoint", async (t) => {
  using file = SafetensorsFile.open(vaePath);
  using enc = VideoEncoder.fromCheckpoint(file);
  using dec = ConvVideoDecoder.fromCheckpoint(file);
  const x = video(9, 64, 96, 1);
  using xt = toTensor(x);
  using z = enc.forward(xt);
  t.same(z.shape, [1, 8, 2, 2, 3], "9x64x96 -> latent [1, 8, 2, 2, 3]");
  const zRef = encodeRef(file, vaeCfg, x);
  const e = worst(z, zRef);
  t.ok(e.maxAbs <= 2e-5 * e.maxRef, `encode: max err ${e.maxAbs.toExponential(2)} of ${e.maxRef.toFixed(3)}`);

  using y = dec.forward(z);
  t.same(y.shape, [1, 3, 9, 64, 96], "decode returns (3, 8(F'-1)+1, 32H', 32W')");
  const yRef = decodeRef(file, vaeCfg, R.fromF32(z.toFloat32(), z.shape));
  const d = worst(y, yRef);
  t.ok(d.maxAbs <= 2e-5 * d.maxRef, `decode: max err ${d.maxAbs.toExponential(2)} of ${d.maxRef.toFixed(3)}`);
});

t.test("encode crops to 1 + 8k frames and encode -> decode round-trips shapes", async (t) => {
  using file = SafetensorsFile.open(vaePath);
  using enc = VideoEncoder.fromCheckpoint(file);
  using dec = ConvVideoDecoder.fromCheckpoint(file);
  for (const [f, h, w, kept] of [[1, 64, 64, 1], [9, 64, 96, 9], [17, 96, 64, 17], [12, 64, 64, 9], [25, 64, 64, 25]] as const) {
    using xt = toTensor(video(f, h, w, f * 100 + h));
    using z = enc.forward(xt);
    t.same(z.shape, [1, 8, (kept - 1) / 8 + 1, h / 32, w / 32], `${f}x${h}x${w} encodes to ${(kept - 1) / 8 + 1} latent frames`);
    using y = dec.forward(z);
    t.same(y.shape, [1, 3, kept, h, w], `decodes back to ${kept}x${h}x${w}`);
    let lo = 0, hi = 0;
    for (const chunk of dec.decodeVideo(z)) {
      using c = chunk;
      t.same(c.shape, [kept, h, w, 3], "decodeVideo: one chunk [f, h, w, 3]");
      for (const v of c.toFloat32()) (lo = Math.min(lo, v), (hi = Math.max(hi, v)));
      const raw = y.toFloat32(), rgb = c.toFloat32();
      // Spot-check the layout and the (x+1)/2 clamp at frame 0, pixel (1, 2), channel 1.
      const want = Math.min(1, Math.max(0, (raw[(1 * kept + 0) * h * w + 1 * w + 2]! + 1) / 2));
      t.ok(Math.abs(rgb[(1 * w + 2) * 3 + 1]! - want) < 1e-6, "chunk value = clamp((x + 1)/2) at [0, 1, 2, 1]");
    }
    t.ok(lo >= 0 && hi <= 1, `frames lie in [0, 1] (${lo.toFixed(3)}..${hi.toFixed(3)})`);
  }
});

t.test("timestep-conditioned decoder (decode noise, per-ResNet AdaLN, last scale-shift) matches the reference", async (t) => {
  const cfg = { ...TINY_VAE_CONFIG, timestep_conditioning: true };
  const path = join(dir, "tiny-vae-tcond.safetensors");
  writeTinyVaeCheckpoint(path, cfg, 11);
  using file = SafetensorsFile.open(path);
  t.ok(file.has("vae.decoder.last_scale_shift_table") && file.has("vae.decoder.up_blocks.0.time_embedder.timestep_embedder.linear_1.weight"), "the t-cond keys exist");
  using dec = ConvVideoDecoder.fromCheckpoint(file);
  const z = rand([1, 8, 2, 2, 2], 5);
  const noise = rand([1, 8, 2, 2, 2], 6);
  using zt = toTensor(z);
  using nt = toTensor(noise);
  using y = dec.forward(zt, { noise: nt, timestep: 0.05 });
  const want = decodeRef(file, cfg as unknown as Record<string, unknown>, z, { noise, timestep: 0.05 });
  const e = worst(y, want);
  t.ok(e.maxAbs <= 2e-5 * e.maxRef, `t-cond decode: max err ${e.maxAbs.toExponential(2)} of ${e.maxRef.toFixed(3)}`);
  using y2 = dec.forward(zt, { noise: nt, timestep: 0.5 });
  t.ok(worst(y2, want).maxAbs > 1e-3, "the timestep changes the output (the AdaLN path is live)");
  t.equal(param(file, "vae.decoder.timestep_scale_multiplier").d[0], 1000);
});

t.test("latent upsamplers (spatial x2, temporal x2) and upsample_video match the reference", async (t) => {
  using vae = SafetensorsFile.open(vaePath);
  using enc = VideoEncoder.fromCheckpoint(vae);
  for (const [name, cfg, outShape] of [["spatial", TINY_SPATIAL_UPSAMPLER_CONFIG, [1, 8, 2, 4, 6]], ["temporal", TINY_TEMPORAL_UPSAMPLER_CONFIG, [1, 8, 3, 2, 3]]] as const) {
    const path = join(dir, `up-${name}.safetensors`);
    writeTinyUpsamplerCheckpoint(path, cfg, 3);
    using file = SafetensorsFile.open(path);
    using up = LatentUpsampler.fromCheckpoint(file);
    const z = rand([1, 8, 2, 2, 3], 9);
    using zt = toTensor(z);
    using y = up.forward(zt);
    t.same(y.shape, outShape, `${name}: output shape`);
    const e = worst(y, upsamplerRef(file, cfg as unknown as Record<string, unknown>, z));
    t.ok(e.maxAbs <= 2e-5 * e.maxRef, `${name}: max err ${e.maxAbs.toExponential(2)} of ${e.maxRef.toFixed(3)}`);
    using v = upsampleVideo(zt, enc.perChannelStatistics, up);
    const mean = param(vae, "vae.per_channel_statistics.mean-of-means").d, std = param(vae, "vae.per_channel_statistics.std-of-means").d;
    const want = R.normalize(upsamplerRef(file, cfg as unknown as Record<string, unknown>, R.unNormalize(z, mean, std)), mean, std);
    const ev = worst(v, want);
    t.ok(ev.maxAbs <= 2e-5 * ev.maxRef, `${name} upsample_video (un-normalize, upsample, normalize): ${ev.maxAbs.toExponential(2)}`);
  }
});
