// Tile layouts for VAE encode and decode (upstream ltx_core/tiling.py and the map_* helpers of video_vae.py).
// Each axis of the latent grid is split into overlapping intervals; every interval maps to a pixel range and a
// 1-D blend mask (linear trapezoid ramps over the overlap); a tile's weight is the product of its three masks.
// Sizes and overlaps are given in pixels / frames and converted to latent units with the VAE's scale factors.
import { AiprodError } from "../../../native/errors.js";
import type { ScaleFactors } from "./config.js";

export interface AxisTiling {
  /** Tile length in pixels (frames for time); 0 = this axis is not tiled. */
  readonly tileSize: number;
  readonly overlap: number;
}

export interface TilingConfig {
  readonly frames: AxisTiling;
  readonly height: AxisTiling;
  readonly width: AxisTiling;
}

/** upstream TileSizeConfig.default(): 80 frames / 24 overlap, 768 px / 64 px overlap. */
export const DEFAULT_TILING: TilingConfig = {
  frames: { tileSize: 80, overlap: 24 },
  height: { tileSize: 768, overlap: 64 },
  width: { tileSize: 768, overlap: 64 },
};

export interface Interval {
  readonly start: number;
  readonly end: number;
  readonly leftRamp: number;
  readonly rightRamp: number;
}

/** One tile: a latent box (input for decode, output for encode), a pixel box, and per-axis masks in output units. */
export interface Tile {
  /** [start, end) per axis (t, h, w) on the latent grid. */
  readonly latent: readonly [readonly [number, number], readonly [number, number], readonly [number, number]];
  /** [start, end) per axis (t, h, w) in pixels. */
  readonly pixel: readonly [readonly [number, number], readonly [number, number], readonly [number, number]];
  /** Blend masks over the output box (decode: pixel box, encode: latent box), per axis t, h, w. */
  readonly masks: readonly [Float32Array, Float32Array, Float32Array];
}

function tilingError(problem: string): AiprodError {
  return new AiprodError("ERR_AIPROD_INVALID_ARGUMENT", `aiprod.ltx2.vae tiling: ${problem}`);
}

/** torch.linspace(a, b, n) in f32 (start + i·step for the first half, end − (n−1−i)·step for the rest). */
function linspace(a: number, b: number, n: number): number[] {
  if (n === 1) return [a];
  const step = Math.fround((b - a) / (n - 1));
  return Array.from({ length: n }, (_, i) => Math.fround(i < n / 2 ? a + i * step : b - (n - 1 - i) * step));
}

/** upstream compute_trapezoidal_mask_1d. */
export function trapezoidalMask(length: number, rampLeft: number, rampRight: number, leftStartsFrom0 = false): Float32Array {
  if (length <= 0) throw tilingError("mask length must be positive");
  const left = Math.max(0, Math.min(rampLeft, length));
  const right = Math.max(0, Math.min(rampRight, length));
  const mask = new Float32Array(length).fill(1);
  if (left > 0) {
    let fadeIn = linspace(0, 1, leftStartsFrom0 ? left + 1 : left + 2).slice(0, -1);
    if (!leftStartsFrom0) fadeIn = fadeIn.slice(1);
    for (let i = 0; i < left; i++) mask[i] = Math.fround(mask[i]! * fadeIn[i]!);
  }
  if (right > 0) {
    const fadeOut = linspace(1, 0, right + 2).slice(1, -1);
    for (let i = 0; i < right; i++) mask[length - right + i] = Math.fround(mask[length - right + i]! * fadeOut[i]!);
  }
  return mask.map((v) => Math.min(1, Math.max(0, v)));
}

/** upstream split_by_size (without min_tile_size). */
export function splitBySize(size: number, overlap: number, length: number): Interval[] {
  if (size <= 0) throw tilingError(`tile size must be > 0, got ${size}`);
  if (overlap < 0 || overlap >= size) throw tilingError(`overlap must satisfy 0 <= overlap < size, got overlap=${overlap}, size=${size}`);
  if (length <= size) return [{ start: 0, end: length, leftRamp: 0, rightRamp: 0 }];
  const amount = Math.floor((length + size - 2 * overlap - 1) / (size - overlap));
  const out: Interval[] = [{ start: 0, end: size, leftRamp: 0, rightRamp: overlap }];
  for (let i = 1; i < amount - 1; i++) out.push({ start: i * (size - overlap), end: i * (size - overlap) + size, leftRamp: overlap, rightRamp: overlap });
  out.push({ start: (amount - 1) * (size - overlap), end: length, leftRamp: overlap, rightRamp: 0 });
  return out;
}

/** upstream split_temporal_causal: every tile after the first starts one latent frame earlier, ramp one longer. */
export function splitTemporalCausal(size: number, overlap: number, length: number): Interval[] {
  if (length <= size) return [{ start: 0, end: length, leftRamp: 0, rightRamp: 0 }];
  return splitBySize(size, overlap, length).map((iv, i) => (i === 0 ? iv : { ...iv, start: iv.start - 1, leftRamp: iv.leftRamp + 1 }));
}

function checkAxis(axis: AxisTiling, factor: number, name: string): void {
  if (!Number.isInteger(axis.tileSize) || axis.tileSize < 0 || !Number.isInteger(axis.overlap) || axis.overlap < 0) {
    throw tilingError(`${name}: tile size and overlap must be non-negative integers`);
  }
  if (axis.tileSize === 0) {
    if (axis.overlap !== 0) throw tilingError(`${name}: an untiled axis (tile size 0) must have overlap 0`);
    return;
  }
  if (axis.overlap >= axis.tileSize) throw tilingError(`${name}: overlap ${axis.overlap} must be less than the tile size ${axis.tileSize}`);
  if (axis.tileSize < 2 * factor) throw tilingError(`${name}: tile size must be at least ${2 * factor}, got ${axis.tileSize}`);
  if (axis.tileSize % factor !== 0) throw tilingError(`${name}: tile size must be divisible by ${factor}, got ${axis.tileSize}`);
  if (axis.overlap % factor !== 0) throw tilingError(`${name}: overlap must be divisible by ${factor}, got ${axis.overlap}`);
}

/** Latent-grid intervals of one axis (upstream TileSizeConfig.to_splitters; time is causal for VAE work). */
function axisIntervals(axis: AxisTiling, factor: number, length: number, temporal: boolean): Interval[] {
  if (axis.tileSize === 0) return [{ start: 0, end: length, leftRamp: 0, rightRamp: 0 }];
  const size = axis.tileSize / factor, overlap = axis.overlap / factor;
  const tile = Math.max(Math.max(2, overlap + 1), size);
  return temporal ? splitTemporalCausal(tile, overlap, length) : splitBySize(tile, overlap, length);
}

export function validateTiling(cfg: TilingConfig, scale: ScaleFactors): void {
  checkAxis(cfg.frames, scale.time, "frames");
  checkAxis(cfg.height, scale.height, "height");
  checkAxis(cfg.width, scale.width, "width");
}

/** upstream map_temporal_slice: latent frames [b, e) decode to pixel frames [8b, 1 + 8(e−1)). */
function mapTemporal(iv: Interval, scale: number) {
  const start = iv.start * scale, stop = 1 + (iv.end - 1) * scale;
  const left = iv.leftRamp === 0 ? 0 : 1 + (iv.leftRamp - 1) * scale;
  return { range: [start, stop] as const, mask: trapezoidalMask(stop - start, left, iv.rightRamp * scale, true) };
}

/** upstream map_spatial_slice. */
function mapSpatial(iv: Interval, scale: number) {
  const start = iv.start * scale, stop = iv.end * scale;
  return { range: [start, stop] as const, mask: trapezoidalMask(stop - start, iv.leftRamp * scale, iv.rightRamp * scale, false) };
}

const ONE = () => new Float32Array([1]);

/**
 * Decode tiles for a latent of [F', H', W'] (upstream ConvVideoDecoder._prepare_tiles), time-major so that tiles
 * sharing a temporal range are consecutive. Untiled axes get the whole range and a length-1 mask of ones.
 */
export function decoderTiles(latent: readonly [number, number, number], cfg: TilingConfig, scale: ScaleFactors): Tile[] {
  validateTiling(cfg, scale);
  const [f, h, w] = latent;
  const ts = axisIntervals(cfg.frames, scale.time, f, true).map((iv) => ({ iv, ...(cfg.frames.tileSize ? mapTemporal(iv, scale.time) : { range: [0, 1 + (f - 1) * scale.time] as const, mask: ONE() }) }));
  const hs = axisIntervals(cfg.height, scale.height, h, false).map((iv) => ({ iv, ...(cfg.height.tileSize ? mapSpatial(iv, scale.height) : { range: [0, h * scale.height] as const, mask: ONE() }) }));
  const ws = axisIntervals(cfg.width, scale.width, w, false).map((iv) => ({ iv, ...(cfg.width.tileSize ? mapSpatial(iv, scale.width) : { range: [0, w * scale.width] as const, mask: ONE() }) }));
  const tiles: Tile[] = [];
  for (const t of ts) for (const y of hs) for (const x of ws) {
    tiles.push({
      latent: [[t.iv.start, t.iv.end], [y.iv.start, y.iv.end], [x.iv.start, x.iv.end]],
      pixel: [t.range, y.range, x.range],
      masks: [t.mask, y.mask, x.mask],
    });
  }
  return tiles;
}

/**
 * Encode tiles for a video of [F, H, W] pixels (upstream prepare_tiles_for_encoding): split on the latent grid,
 * masks over the latent box, pixel boxes from the same map functions. Needs ≥16 frames / 64 px overlap.
 */
export function encoderTiles(video: readonly [number, number, number], cfg: TilingConfig, scale: ScaleFactors): Tile[] {
  validateTiling(cfg, scale);
  for (const [name, axis, min] of [["frames", cfg.frames, 16], ["height", cfg.height, 64], ["width", cfg.width, 64]] as const) {
    if (axis.tileSize > 0 && axis.overlap < min) throw tilingError(`${name} overlap ${axis.overlap} is below the ${min} that encoding needs`);
  }
  const lf = (video[0] - 1) / scale.time + 1, lh = video[1] / scale.height, lw = video[2] / scale.width;
  const ts = axisIntervals(cfg.frames, scale.time, lf, true);
  const hs = axisIntervals(cfg.height, scale.height, lh, false);
  const ws = axisIntervals(cfg.width, scale.width, lw, false);
  const tiles: Tile[] = [];
  for (const t of ts) for (const y of hs) for (const x of ws) {
    tiles.push({
      latent: [[t.start, t.end], [y.start, y.end], [x.start, x.end]],
      pixel: [mapTemporal(t, scale.time).range, mapSpatial(y, scale.height).range, mapSpatial(x, scale.width).range],
      masks: [
        trapezoidalMask(t.end - t.start, t.leftRamp, t.rightRamp, true),
        trapezoidalMask(y.end - y.start, y.leftRamp, y.rightRamp, false),
        trapezoidalMask(x.end - x.start, x.leftRamp, x.rightRamp, false),
      ],
    });
  }
  return tiles;
}

/** upstream masks_are_complementary: per axis, the masks of the distinct ranges sum to 1 (±1e-5) everywhere. */
export function masksAreComplementary(tiles: readonly Tile[], outBoxOf: (t: Tile) => Tile["pixel"], full: readonly [number, number, number]): boolean {
  for (let axis = 0; axis < 3; axis++) {
    const acc = new Float32Array(full[axis]!);
    const seen = new Set<string>();
    for (const tile of tiles) {
      const [s, e] = outBoxOf(tile)[axis]!;
      if (seen.has(`${s}:${e}`)) continue;
      seen.add(`${s}:${e}`);
      const m = tile.masks[axis]!;
      for (let i = s; i < e; i++) acc[i] = Math.fround(acc[i]! + (m.length === 1 ? m[0]! : m[i - s]!));
    }
    if (acc.some((v) => Math.abs(v - 1) > 1e-5)) return false;
  }
  return true;
}

/** Consecutive tiles with the same temporal output range (upstream group_tiles_by_temporal_slice). */
export function groupByTemporal(tiles: readonly Tile[], outBoxOf: (t: Tile) => Tile["pixel"]): Tile[][] {
  const groups: Tile[][] = [];
  for (const tile of tiles) {
    const last = groups[groups.length - 1];
    const [s, e] = outBoxOf(tile)[0];
    if (last && outBoxOf(last[0]!)[0][0] === s && outBoxOf(last[0]!)[0][1] === e) last.push(tile);
    else groups.push([tile]);
  }
  return groups;
}
