// Random weights served lazily from a layout (`--random-weights`): any config, the full 19B one included, runs
// without a file, for benchmarks and memory planning. Values are deterministic per (seed, key) and scaled like
// an initialized network (matrices uniform with variance 1/fan_in, norms near 1, tables and biases small).
import type { TensorInfo, WeightSource } from "../../../checkpoint/safetensors.js";
import { AiprodError } from "../../../native/errors.js";
import type { DType } from "../../../runtime/dtype.js";
import { toDefaultDevice, withDevice } from "../../../runtime/device.js";
import { reshape } from "../../../runtime/shape.js";
import { Tensor } from "../../../runtime/tensor.js";
import type { Layout, TensorSpec } from "./layout.js";

/** FNV-1a of the key, mixed with the seed: each tensor has its own stream. */
function streamSeed(seed: number, key: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0 || 1;
}

/** Values for one spec from a xorshift32 stream (fast: a 19B block is 335M values). */
export function randomValues(spec: TensorSpec, seed: number, key: string): Float32Array {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  let s = streamSeed(seed, key);
  const fanIn = spec.shape[spec.shape.length - 1] ?? 1;
  const [center, halfWidth] = spec.kind === "matrix" ? [0, Math.sqrt(3 / fanIn)] : spec.kind === "norm" ? [1, 0.2] : spec.kind === "bias" ? [0, 0.05] : [0, 0.2];
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = center + halfWidth * (((s >>> 0) / 4294967296) * 2 - 1);
  }
  return out;
}

export class RandomWeightSource implements WeightSource {
  /** Shared by every view of this source, so a weight exists once however it is reached. */
  readonly #cache: Map<string, Tensor>;

  constructor(readonly layout: Layout, readonly seed = 0, readonly dtype: DType = "bf16", readonly prefix = "", cache = new Map<string, Tensor>()) {
    this.#cache = cache;
  }

  get name(): string {
    return `random weights (seed ${this.seed})${this.prefix ? ` under '${this.prefix}'` : ""}`;
  }

  keys(): string[] {
    return [...this.layout.keys()].filter((k) => k.startsWith(this.prefix)).map((k) => k.slice(this.prefix.length));
  }

  has(key: string): boolean {
    return this.layout.has(this.prefix + key);
  }

  info(key: string): TensorInfo {
    const spec = this.layout.get(this.prefix + key);
    if (!spec) throw new AiprodError("ERR_AIPROD_MISSING_WEIGHT", `aiprod.ltx2: ${this.name} has no tensor '${key}'`);
    return { fileDType: this.dtype.toUpperCase(), dtype: this.dtype, shape: spec.shape, offset: 0, byteLength: 0 };
  }

  tensor(key: string): Tensor {
    const full = this.prefix + key;
    const spec = this.layout.get(full);
    if (!spec) throw new AiprodError("ERR_AIPROD_MISSING_WEIGHT", `aiprod.ltx2: ${this.name} has no tensor '${key}'`);
    let t = this.#cache.get(full);
    if (!t) {
      // Cached in host memory, like a mapped file's weights: a model on cuda gets a device copy per load, so
      // streamed blocks do not pile up in device memory through this cache.
      t = withDevice("cpu", () => Tensor.from(randomValues(spec, this.seed, full), spec.shape, this.dtype));
      this.#cache.set(full, t);
    }
    return toDefaultDevice(reshape(t, spec.shape));
  }

  view(prefix: string): WeightSource {
    return new RandomWeightSource(this.layout, this.seed, this.dtype, this.prefix + prefix, this.#cache);
  }

  dispose(): void {
    for (const t of this.#cache.values()) t.dispose();
    this.#cache.clear();
  }
}
