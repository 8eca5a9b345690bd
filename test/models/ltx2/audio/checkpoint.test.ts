// Config validation, checkpoint errors (missing key, wrong shape), the tiny generator and duration helpers.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { SafetensorsFile } from "../../../../src/checkpoint/safetensors.js";
import { writeSafetensors } from "../../../../src/checkpoint/safetensorsWriter.js";
import { parseAudioVaeConfig, parseVocoderConfig } from "../../../../src/models/ltx2/audio/config.js";
import { audioLatentFrames, pyRound, videoAudioSamples } from "../../../../src/models/ltx2/audio/duration.js";
import { type AudioCheckpoint, loadAudioDecoder, loadAudioEncoder, loadVocoder } from "../../../../src/models/ltx2/audio/load.js";
import { tinyAudioConfigs, tinyAudioWeights } from "../../../../src/models/ltx2/audio/tinyAudio.js";

// The released LTX-2 audio VAE config (as published in checkpoint metadata) and a 2.0 vocoder config.
const released = {
  model: {
    params: {
      ddconfig: {
        double_z: true, mel_bins: 64, z_channels: 8, resolution: 256, downsample_time: false, in_channels: 2, out_ch: 2,
        ch: 128, ch_mult: [1, 2, 4], num_res_blocks: 2, attn_resolutions: [], dropout: 0.0, mid_block_add_attention: false,
        norm_type: "pixel", causality_axis: "height",
      },
      sampling_rate: 16000,
    },
  },
  preprocessing: { stft: { filter_length: 1024, hop_length: 160, win_length: 1024, causal: true }, mel: { n_mel_channels: 64, mel_fmin: 0, mel_fmax: 8000 } },
};
const vocoder20 = {
  upsample_initial_channel: 1024, resblock: "1", upsample_rates: [6, 5, 2, 2, 2], upsample_kernel_sizes: [16, 15, 8, 4, 4],
  resblock_kernel_sizes: [3, 7, 11], resblock_dilation_sizes: [[1, 3, 5], [1, 3, 5], [1, 3, 5]], stereo: true,
};

const withDd = (patch: Record<string, unknown>) => {
  const c = structuredClone(released) as typeof released & { model: { params: { ddconfig: Record<string, unknown> } } };
  Object.assign(c.model.params.ddconfig, patch);
  for (const [k, v] of Object.entries(patch)) if (v === undefined) delete c.model.params.ddconfig[k];
  return c;
};

t.test("released configs parse to the documented shapes", async (t) => {
  const a = parseAudioVaeConfig(released);
  t.match(a, { ch: 128, chMult: [1, 2, 4], numResBlocks: 2, zChannels: 8, melBins: 64, latentMelBins: 16, sampleRate: 16000, hopLength: 160, nFft: 1024 });
  const v = parseVocoderConfig(vocoder20);
  t.match(v, { upsampleInitialChannel: 1024, upsampleRates: [6, 5, 2, 2, 2], outputSamplingRate: 24000, useTanhAtFinal: true, useBiasAtFinal: true });
  const tiny = tinyAudioConfigs();
  t.match(parseAudioVaeConfig(tiny.audio_vae), { ch: 32, zChannels: 2, latentMelBins: 16 });
  t.same(Object.keys((tiny.audio_vae as typeof released).model.params.ddconfig).sort(), Object.keys(released.model.params.ddconfig).sort(), "tiny uses the released ddconfig schema");
  t.same(Object.keys(tiny.vocoder).filter((k) => k !== "output_sampling_rate").sort(), Object.keys(vocoder20).sort(), "tiny uses the released vocoder schema");
});

t.test("config errors name the key", async (t) => {
  const dd = "audio_vae.model.params.ddconfig";
  t.throws(() => parseAudioVaeConfig(withDd({ foo: 1 })), { code: "ERR_AIPROD_BAD_CONFIG", message: new RegExp(`'${dd}.foo' is an unknown key`) });
  t.throws(() => parseAudioVaeConfig(withDd({ ch: 64 })), { message: new RegExp(`'${dd}.ch' \\(64\\) must equal z_channels`) });
  t.throws(() => parseAudioVaeConfig(withDd({ mid_block_add_attention: undefined })), { message: new RegExp(`'${dd}.mid_block_add_attention' is true`) });
  t.throws(() => parseAudioVaeConfig(withDd({ attn_resolutions: [16] })), { message: /attn_resolutions' is \[16\]/ });
  t.throws(() => parseAudioVaeConfig(withDd({ norm_type: "group" })), { message: /norm_type' is "group"/ });
  t.throws(() => parseAudioVaeConfig(withDd({ causality_axis: "width" })), { message: /causality_axis' is "width"/ });
  t.throws(() => parseAudioVaeConfig(withDd({ ch_mult: [1, 2] })), { message: /ch_mult' has 2 levels/ });
  t.throws(() => parseAudioVaeConfig(withDd({ num_res_blocks: 0 })), { message: /num_res_blocks' must be an integer ≥ 1/ });
  t.throws(() => parseAudioVaeConfig(undefined), { message: /'audio_vae' is missing/ });
  t.throws(() => parseVocoderConfig({ ...vocoder20, resblock: undefined }), { message: /'vocoder.resblock' is undefined/ });
  t.throws(() => parseVocoderConfig({ vocoder: {}, bwe: {} }), { message: /'vocoder.bwe' is present/ });
  t.throws(() => parseVocoderConfig({ ...vocoder20, upsample_kernel_sizes: [16, 15] }), { message: /upsample_kernel_sizes' has 2 entries/ });
  t.throws(() => parseVocoderConfig({ ...vocoder20, resblock_dilation_sizes: [[1, 3], [1, 3], [1, 3]] }), { message: /resblock_dilation_sizes' must be 3 triples/ });
  t.throws(() => parseVocoderConfig({ ...vocoder20, stereo: false }), { message: /'vocoder.stereo' is false/ });
});

t.test("tiny weights: deterministic bf16, released key names", async (t) => {
  const c = tinyAudioConfigs();
  const a = tinyAudioWeights(c, 3), b = tinyAudioWeights(c, 3), d = tinyAudioWeights(c, 4);
  t.same([...a.keys()], [...b.keys()]);
  const key = "vocoder.resblocks.14.convs2.2.weight";
  t.ok(a.has(key), "5 stages × 3 MRF blocks");
  t.same(a.get(key)!.data, b.get(key)!.data, "same seed → same bits");
  t.notSame(a.get(key)!.data, d.get(key)!.data, "other seed → other bits");
  t.ok([...a.values()].every((e) => e.dtype === "bf16" && e.data instanceof Uint16Array));
  for (const k of ["audio_vae.decoder.up.1.upsample.conv.conv.weight", "audio_vae.encoder.down.0.downsample.conv.weight",
    "audio_vae.decoder.up.0.block.0.nin_shortcut.conv.weight", "audio_vae.per_channel_statistics.std-of-means", "vocoder.conv_post.bias"]) {
    t.ok(a.has(k), k);
  }
  t.notOk(a.has("audio_vae.decoder.up.0.upsample.conv.conv.weight"), "level 0 has no upsample");
  t.same(a.get("vocoder.ups.0.weight")!.shape, [64, 32, 16], "ConvTranspose1d weight [Cin, Cout, K]");
  t.same(a.get("vocoder.conv_pre.weight")!.shape, [64, 128, 7]);
});

t.test("the loaders read every generated key and nothing else (key names match the module structure)", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "aiprod-audio-keys-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const c = tinyAudioConfigs({ zChannels: 1, numResBlocks: 2 });
  const weights = tinyAudioWeights(c, 2);
  const path = join(dir, "k.safetensors");
  writeSafetensors(path, weights, { config: JSON.stringify(c) });
  using file = SafetensorsFile.open(path);
  const read = new Set<string>();
  const recording: AudioCheckpoint = {
    get name() { return file.name; },
    get config() { return file.config; },
    keys: () => file.keys(),
    has: (k) => file.has(k),
    info: (k) => file.info(k),
    tensor: (k) => {
      read.add(k);
      return file.tensor(k);
    },
    view(prefix) {
      return new Proxy(file.view(prefix), {
        get: (target, prop) => (prop === "tensor" ? (k: string) => recording.tensor(prefix + k) :
          prop === "view" ? (p: string) => recording.view(prefix + p) : Reflect.get(target, prop)),
      });
    },
  };
  const models = [loadAudioDecoder(recording), loadAudioEncoder(recording), loadVocoder(recording)];
  t.same([...read].sort(), [...weights.keys()].sort());
  for (const m of models) m[Symbol.dispose]();
});

t.test("checkpoint errors: missing config, missing key, wrong shape", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "aiprod-audio-ckpt-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const c = tinyAudioConfigs();
  const weights = tinyAudioWeights(c, 1);
  const meta = { config: JSON.stringify(c) };

  const noConfig = join(dir, "noconfig.safetensors");
  writeSafetensors(noConfig, weights);
  using f0 = SafetensorsFile.open(noConfig);
  t.throws(() => loadAudioDecoder(f0), { code: "ERR_AIPROD_BAD_CONFIG", message: /has no __metadata__.config/ });

  const missing = new Map(weights);
  missing.delete("audio_vae.decoder.up.1.block.0.nin_shortcut.conv.weight");
  missing.delete("vocoder.resblocks.7.convs1.1.bias");
  missing.delete("audio_vae.per_channel_statistics.mean-of-means");
  const pMissing = join(dir, "missing.safetensors");
  writeSafetensors(pMissing, missing, meta);
  using f1 = SafetensorsFile.open(pMissing);
  t.throws(() => loadAudioDecoder(f1), { code: "ERR_AIPROD_MISSING_WEIGHT", message: /'mean-of-means'/ });
  t.throws(() => loadVocoder(f1), { code: "ERR_AIPROD_MISSING_WEIGHT", message: /'resblocks.7.convs1.1.bias'/ });

  const bad = new Map(weights);
  bad.set("audio_vae.encoder.mid.block_2.conv1.conv.weight", { dtype: "bf16", shape: [128, 128, 3, 1], data: new Uint16Array(128 * 128 * 3) });
  const pBad = join(dir, "bad.safetensors");
  writeSafetensors(pBad, bad, meta);
  using f2 = SafetensorsFile.open(pBad);
  t.throws(() => loadAudioEncoder(f2), { code: "ERR_AIPROD_BAD_WEIGHT", message: /'mid.block_2.conv1.conv.weight' .* has shape \[128,128,3,1\], expected \[128,128,3,3\]/ });
  const dec = loadAudioDecoder(f2);
  t.pass("the decoder does not need the broken encoder weight");
  dec[Symbol.dispose]();
});

t.test("duration: upstream rounding of the audio latent and sample counts", async (t) => {
  t.equal(pyRound(2.5), 2, "Python rounds halves to even");
  t.equal(pyRound(3.5), 4);
  t.equal(pyRound(-0.5), -0);
  t.equal(audioLatentFrames(121, 24), 126, "121 frames at 24 fps → round(126.04)");
  t.equal(audioLatentFrames(1, 50), 0, "0.5 latent rounds to even (0)");
  t.equal(videoAudioSamples(121, 24, 24000), 121000);
  t.equal(videoAudioSamples(97, 30, 24000), 77600);
  t.throws(() => audioLatentFrames(0, 24), /frames must be a positive integer/);
  t.throws(() => videoAudioSamples(10, 0, 24000), /fps must be a positive number/);
});
