// The LTX-2 transformer and text connector on a tiny checkpoint in the real layout, against the float64
// reference written from the architecture document (test/reference/ltx2Transformer.ts).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { SafetensorsFile } from "../../../src/checkpoint/safetensors.js";
import { TRANSFORMER_PREFIX } from "../../../src/models/ltx2/checkpoint/layout.js";
import { TINY_TEXT_LAYERS, TINY_TRANSFORMER_CONFIG, TINY_TRANSFORMER_CONFIG_2_3, writeTinyLtx2Checkpoint } from "../../../src/models/ltx2/checkpoint/tinyCheckpoint.js";
import { loadLtx2TextSide, loadLtx2Transformer, randomLtx2Transformer } from "../../../src/models/ltx2/loadTransformer.js";
import { reorderWithRegisters } from "../../../src/models/ltx2/text/embeddingsConnector.js";
import { normAndConcat, perTokenRmsConcat } from "../../../src/models/ltx2/text/featureExtractor.js";
import type { ModalityInput } from "../../../src/models/ltx2/transformer/model.js";
import { audioPositions, videoPositions } from "../../../src/models/ltx2/transformer/positions.js";
import { ropeTables } from "../../../src/models/ltx2/transformer/rope.js";
import { Tensor } from "../../../src/index.js";
import { randn, roundBf16 } from "../../helpers/reference.js";
import { connectorForward, ltx2Forward, type RefModality, ropeTable, type Weights } from "../../reference/ltx2Transformer.js";

const dir = mkdtempSync(join(tmpdir(), "aiprod-ltx2-"));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const f32Path = join(dir, "tiny-f32.safetensors");
const bf16Path = join(dir, "tiny-bf16.safetensors");
writeTinyLtx2Checkpoint(f32Path, { seed: 7, dtype: "f32" });
writeTinyLtx2Checkpoint(bf16Path, { seed: 7, dtype: "bf16" });

function weightsOf(file: SafetensorsFile, prefix: string): Weights {
  const w: Weights = new Map();
  for (const k of file.keys()) {
    if (!k.startsWith(prefix)) continue;
    using x = file.tensor(k);
    w.set(k.slice(prefix.length), { data: Float64Array.from(x.toFloat32()), shape: x.shape });
  }
  return w;
}

const grid = { frames: 2, height: 2, width: 3 };
const fps = 24;
const tv = grid.frames * grid.height * grid.width, ta = 5, S = 128, C = TINY_TRANSFORMER_CONFIG.caption_channels;

function inputs(seed: number, contextDims: [number, number] = [C, C]) {
  const vLatent = randn(tv * 128, seed), aLatent = randn(ta * 128, seed + 1);
  const vCtx = randn(S * contextDims[0], seed + 2), aCtx = randn(S * contextDims[1], seed + 3);
  // First latent frame kept clean (mask 0, like an image conditioning), the rest at σ.
  const sigma = 0.7;
  const vT = Float32Array.from({ length: tv }, (_, i) => (i < grid.height * grid.width ? 0 : sigma));
  const aT = new Float32Array(ta).fill(sigma);
  const vPos = videoPositions(grid, fps), aPos = audioPositions(ta);
  const engine = (): [ModalityInput, ModalityInput] => [
    { latent: Tensor.from(vLatent, [1, tv, 128]), timesteps: vT, sigma: Float32Array.of(sigma), positions: vPos, context: Tensor.from(vCtx, [1, S, contextDims[0]]) },
    { latent: Tensor.from(aLatent, [1, ta, 128]), timesteps: aT, sigma: Float32Array.of(sigma), positions: aPos, context: Tensor.from(aCtx, [1, S, contextDims[1]]) },
  ];
  const axes = (p: { data: Float32Array; dims: number; tokens: number }) =>
    Array.from({ length: p.dims }, (_, a) => Array.from({ length: p.tokens }, (_, i) => [p.data[(a * p.tokens + i) * 2]!, p.data[(a * p.tokens + i) * 2 + 1]!] as [number, number]));
  const ref: [RefModality, RefModality] = [
    { latent: Float64Array.from(vLatent), tokens: tv, timesteps: Float64Array.from(vT), sigma, positions: axes(vPos), context: Float64Array.from(vCtx), contextTokens: S },
    { latent: Float64Array.from(aLatent), tokens: ta, timesteps: Float64Array.from(aT), sigma, positions: axes(aPos), context: Float64Array.from(aCtx), contextTokens: S },
  ];
  return { engine, ref };
}

// f32 weights: upstream's f32 run keeps f32 activations, so its RoPE tables are f32 (bf16 runs: bf16 tables).
const refConfig = {
  heads: 2, headDim: 8, audioHeads: 2, audioHeadDim: 4, layers: 2, captionChannels: C, maxPos: [20, 2048, 2048], audioMaxPos: [20],
  crossDim: 8, theta: 10000, avCaMultiplier: 1000, ropeDtype: "f32" as const,
};
const refConfigBf16 = { ...refConfig, ropeDtype: "bf16" as const };

/** max |got − want| / max |want|: one number per output, bounded below. */
function relError(got: Float32Array, want: Float64Array): number {
  let err = 0, scale = 0;
  for (let i = 0; i < want.length; i++) {
    err = Math.max(err, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return err / scale;
}

t.test("video and audio positions follow the pixel/second grid with the causal first-frame fix", async (t) => {
  const p = videoPositions({ frames: 2, height: 1, width: 2 }, 24);
  // token 0: frame 0 -> [0, 1)/24; token 2: frame 1 -> [1, 9)/24; columns [32w, 32w+32)
  t.same(Array.from(p.data.subarray(0, 2)), [0, Math.fround(1 / 24)]);
  t.same(Array.from(p.data.subarray(4, 6)), [Math.fround(1 / 24), Math.fround(9 / 24)]);
  t.same(Array.from(p.data.subarray((2 * 4 + 1) * 2, (2 * 4 + 1) * 2 + 2)), [32, 64], "w axis of token 1");
  const a = audioPositions(3);
  t.same(Array.from(a.data), [0, 0.01, 0.01, 0.05, 0.05, 0.09].map(Math.fround));
});

t.test("RoPE tables equal the float64 formula (after the bf16 rounding upstream applies)", async (t) => {
  const pos = videoPositions({ frames: 3, height: 2, width: 2 }, 25);
  const { cos, sin } = ropeTables(pos, [20, 2048, 2048], 10000, 64, 4, "bf16");
  const axes = Array.from({ length: 3 }, (_, a) => Array.from({ length: pos.tokens }, (_, i) => [pos.data[(a * pos.tokens + i) * 2]!, pos.data[(a * pos.tokens + i) * 2 + 1]!] as [number, number]));
  const ref = ropeTable(axes, [20, 2048, 2048], 10000, 64);
  const c = cos.toFloat32(), s = sin.toFloat32();
  let worst = 0;
  for (let i = 0; i < pos.tokens; i++) for (let k = 0; k < 32; k++) {
    worst = Math.max(worst, Math.abs(c[i * 32 + k]! - ref.cos[i]![k]!), Math.abs(s[i * 32 + k]! - ref.sin[i]![k]!));
  }
  // f32 angles vs float64 angles can land on neighbouring bf16 values: one bf16 step at |v| ≤ 1 is 2^-8.
  t.ok(worst <= 2 ** -8, `worst cos/sin difference ${worst}`);
  t.same(Array.from(c.subarray(0, 2)), [1, 1], "two identity pairs padded in front (W/2 − 3·F = 2)");
  cos.dispose();
  sin.dispose();
});

t.test("RoPE tables come in the activations' dtype (upstream: precompute_freqs_cis(out_dtype=x.dtype))", async (t) => {
  const pos = videoPositions({ frames: 3, height: 2, width: 4 }, 25);
  // Upstream's steps: ω from float64 stored as f32, midpoints and fractions in f32, angles in f32, cos/sin of them.
  const F = 64 / 2 / 3 | 0, pad = 32 - 3 * F, maxPos = [20, 2048, 2048];
  const omega = Array.from({ length: F }, (_, k) => Math.fround((Math.PI / 2) * 10000 ** (k / (F - 1))));
  const want = { cos: new Float32Array(pos.tokens * 32), sin: new Float32Array(pos.tokens * 32) };
  for (let i = 0; i < pos.tokens; i++) {
    want.cos.fill(1, i * 32, i * 32 + pad);
    for (let k = 0; k < F; k++) for (let a = 0; a < 3; a++) {
      const at = (a * pos.tokens + i) * 2;
      const mid = Math.fround(Math.fround(pos.data[at]! + pos.data[at + 1]!) / 2);
      const angle = Math.fround(omega[k]! * Math.fround(Math.fround(mid / maxPos[a]!) * 2 - 1));
      want.cos[i * 32 + pad + k * 3 + a] = Math.cos(angle);
      want.sin[i * 32 + pad + k * 3 + a] = Math.sin(angle);
    }
  }
  const f32 = ropeTables(pos, maxPos, 10000, 64, 4, "f32");
  t.equal(f32.cos.dtype, "f32", "an f32 run gets f32 tables");
  t.same(Array.from(f32.cos.toFloat32()), Array.from(want.cos), "f32 cos: upstream's f32 values, not bf16-rounded");
  t.same(Array.from(f32.sin.toFloat32()), Array.from(want.sin), "f32 sin");
  const bf16 = ropeTables(pos, maxPos, 10000, 64, 4, "bf16");
  t.equal(bf16.cos.dtype, "bf16", "a bf16 run gets bf16 tables");
  t.same(Array.from(bf16.cos.toFloat32()), Array.from(want.cos, roundBf16), "bf16 cos: the f32 values cast to bf16");
  t.throws(() => ropeTables(pos, maxPos, 10000, 64, 4, "f16" as never), /dtype must be "f32" or "bf16"/);
  for (const x of [f32.cos, f32.sin, bf16.cos, bf16.sin]) x.dispose();
});

t.test("full tiny forward (2 blocks, both streams) agrees with the float64 reference", async (t) => {
  using file = SafetensorsFile.open(f32Path);
  const model = loadLtx2Transformer(file);
  const w = weightsOf(file, TRANSFORMER_PREFIX);
  for (const [what, opts] of [["plain", {}], ["STG on block 1", { stgBlocks: [1] }], ["no A<->V (modality guidance pass)", { skipAudioVideoCrossAttention: true }]] as const) {
    const { engine, ref } = inputs(11);
    const [v, a] = engine();
    const out = model.forward(v, a, opts);
    const want = ltx2Forward(w, refConfig, ref[0], ref[1], { ...("stgBlocks" in opts ? { stgBlocks: [...opts.stgBlocks] } : {}), skipAV: "skipAudioVideoCrossAttention" in opts });
    const ev = relError(out.video.toFloat32(), want.video), ea = relError(out.audio.toFloat32(), want.audio);
    // f32 weights: the engine computes in f32 with f32 RoPE tables (float64 reference, f32 tables); the engine
    // forms angles in f32 as upstream does (ω up to 1.6e4 rad: ~1e-3 rad of rounding at the top frequencies).
    // Measured <= 8.4e-5; bf16 tables (the old behaviour) give 1.8e-4 to 2.8e-4. Bound: 1.5e-4 of the output scale.
    t.ok(ev < 1.5e-4, `${what}: video relative error ${ev.toExponential(2)}`);
    t.ok(ea < 1.5e-4, `${what}: audio relative error ${ea.toExponential(2)}`);
    for (const x of [out.video, out.audio, v.latent, v.context, a.latent, a.context]) x.dispose();
  }
  model.dispose();
});

t.test("a self-attention bias (IC-LoRA attention strength) enters every block's video self-attention", async (t) => {
  using file = SafetensorsFile.open(f32Path);
  const model = loadLtx2Transformer(file);
  const w = weightsOf(file, TRANSFORMER_PREFIX);
  const { engine, ref } = inputs(13);
  // log(clamp(w, tiny)) of a strength mask: tokens of the second frame see the first frame at weight 0.25, and
  // one pair is cut off entirely (w = 0 -> a very negative bias).
  const bias = new Float32Array(tv * tv);
  for (let i = 6; i < tv; i++) for (let j = 0; j < 6; j++) bias[i * tv + j] = Math.log(0.25);
  bias[0 * tv + 7] = -1e30;
  const [v, a] = engine();
  using mask = Tensor.from(bias, [1, 1, tv, tv]);
  const out = model.forward({ ...v, selfAttentionMask: mask }, a);
  const want = ltx2Forward(w, refConfig, ref[0], ref[1], { videoSelfBias: Float64Array.from(bias) });
  const plain = ltx2Forward(w, refConfig, ref[0], ref[1]);
  const e = relError(out.video.toFloat32(), want.video);
  t.ok(e < 1e-3, `biased forward vs reference: ${e.toExponential(2)}`);
  t.ok(relError(Float32Array.from(plain.video), want.video) > 1e-3, "the bias changes the reference output (the test can tell)");
  for (const x of [out.video, out.audio, v.latent, v.context, a.latent, a.context]) x.dispose();
  model.dispose();
});

t.test("bf16 checkpoint: deterministic, close to the reference at bf16 precision, perturbations matter", async (t) => {
  using file = SafetensorsFile.open(bf16Path);
  const model = loadLtx2Transformer(file);
  const w = weightsOf(file, TRANSFORMER_PREFIX);
  const { engine, ref } = inputs(5);
  const run = (opts = {}) => {
    const [v, a] = engine();
    const out = model.forward(v, a, opts);
    const r = { video: out.video.toFloat32(), audio: out.audio.toFloat32() };
    for (const x of [out.video, out.audio, v.latent, v.context, a.latent, a.context]) x.dispose();
    return r;
  };
  const first = run(), second = run();
  t.same(first.video, second.video, "same inputs, same bits (video)");
  t.same(first.audio, second.audio, "same inputs, same bits (audio)");
  const want = ltx2Forward(w, refConfigBf16, ref[0], ref[1]);
  // bf16 GEMMs round activations to bf16 (relative 2^-9 per rounding) through ~20 chained matmuls.
  t.ok(relError(first.video, want.video) < 3e-2, `video ${relError(first.video, want.video).toExponential(2)}`);
  t.ok(relError(first.audio, want.audio) < 3e-2, `audio ${relError(first.audio, want.audio).toExponential(2)}`);
  const stg = run({ stgBlocks: [0] });
  t.ok(relError(stg.video, Float64Array.from(first.video)) > 1e-3, "STG changes the prediction");
  model.dispose();
});

t.test("text side: feature extractor V1 and connector against the formulas", async (t) => {
  using file = SafetensorsFile.open(f32Path);
  const side = loadLtx2TextSide(file, TINY_TEXT_LAYERS);
  const T = 128, D = C;
  const mask = Uint8Array.from({ length: T }, (_, i) => (i >= 100 ? 1 : 0)); // left padding: 28 valid tokens
  const hidden = Array.from({ length: TINY_TEXT_LAYERS }, (_, l) => Tensor.from(randn(T * D, 40 + l), [1, T, D]));
  // Feature normalization: per layer over valid tokens × dims, 8(x−μ)/(max−min+1e-6), interleaved d·L + l.
  const normed = normAndConcat(hidden, mask);
  const raw = hidden.map((h) => h.toFloat32());
  let worst = 0;
  for (let l = 0; l < TINY_TEXT_LAYERS; l++) {
    const vals: number[] = [];
    for (let i = 100; i < T; i++) for (let k = 0; k < D; k++) vals.push(raw[l]![i * D + k]!);
    const mean = vals.reduce((a, b) => a + b, 0) / vals.length, range = Math.max(...vals) - Math.min(...vals);
    for (let i = 0; i < T; i++) for (let k = 0; k < D; k++) {
      const want = mask[i] ? (8 * (raw[l]![i * D + k]! - mean)) / (range + 1e-6) : 0;
      worst = Math.max(worst, Math.abs(normed[i * D * TINY_TEXT_LAYERS + k * TINY_TEXT_LAYERS + l]! - want));
    }
  }
  t.ok(worst < 1e-5, `feature normalization worst error ${worst}`);
  const both = side.featureExtractor.forward(hidden, mask);
  using features = both.video;
  using audioFeatures = both.audio;
  t.same(Array.from(audioFeatures.toFloat32()), Array.from(features.toFloat32()), "V1 shares one feature tensor between the streams");
  t.same(features.shape, [1, T, C]);
  // Connector: registers and valid-first order, then blocks vs the float64 reference.
  const reordered = reorderWithRegisters(features.toFloat32(), mask, 1, T, D, new Float32Array(128 * D).map((_, i) => i), 128);
  t.equal(reordered[0], features.toFloat32()[100 * D], "first valid token moves to position 0");
  t.equal(reordered[28 * D], 28 * D, "position 28 holds register 28");
  using out = side.videoConnector.forward(features, mask);
  const w = weightsOf(file, `${TRANSFORMER_PREFIX}video_embeddings_connector.`);
  const start = Float64Array.from(reorderWithRegisters(features.toFloat32(), mask, 1, T, D, Float32Array.from(w.get("learnable_registers")!.data), 128));
  const want = connectorForward(w, start, T, 2, 8, 1, 4096, 10000, "f32");
  const e = relError(out.toFloat32(), want);
  // Positions 0..127 over max_pos 4096 put the top frequencies near 1.6e4 rad, where f32 angles (upstream's too)
  // differ from float64 ones; f32 tables (an f32 file) measure ~1e-4, bf16 tables would give ~3e-3: bound 1e-3.
  t.ok(e < 1e-3, `connector relative error ${e.toExponential(2)}`);
  for (const h of hidden) h.dispose();
  side.featureExtractor.dispose();
  side.videoConnector.dispose();
  side.audioConnector.dispose();
});

t.test("bad configs and checkpoints name the key", async (t) => {
  const p = join(dir, "bad.safetensors");
  writeTinyLtx2Checkpoint(p, { metadataOverrides: { qk_norm: "layer_norm" } });
  using f = SafetensorsFile.open(p);
  t.throws(() => loadLtx2Transformer(f), { code: "ERR_AIPROD_BAD_CONFIG", message: /config.transformer.qk_norm is "layer_norm"; this engine implements "rms_norm"/ });
  const p2 = join(dir, "gated.safetensors");
  writeTinyLtx2Checkpoint(p2, { metadataOverrides: { use_keyframes_abs_pos_embedding: true } });
  using f2 = SafetensorsFile.open(p2);
  t.throws(() => loadLtx2Transformer(f2), { message: /use_keyframes_abs_pos_embedding is true \(an LTX-2.5 feature\)/ });
  const p3 = join(dir, "partial-v2.safetensors");
  writeTinyLtx2Checkpoint(p3, { metadataOverrides: { caption_proj_before_connector: true } });
  using f3 = SafetensorsFile.open(p3);
  t.throws(() => loadLtx2Transformer(f3), { message: /caption_projection_first_linear is missing/ });
  const { model, weights } = randomLtx2Transformer({ ...TINY_TRANSFORMER_CONFIG, num_layers: 4 }, { layers: [3] });
  t.equal(model.blocks.length, 1);
  t.equal(model.blocks[0]!.index, 3);
  model.dispose();
  weights.dispose();
  using f32 = SafetensorsFile.open(f32Path);
  const m = loadLtx2Transformer(f32);
  const { engine } = inputs(1);
  const [v, a] = engine();
  using wrong = Tensor.zeros([1, tv, 64]);
  t.throws(() => m.forward({ ...v, latent: wrong }, a), { message: "aiprod.ltx2: video latent is [1,12,64]; expected [B, T, 128]" });
  for (const x of [v.latent, v.context, a.latent, a.context]) x.dispose();
  m.dispose();
});

t.test("LTX-2.3 deltas: gated attention, cross-attention AdaLN, context at the stream width, V2 text side", async (t) => {
  const path = join(dir, "tiny-2.3.safetensors");
  writeTinyLtx2Checkpoint(path, { seed: 9, dtype: "f32", transformer: TINY_TRANSFORMER_CONFIG_2_3, modelVersion: "2.3" });
  using file = SafetensorsFile.open(path);
  t.equal(file.modelVersion, "2.3");
  t.ok(file.has(`${TRANSFORMER_PREFIX}transformer_blocks.0.attn1.to_gate_logits.weight`), "gate logits in the layout");
  t.notOk(file.has(`${TRANSFORMER_PREFIX}caption_projection.linear_1.weight`), "no caption projection in the transformer");
  const model = loadLtx2Transformer(file);
  const w = weightsOf(file, TRANSFORMER_PREFIX);
  for (const opts of [{}, { stgBlocks: [0] }] as const) {
    const { engine, ref } = inputs(21, [16, 8]);
    const [v, a] = engine();
    const out = model.forward(v, a, opts);
    const want = ltx2Forward(w, { ...refConfig, crossAttentionAdaln: true }, ref[0], ref[1], "stgBlocks" in opts ? { stgBlocks: [0] } : {});
    const ev = relError(out.video.toFloat32(), want.video), ea = relError(out.audio.toFloat32(), want.audio);
    t.ok(ev < 1e-3 && ea < 1e-3, `2.3 forward${"stgBlocks" in opts ? " with STG" : ""}: video ${ev.toExponential(2)}, audio ${ea.toExponential(2)}`);
    for (const x of [out.video, out.audio, v.latent, v.context, a.latent, a.context]) x.dispose();
  }
  model.dispose();
  // Text side V2: per-token RMS, x̃·√(out/hidden) into one aggregate embedding per stream, gated connectors.
  const side = loadLtx2TextSide(file, TINY_TEXT_LAYERS);
  const T = 128, D = C;
  const mask = Uint8Array.from({ length: T }, (_, i) => (i >= 90 ? 1 : 0));
  const hidden = Array.from({ length: TINY_TEXT_LAYERS }, (_, l) => Tensor.from(randn(T * D, 60 + l), [1, T, D]));
  const normed = perTokenRmsConcat(hidden, mask);
  const raw = hidden[1]!.toFloat32();
  const rmsOf = (i: number) => Math.sqrt(raw.subarray(i * D, (i + 1) * D).reduce((acc, x) => acc + x * x, 0) / D + 1e-6);
  t.ok(Math.abs(normed[100 * D * TINY_TEXT_LAYERS + 5 * TINY_TEXT_LAYERS + 1]! - raw[100 * D + 5]! / rmsOf(100)) < 1e-5, "per-token RMS, feature d·L + l");
  t.equal(normed[10 * D * TINY_TEXT_LAYERS], 0, "padding zeroed");
  const { video, audio } = side.featureExtractor.forward(hidden, mask);
  t.same([video.shape, audio.shape], [[1, T, 16], [1, T, 8]]);
  const wp = weightsOf(file, "text_embedding_projection.");
  for (const [name, feats, dim] of [["video", video, 16], ["audio", audio, 8]] as const) {
    const m = wp.get(`${name}_aggregate_embed.weight`)!, b = wp.get(`${name}_aggregate_embed.bias`)!;
    const k = D * TINY_TEXT_LAYERS, scale = Math.sqrt(dim / D), got = feats.toFloat32();
    let worst = 0, top = 0;
    for (let i = 0; i < T; i++) for (let o = 0; o < dim; o++) {
      let acc = b.data[o]!;
      for (let j = 0; j < k; j++) acc += normed[i * k + j]! * scale * m.data[o * k + j]!;
      worst = Math.max(worst, Math.abs(got[i * dim + o]! - acc));
      top = Math.max(top, Math.abs(acc));
    }
    t.ok(worst / top < 1e-5, `${name} aggregate embedding: ${(worst / top).toExponential(2)}`);
  }
  using aout = side.audioConnector.forward(audio, mask);
  const wa = weightsOf(file, `${TRANSFORMER_PREFIX}audio_embeddings_connector.`);
  const start = Float64Array.from(reorderWithRegisters(audio.toFloat32(), mask, 1, T, 8, Float32Array.from(wa.get("learnable_registers")!.data), 128));
  const e = relError(aout.toFloat32(), connectorForward(wa, start, T, 2, 4, 1, 4096, 10000, "f32"));
  t.ok(e < 1e-3, `gated audio connector (2 heads × 4): ${e.toExponential(2)}`);
  for (const x of [...hidden, video, audio]) x.dispose();
  side.featureExtractor.dispose();
  side.videoConnector.dispose();
  side.audioConnector.dispose();
});
