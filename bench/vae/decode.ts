// VAE decode benchmark (issue 5): the real LTX-2 19B video VAE decoder config with seeded random weights, on CPU.
//   node --import=tsx bench/vae/decode.ts [--frames 25] [--size 256] [--tiled-memory F1,F2] [--tiled-size 128]
// Reports seconds, frames/s, GFLOP/s (2 FLOPs per multiply-add of every convolution) and peak RSS of one untiled
// decode; with --tiled-memory it decodes F1 and F2 pixel frames with the default tiles (80/24 frames, 768/64 px),
// each in a fresh child process, and reports the peak RSS of each (the criterion: doubling the frames
// raises it by less than 20%).
// Peaks are measured after resetting VmHWM once the model is loaded, so they are the decode's own. Measured
// numbers: bench/RESULTS.md.
import { spawnSync } from "node:child_process";
import { hwmBytes, resetHwm, rssBytes } from "../memory/procStatus.js";
import { fileURLToPath } from "node:url";
import type { TensorInfo, WeightSource } from "../../src/checkpoint/safetensors.js";
import { ConvVideoDecoder, DEFAULT_TILING, getInfo, parseVideoVaeConfig, Tensor, type VideoVaeConfig } from "../../src/index.js";
import { deriveSeed, normals, uniformSource } from "../../src/models/ltx2/seededRandom.js";
import { blockStride, decoderBottleneckChannels } from "../../src/models/ltx2/vae/config.js";
import { videoVaeParamSpecs } from "../../src/models/ltx2/vae/tinyVae.js";

/** LTX-2 19B `config.vae` (shared/reference/ltx2-architecture.md §4.1; decoder reflect-padded, not causal). */
export const LTX2_VAE_CONFIG = {
  _class_name: "CausalVideoAutoencoder", dims: 3, in_channels: 3, out_channels: 3, latent_channels: 128, patch_size: 4,
  norm_layer: "pixel_norm", latent_log_var: "uniform", causal_decoder: false, timestep_conditioning: false, decoder_base_channels: 128,
  encoder_blocks: [["res_x", { num_layers: 4 }], ["compress_space_res", { multiplier: 2 }], ["res_x", { num_layers: 6 }],
    ["compress_time_res", { multiplier: 2 }], ["res_x", { num_layers: 6 }], ["compress_all_res", { multiplier: 2 }], ["res_x", { num_layers: 2 }],
    ["compress_all_res", { multiplier: 2 }], ["res_x", { num_layers: 2 }]],
  decoder_blocks: [["res_x", { num_layers: 5 }], ["compress_all", { residual: true, multiplier: 2 }], ["res_x", { num_layers: 5 }],
    ["compress_all", { residual: true, multiplier: 2 }], ["res_x", { num_layers: 5 }], ["compress_all", { residual: true, multiplier: 2 }],
    ["res_x", { num_layers: 5 }]],
};

/** Decoder weights made on demand: uniform ±√(3/fan-in) (unit variance in, unit out), statistics near identity. */
export function randomDecoderSource(cfg: VideoVaeConfig, prefix: string): WeightSource {
  const specs = videoVaeParamSpecs(cfg);
  const key = (k: string) => prefix + k;
  const src: WeightSource = {
    name: `random ${prefix}`,
    keys: () => [...specs.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)),
    has: (k) => specs.has(key(k)),
    info: (k): TensorInfo => {
      const s = specs.get(key(k));
      if (!s) throw new Error(`no ${key(k)}`);
      return { fileDType: "F32", dtype: "f32", shape: s.shape, offset: 0, byteLength: 4 * s.shape.reduce((a, b) => a * b, 1) };
    },
    tensor: (k) => {
      const s = specs.get(key(k))!;
      const n = s.shape.reduce((a, b) => a * b, 1);
      if (s.init === "std") return Tensor.from(new Float32Array(n).fill(1), s.shape);
      if (s.init === "mean" || s.init === "bias") return Tensor.from(normals(n, deriveSeed(1, key(k))).map((v) => 0.01 * v), s.shape);
      const a = Math.sqrt(3 / s.shape.slice(1).reduce((x, y) => x * y, 1));
      const u = uniformSource(deriveSeed(1, key(k)));
      const v = new Float32Array(n);
      for (let i = 0; i < n; i++) v[i] = (2 * u() - 1) * a;
      return Tensor.from(v, s.shape);
    },
    view: () => { throw new Error("unused"); },
  };
  return src;
}

/** Multiply-adds ×2 of every convolution of the decoder for a latent of [F', H', W']. */
export function decoderFlops(cfg: VideoVaeConfig, [f, h, w]: [number, number, number]): number {
  let c = decoderBottleneckChannels(cfg), flops = 0;
  const conv = (cin: number, cout: number, pos: number) => (flops += 2 * cin * cout * 27 * pos);
  conv(cfg.latentChannels, c, f * h * w);
  for (const b of [...cfg.decoderBlocks].reverse()) {
    if (b.name === "res_x") for (let i = 0; i < 2 * b.numLayers; i++) conv(c, c, f * h * w);
    else {
      const [st, sh, sw] = blockStride(b.name);
      conv(c, (st * sh * sw * c) / b.multiplier, f * h * w);
      c /= b.multiplier;
      f = st === 2 ? 2 * f - 1 : f;
      h *= sh;
      w *= sw;
    }
  }
  conv(c, cfg.outChannels * cfg.patchSize ** 2, f * h * w);
  return flops;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

/** One decode; prints JSON. `tiled` uses the default tile sizes. */
function decodeOnce(frames: number, size: number, tiled: boolean): void {
  const cfg = parseVideoVaeConfig(LTX2_VAE_CONFIG);
  const t0 = performance.now();
  using dec = new ConvVideoDecoder(cfg, randomDecoderSource(cfg, "vae.decoder."), randomDecoderSource(cfg, "vae.per_channel_statistics."));
  const loadS = (performance.now() - t0) / 1000;
  const grid: [number, number, number] = [(frames - 1) / 8 + 1, size / 32, size / 32];
  using latent = Tensor.from(normals(128 * grid[0] * grid[1] * grid[2], 2), [1, 128, ...grid]);
  // The decode's own peak: the high-water mark restarts at the current RSS once the model is loaded, so the
  // loading peak (weights cast to f32) cannot hide it.
  const hwmReset = resetHwm();
  const loaded = rssBytes();
  const t1 = performance.now();
  let out = 0;
  for (const chunk of dec.decodeVideo(latent, tiled ? DEFAULT_TILING : undefined)) {
    out += chunk.shape[0]!;
    chunk.dispose();
  }
  const s = (performance.now() - t1) / 1000;
  const flops = decoderFlops(cfg, grid);
  process.stdout.write(JSON.stringify({ frames: out, size, tiled, seconds: s, fps: out / s, gflops: tiled ? null : flops / s / 1e9,
    gflop: flops / 1e9, loadSeconds: loadS, rssAfterLoadMiB: loaded / 2 ** 20, hwmReset: hwmReset ? 1 : 0,
    peakRssMiB: (hwmReset ? hwmBytes() : process.resourceUsage().maxRSS * 1024) / 2 ** 20 }) + "\n");
}

function child(frames: number, size: number, tiled: boolean): Record<string, number> {
  const r = spawnSync(process.execPath, ["--import=tsx", fileURLToPath(import.meta.url), "--child", String(frames), String(size), tiled ? "tiled" : "untiled"], { encoding: "utf8", maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

export interface VaeDecodeResult {
  name: "vae-decode";
  untiled: Record<string, number>;
  tiled?: { short: Record<string, number>; long: Record<string, number>; peakRatio: number };
}

/** One untiled decode (frames/s, GFLOP/s, peak RSS) and, with `tiledPair`, two tiled lengths' peak memory. */
export function vaeDecodeBench(frames: number, size: number, tiledPair?: [number, number], tiledSize = 128): VaeDecodeResult {
  const untiled = child(frames, size, false);
  if (!tiledPair) return { name: "vae-decode", untiled };
  const short = child(tiledPair[0], tiledSize, true), long = child(tiledPair[1], tiledSize, true);
  return { name: "vae-decode", untiled, tiled: { short, long, peakRatio: long.peakRssMiB! / short.peakRssMiB! } };
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain && process.argv.includes("--child")) {
  const i = process.argv.indexOf("--child");
  decodeOnce(Number(process.argv[i + 1]), Number(process.argv[i + 2]), process.argv[i + 3] === "tiled");
} else if (isMain) {
  const info = getInfo();
  const frames = Number(arg("frames", "25")), size = Number(arg("size", "256"));
  console.log(`VAE decode bench: ${info.cpu.brand}, ${info.threads} threads, ${info.isa}; LTX-2 19B decoder config, random weights`);
  const pair = arg("tiled-memory", "");
  const r = vaeDecodeBench(frames, size, pair ? (pair.split(",").map(Number) as [number, number]) : undefined, Number(arg("tiled-size", "128")));
  console.log(formatVaeDecode(r, frames, size));
}

export function formatVaeDecode(r: VaeDecodeResult, frames: number, size: number): string {
  const u = r.untiled;
  const lines = [`vae-decode untiled ${frames} frames ${size}x${size}: ${u.seconds!.toFixed(2)} s, ${u.fps!.toFixed(2)} frames/s, ${u.gflop!.toFixed(0)} GFLOP at ` +
    `${u.gflops!.toFixed(1)} GFLOP/s; RSS after load ${u.rssAfterLoadMiB!.toFixed(0)} MiB, peak ${u.peakRssMiB!.toFixed(0)} MiB`];
  if (r.tiled) {
    const { short: a, long: b } = r.tiled;
    lines.push(`vae-decode tiled (80/24 frames, 768/64 px): ${a.frames} frames peak ${a.peakRssMiB!.toFixed(0)} MiB (${a.seconds!.toFixed(1)} s), ` +
      `${b.frames} frames peak ${b.peakRssMiB!.toFixed(0)} MiB (${b.seconds!.toFixed(1)} s): x${r.tiled.peakRatio.toFixed(3)}; over the loaded model ` +
      `+${(a.peakRssMiB! - a.rssAfterLoadMiB!).toFixed(0)} vs +${(b.peakRssMiB! - b.rssAfterLoadMiB!).toFixed(0)} MiB`);
  }
  return lines.join("\n");
}
