// HiFi-GAN vocoder pieces against the float64 reference, and the full latent → waveform decode.
//
// Bound: f32 compute from the same bf16 weights; dot products have at most 64·15 = 960 terms (the widest
// transposed conv of the tiny model) and the residual sums stay O(1), so f32 rounding stays below ~1e-5 of the
// largest output per block. A wrong slope (0.1 vs 0.01), dilation, padding or kernel flip gives O(1e-1) errors.
import t from "tap";
import { decodeAudio, decodeAudioForVideo, loadAudioDecoder, loadVocoder } from "../../../../src/models/ltx2/audio/load.js";
import { audioLatentFrames, fitWaveformToVideo, videoAudioSamples } from "../../../../src/models/ltx2/audio/duration.js";
import { conv1dSame, ResBlock1, UpsampleStage } from "../../../../src/models/ltx2/audio/vocoder.js";
import { parseVocoderConfig } from "../../../../src/models/ltx2/audio/config.js";
import { GaussianGenerator } from "../../../../src/models/ltx2/components/noisers.js";
import { Tensor } from "../../../../src/runtime/tensor.js";
import { relMaxError, tinyAudio } from "../../../helpers/tinyAudio.js";
import * as ref from "../../../reference/ltx2Audio.js";

const tiny = tinyAudio({ seed: 11 });
t.teardown(() => tiny.close());
const voc = tiny.file.view("vocoder.");
const w = tiny.weights("vocoder.");
const config = parseVocoderConfig(tiny.file.config!.vocoder);

function randomInput(shape: number[], seed: number, scale = 1): { x: Tensor; a: ref.Arr } {
  const v = Float32Array.from(new GaussianGenerator(seed).normal(shape.reduce((p, q) => p * q, 1)), (z) => z * scale);
  return { x: Tensor.from(v, shape, "f32"), a: ref.arr(v, shape) };
}

t.test("dilated 'same' conv1d (folded 2D conv) for lengths that are and are not multiples of the dilation", async (t) => {
  for (const [len, d, k] of [[30, 3, 7], [31, 5, 11], [7, 5, 3], [12, 1, 3]] as const) {
    const { x, a } = randomInput([2, 4, len], len + d);
    const wv = Float32Array.from(new GaussianGenerator(d * 100 + k).normal(4 * 4 * k));
    const bv = Float32Array.from([0.1, -0.2, 0.3, 0]);
    using wt = Tensor.from(wv, [4, 4, k], "f32");
    using bt = Tensor.from(bv, [4], "f32");
    using y = conv1dSame(x, { weight: wt, bias: bt }, d);
    const want = ref.conv1d(a, ref.arr(wv, [4, 4, k]), ref.arr(bv, [4]), (d * (k - 1)) / 2, d);
    t.same(y.shape, [2, 4, len], `len ${len} d ${d}: same length`);
    t.ok(relMaxError(y.toFloat32(), want.data) < 1e-6, `len ${len} d ${d} k ${k}: rel err ${relMaxError(y.toFloat32(), want.data)}`);
  }
});

t.test("one MRF residual block (resblocks.4: kernel 7, dilations 1,3,5)", async (t) => {
  const block = new ResBlock1(voc, "resblocks.4", 16, 7, [1, 3, 5]);
  const { x, a } = randomInput([1, 16, 50], 3);
  using y = block.forward(x);
  const want = ref.resBlock1(a, w, "resblocks.4", 7, [1, 3, 5]);
  const err = relMaxError(y.toFloat32(), want.data);
  t.ok(err < 1e-5, `rel err ${err}`);
  block[Symbol.dispose]();
});

t.test("one upsampling stage (stage 1: rate 5, kernel 15, three MRF blocks)", async (t) => {
  const stage = new UpsampleStage(voc, 1, 32, 5, 15, config);
  const { x, a } = randomInput([2, 32, 12], 4);
  using y = stage.forward(x);
  const want = ref.upsampleStage(a, w, 1, 5, 15, [3, 7, 11], [[1, 3, 5], [1, 3, 5], [1, 3, 5]]);
  t.same(y.shape, [2, 16, 60], "length × rate");
  const err = relMaxError(y.toFloat32(), want.data);
  t.ok(err < 1e-5, `rel err ${err}`);
  stage[Symbol.dispose]();
});

t.test("latent → audio VAE → vocoder: stereo, 240 samples per mel frame, finite, within [-1, 1]", async (t) => {
  const decoder = loadAudioDecoder(tiny.file);
  const vocoder = loadVocoder(tiny.file);
  const frames = 25, fps = 24;
  const T = audioLatentFrames(frames, fps);
  t.equal(T, 26, "round(25/24·25)");
  const { x } = randomInput([2, 2, T, 16], 5);
  const raw = decodeAudio(x, decoder, vocoder);
  t.equal(raw.length, 2, "one waveform per batch item");
  t.equal(raw[0]!.samples.length, 2, "stereo");
  t.equal(raw[0]!.samples[0]!.length, (4 * T - 3) * 240, "(4T−3) mel frames × 240");
  t.equal(vocoder.outputLength(4 * T - 3), (4 * T - 3) * 240);
  t.equal(raw[0]!.sampleRate, 24000);
  const fitted = decodeAudioForVideo(x, decoder, vocoder, frames, fps);
  const target = videoAudioSamples(frames, fps, 24000);
  t.equal(target, 25000);
  for (const wv of fitted) {
    for (const ch of wv.samples) {
      t.equal(ch.length, target, "frames/fps·24000 samples");
      t.ok(ch.every((v) => Number.isFinite(v) && v >= -1 && v <= 1), "finite and in [-1, 1]");
    }
    t.ok(wv.samples[0]!.subarray(0, raw[0]!.samples[0]!.length).some((v) => Math.abs(v) > 1e-3), "not silent");
  }
  t.same(Array.from(fitted[1]!.samples[1]!.subarray(0, 100)), Array.from(raw[1]!.samples[1]!.subarray(0, 100)), "fitting keeps the decoded samples");
  t.ok(fitted[0]!.samples[0]!.subarray(raw[0]!.samples[0]!.length).every((v) => v === 0), "the short tail is zero-padded");
  const unpadded = raw.map((r) => fitWaveformToVideo(r, frames, fps, { pad: false }));
  t.equal(unpadded[0]!.samples[0]!.length, raw[0]!.samples[0]!.length, "pad: false keeps upstream's shorter track");
  // A video shorter than the decoded audio is cut to it.
  const cut = raw.map((r) => fitWaveformToVideo(r, 12, 24));
  t.equal(cut[0]!.samples[0]!.length, 12000);
  decoder[Symbol.dispose]();
  vocoder[Symbol.dispose]();
});

t.test("vocoder input errors", async (t) => {
  const vocoder = loadVocoder(tiny.file);
  t.throws(() => vocoder.forward(Tensor.zeros([1, 1, 5, 64])), /mel must be \[B, 2, T, 64\], got \[1,1,5,64\]/);
  t.throws(() => vocoder.forward(Tensor.zeros([1, 2, 5, 32])), /mel must be/);
  vocoder[Symbol.dispose]();
});
