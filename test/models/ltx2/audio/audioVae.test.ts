// Audio VAE blocks and the whole decoder against the float64 reference, on the tiny checkpoint.
//
// Bound: every engine op computes in f32 from the same bf16 weights, so the only difference from the float64
// reference is f32 rounding. A dot product of n terms errs by at most ~n·2^-24·Σ|terms| and typically
// √n·2^-24·Σ|terms|; here n ≤ 128·9 = 1152 and the pixel norms keep activations O(1), so one block stays
// below ~1e-5 of its largest output and the ~20 layers of the decoder below ~1e-4. A wrong padding side,
// slope, eps or layout moves outputs by O(1e-2..1), far outside these bounds.
import t from "tap";
import { AudioDecoder, AudioEncoder } from "../../../../src/models/ltx2/audio/audioVae.js";
import { Downsample, ResnetBlock, Upsample } from "../../../../src/models/ltx2/audio/audioVaeLayers.js";
import { parseAudioVaeConfig } from "../../../../src/models/ltx2/audio/config.js";
import { loadAudioDecoder, loadAudioEncoder } from "../../../../src/models/ltx2/audio/load.js";
import { GaussianGenerator } from "../../../../src/models/ltx2/components/noisers.js";
import { Tensor } from "../../../../src/runtime/tensor.js";
import { relMaxError, tinyAudio, toArr } from "../../../helpers/tinyAudio.js";
import * as ref from "../../../reference/ltx2Audio.js";

const tiny = tinyAudio({ seed: 7 });
t.teardown(() => tiny.close());
const dec = tiny.file.view("audio_vae.decoder.");
const enc = tiny.file.view("audio_vae.encoder.");

function randomInput(shape: number[], seed: number): { x: Tensor; a: ref.Arr } {
  const v = Float32Array.from(new GaussianGenerator(seed).normal(shape.reduce((p, q) => p * q, 1)));
  return { x: Tensor.from(v, shape, "f32"), a: ref.arr(v, shape) };
}

t.test("one ResnetBlock with a 1×1 shortcut (decoder up.1.block.0, 128→64)", async (t) => {
  const block = new ResnetBlock(dec, "up.1.block.0", 128, 64);
  const { x, a } = randomInput([2, 128, 3, 16], 1);
  using y = block.forward(x);
  const want = ref.resnetBlock(a, tiny.weights("audio_vae.decoder."), "up.1.block.0");
  t.same(y.shape, want.shape);
  t.ok(relMaxError(y.toFloat32(), want.data) < 1e-5, `rel err ${relMaxError(y.toFloat32(), want.data)}`);
  block[Symbol.dispose]();
});

t.test("one Upsample (decoder up.2.upsample): T→2T−1, F→2F", async (t) => {
  const up = new Upsample(dec, "up.2.upsample", 128);
  const { x, a } = randomInput([1, 128, 3, 16], 2);
  using y = up.forward(x);
  const want = ref.upsample(a, tiny.weights("audio_vae.decoder."), "up.2.upsample");
  t.same(y.shape, [1, 128, 5, 32]);
  t.same(want.shape, [1, 128, 5, 32]);
  t.ok(relMaxError(y.toFloat32(), want.data) < 1e-5, `rel err ${relMaxError(y.toFloat32(), want.data)}`);
  up[Symbol.dispose]();
});

t.test("one Downsample (encoder down.0.downsample): T→⌈T/2⌉, F→F/2", async (t) => {
  const down = new Downsample(enc, "down.0.downsample", 32);
  for (const T of [9, 10]) {
    const { x, a } = randomInput([1, 32, T, 64], 3 + T);
    using y = down.forward(x);
    const want = ref.downsample(a, tiny.weights("audio_vae.encoder."), "down.0.downsample");
    t.same(y.shape, [1, 32, Math.ceil(T / 2), 32]);
    t.same(want.shape, y.shape);
    t.ok(relMaxError(y.toFloat32(), want.data) < 1e-5, `T=${T}: rel err ${relMaxError(y.toFloat32(), want.data)}`);
  }
  down[Symbol.dispose]();
});

t.test("whole decoder against the reference (per-channel statistics, mid, up path, conv_out)", async (t) => {
  const decoder = loadAudioDecoder(tiny.file);
  const { x, a } = randomInput([2, 2, 3, 16], 5);
  using mel = decoder.decode(x);
  t.same(mel.shape, [2, 2, 9, 64], "4T−3 mel frames, 64 bins");
  const w = tiny.weights("audio_vae.decoder.");
  const st = tiny.weights("audio_vae.per_channel_statistics.");
  let h = ref.unNormalize(a, st("std-of-means"), st("mean-of-means"));
  h = ref.causalConv2d(h, w("conv_in.conv.weight"), w("conv_in.conv.bias"));
  h = ref.resnetBlock(ref.resnetBlock(h, w, "mid.block_1"), w, "mid.block_2");
  for (const level of [2, 1, 0]) {
    for (const i of [0, 1]) h = ref.resnetBlock(h, w, `up.${level}.block.${i}`);
    if (level) h = ref.upsample(h, w, `up.${level}.upsample`);
  }
  h = ref.causalConv2d(ref.silu(ref.pixelNorm(h, 1e-6)), w("conv_out.conv.weight"), w("conv_out.conv.bias"));
  t.same(h.shape, [2, 2, 9, 64]);
  const err = relMaxError(mel.toFloat32(), h.data);
  t.ok(err < 1e-4, `rel err ${err}`);
  // Causality: changing the last latent frame leaves every mel frame before its span (4·2−3 = 5) unchanged.
  const v = x.toFloat32();
  for (let b = 0; b < 2; b++) for (let c = 0; c < 2; c++) for (let f = 0; f < 16; f++) {
    const i = ((b * 2 + c) * 3 + 2) * 16 + f;
    v[i] = v[i]! + 1;
  }
  using mel2 = decoder.decode(Tensor.from(v, [2, 2, 3, 16], "f32"));
  const m1 = mel.toFloat32(), m2 = mel2.toFloat32();
  let early = 0, late = 0;
  for (let i = 0; i < m1.length; i++) {
    const frame = Math.floor(i / 64) % 9;
    const d = Math.abs(m1[i]! - m2[i]!);
    if (frame < 5) early = Math.max(early, d); else late = Math.max(late, d);
  }
  t.equal(early, 0, "frames before the changed latent are untouched");
  t.ok(late > 1e-3, "later frames change");
  decoder[Symbol.dispose]();
});

t.test("decoder accepts bf16 latents and a single latent frame", async (t) => {
  const decoder = loadAudioDecoder(tiny.file);
  const { x } = randomInput([1, 2, 1, 16], 6);
  using xb = x.cast("bf16");
  using mel = decoder.decode(xb);
  t.same(mel.shape, [1, 2, 1, 64], "max(4·1−3, 1) = 1 frame");
  t.ok(mel.toFloat32().every(Number.isFinite));
  t.equal(AudioDecoder.melFrames(126), 501);
  decoder[Symbol.dispose]();
});

t.test("encoder: shape, normalization and reference agreement", async (t) => {
  const encoder = loadAudioEncoder(tiny.file);
  const { x, a } = randomInput([1, 2, 9, 64], 8);
  using z = encoder.encode(x);
  t.same(z.shape, [1, 2, 3, 16], "⌈9/4⌉ = 3 latent frames of 16 bins");
  const w = tiny.weights("audio_vae.encoder.");
  const st = tiny.weights("audio_vae.per_channel_statistics.");
  let h = ref.causalConv2d(a, w("conv_in.conv.weight"), w("conv_in.conv.bias"));
  for (const level of [0, 1, 2]) {
    h = ref.resnetBlock(h, w, `down.${level}.block.0`);
    if (level < 2) h = ref.downsample(h, w, `down.${level}.downsample`);
  }
  h = ref.resnetBlock(ref.resnetBlock(h, w, "mid.block_1"), w, "mid.block_2");
  h = ref.causalConv2d(ref.silu(ref.pixelNorm(h, 1e-6)), w("conv_out.conv.weight"), w("conv_out.conv.bias"));
  // Means are the first z channels; then (x − mean)/std on the patchified vector (c-major).
  const std = st("std-of-means").data, mean = st("mean-of-means").data;
  const want = new Float64Array(2 * 3 * 16);
  for (let c = 0; c < 2; c++) for (let tt = 0; tt < 3; tt++) for (let f = 0; f < 16; f++) {
    want[(c * 3 + tt) * 16 + f] = (h.data[(c * 3 + tt) * 16 + f]! - mean[c * 16 + f]!) / std[c * 16 + f]!;
  }
  const err = relMaxError(z.toFloat32(), want);
  t.ok(err < 1e-4, `rel err ${err}`);
  encoder[Symbol.dispose]();
});

t.test("input shape errors", async (t) => {
  const decoder = loadAudioDecoder(tiny.file);
  const encoder = new AudioEncoder(tiny.file, parseAudioVaeConfig(tiny.file.config!.audio_vae));
  t.throws(() => decoder.decode(Tensor.zeros([1, 8, 3, 16])), /latent must be \[B, 2, T, 16\], got \[1,8,3,16\]/);
  t.throws(() => decoder.decode(Tensor.zeros([2, 3, 16])), /latent must be/);
  t.throws(() => encoder.encode(Tensor.zeros([1, 2, 9, 32])), /mel must be \[B, 2, T, 64\]/);
  decoder[Symbol.dispose]();
  encoder[Symbol.dispose]();
});
