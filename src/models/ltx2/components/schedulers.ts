// Sigma schedules (upstream `ltx_core/components/schedulers.py::LTX2Scheduler` and the distilled constants in
// `ltx_pipelines/utils/constants.py`).
//
// Precision: upstream builds the schedule with float32 torch ops on the CPU (`torch.linspace` float32, then
// `reciprocal`, `+`, `*` on float32 tensors, Python scalars cast to float32) and returns float32. We replay the
// same operations in the same order with one `Math.fround` per torch op, so the values are the float32 numbers
// upstream produces (up to the last bit where torch's vectorized linspace path rounds differently from its
// scalar path, which we follow). A float64 evaluation of the formula agrees to ~1e-7 (see the tests).
import { checkFinite, f32 } from "./precision.js";

/** Token counts at which the shift equals `baseShift` and `maxShift` (upstream BASE/MAX_SHIFT_ANCHOR). */
export const BASE_SHIFT_ANCHOR = 1024;
export const MAX_SHIFT_ANCHOR = 4096;
/** Upper bound on steps: far above any real schedule (≤ 100), low enough to catch unit mistakes. */
export const MAX_STEPS = 1000;

export interface Ltx2SigmasOptions {
  /** Latent token count F'·H'·W'. The pipelines never pass a latent, so upstream uses 4096 (shift = maxShift). */
  tokens?: number;
  maxShift?: number;
  baseShift?: number;
  /** Stretch the non-zero sigmas so the last one equals `terminal`. */
  stretch?: boolean;
  terminal?: number;
}

const FN = "ltx2Sigmas";

/** `torch.linspace(1, 0, n)` in float32, following the CPU kernel's scalar formula (both halves). */
function linspaceOneToZero(n: number): Float32Array {
  const out = new Float32Array(n);
  const step = f32((0 - 1) / (n - 1));
  const halfway = Math.floor(n / 2);
  for (let i = 0; i < n; i++) out[i] = i < halfway ? f32(1 + f32(step * i)) : f32(0 - f32(step * (n - i - 1)));
  return out;
}

/**
 * `LTX2Scheduler().execute(steps)`: `steps + 1` float32 sigmas from 1 down to 0.
 * σ(u) = e^μ / (e^μ + 1/u − 1) for u = 1 − i/steps, μ interpolated between baseShift and maxShift by token
 * count; with `stretch`, 1 − σ is scaled so the last non-zero sigma is `terminal`.
 */
export function ltx2Sigmas(steps: number, options: Ltx2SigmasOptions = {}): Float32Array {
  const { tokens = MAX_SHIFT_ANCHOR, maxShift = 2.05, baseShift = 0.95, stretch = true, terminal = 0.1 } = options;
  if (!Number.isInteger(steps) || steps < 1 || steps > MAX_STEPS) {
    throw new RangeError(`${FN}: steps must be an integer in [1, ${MAX_STEPS}], got ${steps}`);
  }
  if (!Number.isInteger(tokens) || tokens < 1) throw new RangeError(`${FN}: tokens must be a positive integer, got ${tokens}`);
  checkFinite(maxShift, FN, "maxShift");
  checkFinite(baseShift, FN, "baseShift");
  if (typeof stretch !== "boolean") throw new TypeError(`${FN}: stretch must be a boolean`);
  if (stretch && !(checkFinite(terminal, FN, "terminal") > 0 && terminal < 1)) {
    throw new RangeError(`${FN}: terminal must be in (0, 1), got ${terminal}`);
  }
  // Upstream's stretch divides by 1 − σ_last; with one step σ_last = 1 and it returns NaN. Refuse instead.
  if (stretch && steps === 1) throw new RangeError(`${FN}: steps=1 with stretch divides 0 by 0 upstream (σ_last = 1); pass stretch: false`);

  const sigmas = linspaceOneToZero(steps + 1);
  // Python float64 scalars, as upstream (`mm`, `b`, `sigma_shift`, `math.exp`); cast to f32 when they meet a tensor.
  const mm = (maxShift - baseShift) / (MAX_SHIFT_ANCHOR - BASE_SHIFT_ANCHOR);
  const b = baseShift - mm * BASE_SHIFT_ANCHOR;
  const expShift = f32(Math.exp(tokens * mm + b));
  for (let i = 0; i < sigmas.length; i++) {
    const u = sigmas[i]!;
    if (u === 0) continue; // torch.where(sigmas != 0, …, 0)
    // `1 / sigmas` and `e / (…)` are Tensor.__rtruediv__ = reciprocal() * other: two f32 roundings each.
    const odds = f32(f32(1 / u) - 1);
    sigmas[i] = f32(f32(1 / f32(expShift + odds)) * expShift);
  }
  if (stretch) {
    let last = -1;
    for (let i = 0; i < sigmas.length; i++) if (sigmas[i] !== 0) last = i;
    const scale = f32(f32(1 - sigmas[last]!) / f32(1 - terminal));
    for (let i = 0; i < sigmas.length; i++) {
      if (sigmas[i] !== 0) sigmas[i] = f32(1 - f32(f32(1 - sigmas[i]!) / scale));
    }
  }
  return sigmas;
}

/** Distilled stage-1 schedule (8 steps), as the upstream Python list. */
export const DISTILLED_SIGMA_VALUES: readonly number[] = Object.freeze([1.0, 0.99375, 0.9875, 0.98125, 0.975, 0.909375, 0.725, 0.421875, 0.0]);
/** Stage-2 refinement schedule (3 steps; 4 values). */
export const STAGE_2_DISTILLED_SIGMA_VALUES: readonly number[] = Object.freeze([0.909375, 0.725, 0.421875, 0.0]);
/** Stage 2 of the tiled-data-parallel multi-GPU runner. */
export const TDP_DISTILLED_SIGMA_VALUES: readonly number[] = Object.freeze([0.625, 0.4, 0.0]);

/** `torch.tensor(values)`: a fresh float32 schedule (callers may mutate it without touching the constants). */
export function sigmasFromValues(values: readonly number[]): Float32Array {
  if (values.length < 2) throw new RangeError(`sigmasFromValues: values needs at least 2 sigmas, got ${values.length}`);
  values.forEach((v, i) => checkFinite(v, "sigmasFromValues", `values[${i}]`));
  return Float32Array.from(values);
}
