// Clear errors: config problems name the config key, checkpoint problems name the weight key, bad inputs say
// what was expected (8k+1 frames are cropped like upstream; sizes not divisible by 32, channel mismatches and
// latents too small for reflect padding are errors).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { SafetensorsFile } from "../../../../src/checkpoint/safetensors.js";
import { writeSafetensors } from "../../../../src/checkpoint/safetensorsWriter.js";
import { parseLatentUpsamplerConfig } from "../../../../src/models/ltx2/upsampler/config.js";
import { LatentUpsampler } from "../../../../src/models/ltx2/upsampler/model.js";
import { TINY_SPATIAL_UPSAMPLER_CONFIG, tinyUpsamplerWeights } from "../../../../src/models/ltx2/upsampler/tinyUpsampler.js";
import { parseVideoVaeConfig } from "../../../../src/models/ltx2/vae/config.js";
import { ConvVideoDecoder } from "../../../../src/models/ltx2/vae/convVideoDecoder.js";
import { TINY_VAE_CONFIG, tinyVaeWeights, writeTinyVaeCheckpoint } from "../../../../src/models/ltx2/vae/tinyVae.js";
import { VideoEncoder } from "../../../../src/models/ltx2/vae/videoVae.js";
import { Tensor } from "../../../../src/runtime/tensor.js";

const dir = mkdtempSync(join(tmpdir(), "aiprod-vae-errors-"));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const base = TINY_VAE_CONFIG as unknown as Record<string, unknown>;
const blocks = (key: "encoder_blocks" | "decoder_blocks", i: number, entry: unknown) => {
  const list = [...(base[key] as unknown[])];
  list[i] = entry;
  return { ...base, [key]: list };
};

t.test("config errors name the key", async (t) => {
  t.throws(() => parseVideoVaeConfig(undefined), { message: /config\.vae is missing/ });
  t.throws(() => parseVideoVaeConfig({ ...base, encoder_blocks: undefined }), { message: /config\.vae\.encoder_blocks is missing/ });
  t.throws(() => parseVideoVaeConfig(blocks("encoder_blocks", 1, ["compress_sideways", {}])), { message: /config\.vae\.encoder_blocks\[1\] is unknown block 'compress_sideways'/ });
  t.throws(() => parseVideoVaeConfig(blocks("decoder_blocks", 0, ["compress_all_res", {}])), { message: /config\.vae\.decoder_blocks\[0\] is unknown block 'compress_all_res'/ }, "an encoder-only block in the decoder");
  t.throws(() => parseVideoVaeConfig(blocks("encoder_blocks", 2, ["attn", {}])), { message: /encoder_blocks\[2\] is block 'attn', which this engine does not implement/ });
  t.throws(() => parseVideoVaeConfig(blocks("encoder_blocks", 0, ["res_x", { num_layers: 0 }])), { message: /encoder_blocks\[0\]\[1\]\.num_layers must be a positive integer, got 0/ });
  t.throws(() => parseVideoVaeConfig(blocks("decoder_blocks", 5, ["compress_all", { residual: "yes", multiplier: 2 }])), { message: /decoder_blocks\[5\]\[1\]\.residual must be true or false/ });
  t.throws(() => parseVideoVaeConfig(blocks("decoder_blocks", 3, ["compress_space", { multiplier: 2 }])), { message: /config\.vae\.decoder_blocks compress 4x64x64 but encoder_blocks compress 8x32x32/ }, "inconsistent compression");
  t.throws(() => parseVideoVaeConfig(blocks("encoder_blocks", 6, ["compress_all_res", { multiplier: 3 }])), { message: /encoder_blocks\[6\].*output channels divisible by 8/ });
  t.throws(() => parseVideoVaeConfig(blocks("decoder_blocks", 7, ["compress_all", { residual: true, multiplier: 3 }])),
    { message: /decoder_blocks\[7\] \(compress_all, residual\) needs 192 channels divisible by 8 and 8 by the multiplier 3/ }, "the residual repeat count must be whole");
  t.throws(() => parseVideoVaeConfig({ ...base, spatial_padding_mode: "circular" }), { message: /config\.vae\.spatial_padding_mode is "circular"; expected one of zeros, reflect, replicate/ });
  t.throws(() => parseVideoVaeConfig({ ...base, norm_layer: "group_norm" }), { message: /config\.vae\.norm_layer is group_norm/ });
  t.throws(() => parseVideoVaeConfig({ ...base, latent_channels: -1 }), { message: /config\.vae\.latent_channels must be a positive integer/ });
  t.throws(() => parseVideoVaeConfig({ ...base, _class_name: "CausalDiffusionVAE" }), { message: /config\.vae\._class_name/ });
  t.throws(() => parseLatentUpsamplerConfig({ mid_channels: 48 }), { message: /config\.mid_channels is 48; GroupNorm\(32\) needs a multiple of 32/ });
  t.throws(() => parseLatentUpsamplerConfig({ rational_resampler: true }), { message: /config\.rational_resampler is true/ });
  // Upstream defaults apply to keys left out: the real LTX-2 values except timestep_conditioning (upstream true).
  const c = parseVideoVaeConfig({ encoder_blocks: base.encoder_blocks, decoder_blocks: base.decoder_blocks, latent_channels: 8, decoder_base_channels: 8 });
  t.same([c.patchSize, c.encoderSpatialPaddingMode, c.decoderSpatialPaddingMode, c.causalDecoder, c.timestepConditioning, c.latentLogVar], [4, "zeros", "reflect", false, true, "uniform"]);
  t.same(c.scale, { time: 8, height: 32, width: 32 });
  const z = parseVideoVaeConfig({ ...base, spatial_padding_mode: "zeros" });
  t.same([z.encoderSpatialPaddingMode, z.decoderSpatialPaddingMode], ["zeros", "zeros"], "spatial_padding_mode sets both (upstream's flat layout)");
});

t.test("checkpoint errors name the missing or misshapen key", async (t) => {
  const weights = tinyVaeWeights(TINY_VAE_CONFIG, 1);
  const meta = { config: JSON.stringify({ vae: TINY_VAE_CONFIG }) };
  const missing = new Map(weights);
  missing.delete("vae.decoder.up_blocks.3.conv.conv.weight");
  const p1 = join(dir, "missing.safetensors");
  writeSafetensors(p1, missing, meta);
  using f1 = SafetensorsFile.open(p1);
  t.throws(() => ConvVideoDecoder.fromCheckpoint(f1), { code: "ERR_AIPROD_MISSING_WEIGHT", message: /'up_blocks\.3\.conv\.conv\.weight'/ });
  const wrong = new Map(weights);
  const e = wrong.get("vae.encoder.down_blocks.1.conv.conv.weight")!;
  wrong.set("vae.encoder.down_blocks.1.conv.conv.weight", { ...e, shape: [e.shape[1]!, e.shape[0]!, 3, 3, 3] });
  const p2 = join(dir, "wrong.safetensors");
  writeSafetensors(p2, wrong, meta);
  using f2 = SafetensorsFile.open(p2);
  t.throws(() => VideoEncoder.fromCheckpoint(f2), { code: "ERR_AIPROD_BAD_WEIGHT", message: /'down_blocks\.1\.conv\.conv\.weight' has shape \[8,4,3,3,3\], expected \[4,8,3,3,3\]/ });
  const stats = new Map(weights);
  stats.delete("vae.per_channel_statistics.std-of-means");
  const p3 = join(dir, "stats.safetensors");
  writeSafetensors(p3, stats, meta);
  using f3 = SafetensorsFile.open(p3);
  t.throws(() => VideoEncoder.fromCheckpoint(f3), { message: /'std-of-means'/ });
  const p4 = join(dir, "noconfig.safetensors");
  writeSafetensors(p4, weights);
  using f4 = SafetensorsFile.open(p4);
  t.throws(() => ConvVideoDecoder.fromCheckpoint(f4), { code: "ERR_AIPROD_BAD_CONFIG", message: /has no __metadata__\.config\.vae/ });
  const up = tinyUpsamplerWeights(TINY_SPATIAL_UPSAMPLER_CONFIG);
  up.delete("post_upsample_res_blocks.0.norm2.bias");
  const p5 = join(dir, "up.safetensors");
  writeSafetensors(p5, up, { config: JSON.stringify(TINY_SPATIAL_UPSAMPLER_CONFIG) });
  using f5 = SafetensorsFile.open(p5);
  t.throws(() => LatentUpsampler.fromCheckpoint(f5), { message: /'post_upsample_res_blocks\.0\.norm2\.bias'/ });
});

t.test("input errors: sizes not divisible by 32, channel mismatches, too-small latents; frames cropped to 8k+1", async (t) => {
  const path = join(dir, "tiny.safetensors");
  writeTinyVaeCheckpoint(path);
  using file = SafetensorsFile.open(path);
  using enc = VideoEncoder.fromCheckpoint(file);
  using dec = ConvVideoDecoder.fromCheckpoint(file);
  using odd = Tensor.zeros([1, 3, 9, 48, 64]);
  t.throws(() => enc.forward(odd), { message: /encode needs height and width divisible by 32, got 48x64/ });
  using gray = Tensor.zeros([1, 1, 9, 64, 64]);
  t.throws(() => enc.forward(gray), { message: /encode needs 3 channels, got 1/ });
  using flat = Tensor.zeros([3, 9, 64, 64]);
  t.throws(() => enc.forward(flat), { message: /encode needs a video \[B, 3, F, H, W\]/ });
  using ten = Tensor.zeros([1, 3, 10, 64, 64]);
  using z = enc.forward(ten);
  t.equal(z.shape[2], 2, "10 frames are cropped to 9 (upstream drops the last (F-1) mod 8)");
  t.throws(() => enc.forward(ten, { cropFrames: false }), { message: /encode needs 8k\+1 frames, got 10 \(pass cropFrames: true to drop the last 1\)/ });
  using wide = Tensor.zeros([1, 128, 2, 2, 2]);
  t.throws(() => dec.forward(wide), { message: /decode needs 8 latent channels \(the VAE's latent_channels\), got 128/ });
  t.throws(() => [...dec.decodeVideo(wide)], { message: /decode needs 8 latent channels/ });
  using small = Tensor.zeros([1, 8, 2, 1, 2]);
  t.throws(() => dec.forward(small), { message: /reflect padding needs a latent at least 2x2 \(64x64 pixels\), got 1x2/ });
  using two = Tensor.zeros([2, 8, 1, 2, 2]);
  t.throws(() => [...dec.decodeVideo(two)], { message: /decodeVideo takes one latent at a time, got batch 2/ });
  using ok = Tensor.zeros([1, 8, 2, 2, 2]);
  t.throws(() => [...dec.decodeVideo(ok, { frames: { tileSize: 20, overlap: 8 }, height: { tileSize: 0, overlap: 0 }, width: { tileSize: 0, overlap: 0 } })],
    { message: /frames: tile size must be divisible by 8, got 20/ });
  t.throws(() => [...dec.decodeVideo(ok, { frames: { tileSize: 0, overlap: 0 }, height: { tileSize: 64, overlap: 64 }, width: { tileSize: 0, overlap: 0 } })],
    { message: /height: overlap 64 must be less than the tile size 64/ });
});

t.test("the tiny generator is deterministic and every key it writes is one the model reads", async (t) => {
  const a = tinyVaeWeights(TINY_VAE_CONFIG, 3), b = tinyVaeWeights(TINY_VAE_CONFIG, 3), c = tinyVaeWeights(TINY_VAE_CONFIG, 4);
  const bits = (m: typeof a) => {
    let h = 0x811c9dc5;
    for (const e of m.values()) for (const v of e.data as Uint16Array) h = Math.imul(h ^ v, 0x01000193) >>> 0;
    return h;
  };
  t.equal(bits(a), bits(b), "same seed, same bits");
  t.not(bits(a), bits(c), "another seed, other bits");
  t.ok([...a.keys()].every((k) => k.startsWith("vae.")), "keys carry the vae. prefix");
  // Load through a source that records what is read.
  const path = join(dir, "keys.safetensors");
  writeTinyVaeCheckpoint(path, TINY_VAE_CONFIG, 3);
  using file = SafetensorsFile.open(path);
  const read = new Set<string>();
  const spy = (prefix: string) => {
    const v = file.view(prefix);
    return { ...v, name: v.name, keys: () => v.keys(), has: (k: string) => v.has(k), view: (p: string) => v.view(p),
      info: (k: string) => (read.add(prefix + k), v.info(k)), tensor: (k: string) => v.tensor(k) };
  };
  const cfg = parseVideoVaeConfig(TINY_VAE_CONFIG);
  new VideoEncoder(cfg, spy("vae.encoder."), spy("vae.per_channel_statistics.")).dispose();
  new ConvVideoDecoder(cfg, spy("vae.decoder."), spy("vae.per_channel_statistics.")).dispose();
  const unread = [...a.keys()].filter((k) => !read.has(k));
  t.same(unread, ["vae.per_channel_statistics.mean-of-stds"], "only the unused mean-of-stds statistic is not read");
  t.ok(file.keys().some((k) => k === "vae.decoder.up_blocks.1.conv.conv.weight") && file.keys().some((k) => k === "vae.encoder.down_blocks.1.conv.conv.weight"), "upstream key names");
});
