// Multi-modal guidance (upstream `ltx_core/components/guiders.py::MultiModalGuider`): combines the x̂₀ of up
// to four transformer passes (cond, uncond, perturbed/STG, isolated-modality) for one modality.
import { checkArray, checkFinite, checkStorage, f32, type StorageDType, toStorage } from "./precision.js";

export interface GuiderParams {
  /** Classifier-free guidance scale; 1 disables it (no uncond pass). */
  cfgScale: number;
  /** Spatio-temporal guidance scale; 0 disables it (no perturbed pass). */
  stgScale: number;
  /** Transformer blocks whose self-attention is bypassed in the perturbed pass. */
  stgBlocks: readonly number[];
  /** Std rescale strength after guidance; 0 disables it. */
  rescaleScale: number;
  /** Modality guidance scale; 1 disables it (no isolated-modality pass). */
  modalityScale: number;
  /** N > 0: run the model on steps with i mod (N+1) = 0 only, reusing the previous x̂₀ in between. */
  skipStep: number;
}

/** Upstream `MultiModalGuiderParams()` defaults: no guidance at all. */
export const NO_GUIDANCE: Readonly<GuiderParams> = Object.freeze({
  cfgScale: 1, stgScale: 0, stgBlocks: Object.freeze([]) as readonly number[], rescaleScale: 0, modalityScale: 1, skipStep: 0,
});

/** Python's `math.isclose(a, b)` with its defaults (rel_tol 1e-9, abs_tol 0), which upstream uses for pass selection. */
function isClose(a: number, b: number): boolean {
  return a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

function checkParams(p: Partial<GuiderParams>): GuiderParams {
  const fn = "MultiModalGuider";
  const params = { ...NO_GUIDANCE, ...p };
  for (const k of ["cfgScale", "stgScale", "rescaleScale", "modalityScale"] as const) checkFinite(params[k], fn, k);
  if (!Number.isInteger(params.skipStep) || params.skipStep < 0) throw new RangeError(`${fn}: skipStep must be a non-negative integer, got ${params.skipStep}`);
  if (!Array.isArray(params.stgBlocks) || !params.stgBlocks.every((b) => Number.isInteger(b) && b >= 0)) {
    throw new RangeError(`${fn}: stgBlocks must be an array of non-negative block indices`);
  }
  return Object.freeze({ ...params, stgBlocks: Object.freeze([...params.stgBlocks]) });
}

/** Unbiased (n − 1) standard deviation over the whole tensor, like torch's `Tensor.std()` default (correction=1). */
function stdUnbiased(a: Float32Array): number {
  let sum = 0;
  for (let k = 0; k < a.length; k++) sum += a[k]!;
  const mean = sum / a.length;
  let ss = 0;
  for (let k = 0; k < a.length; k++) ss += (a[k]! - mean) ** 2;
  // Accumulated in float64 (torch's CPU reduction also accumulates float32 in double), returned as f32 like the
  // 0-dim float32 tensor upstream gets.
  return f32(Math.sqrt(ss / (a.length - 1)));
}

export class MultiModalGuider {
  readonly params: Readonly<GuiderParams>;

  constructor(params: Partial<GuiderParams> = {}) {
    this.params = checkParams(params);
  }

  /** Whether the negative-prompt pass is needed (cfg ≠ 1). */
  needsUncond(): boolean {
    return !isClose(this.params.cfgScale, 1);
  }

  /** Whether the STG (perturbed self-attention) pass is needed (stg ≠ 0). */
  needsPerturbed(): boolean {
    return !isClose(this.params.stgScale, 0);
  }

  /** Whether the isolated-modality (no A↔V cross-attention) pass is needed (modality ≠ 1). */
  needsModality(): boolean {
    return !isClose(this.params.modalityScale, 1);
  }

  /** True on steps that reuse the previous x̂₀ instead of running the model: i mod (N+1) ≠ 0 for skipStep N > 0. */
  shouldSkip(step: number): boolean {
    if (!Number.isInteger(step) || step < 0) throw new RangeError(`MultiModalGuider.shouldSkip: step must be a non-negative integer, got ${step}`);
    if (this.params.skipStep === 0) return false;
    return step % (this.params.skipStep + 1) !== 0;
  }

  /**
   * Guided x̂₀: pred = c + (cfg−1)(c−u) + stg·(c−p) + (mod−1)(c−q), in f32 in that order; then, if rescale r ≠ 0,
   * pred ← pred·(r·std(c)/std(pred) + 1 − r) with unbiased std over the whole tensor. A pass that was not
   * run counts as 0 (upstream passes the float 0.0), so omit it only when its `needs…()` is false.
   * The result is cast to `storage` (upstream casts back to the x̂₀ dtype).
   */
  calculate(cond: Float32Array, uncond?: Float32Array, perturbed?: Float32Array, modality?: Float32Array, storage: StorageDType = "f32"): Float32Array {
    const fn = "MultiModalGuider.calculate";
    checkArray(cond, undefined, fn, "cond");
    checkStorage(storage, fn);
    const passes = [
      [uncond, "uncond", this.needsUncond()],
      [perturbed, "perturbed", this.needsPerturbed()],
      [modality, "modality", this.needsModality()],
    ] as const;
    for (const [pass, name, needed] of passes) {
      if (pass !== undefined) checkArray(pass, cond.length, fn, name);
      else if (needed) throw new TypeError(`${fn}: ${name} is required by these params`);
    }
    const { cfgScale, stgScale, modalityScale, rescaleScale } = this.params;
    // Python scalars meet float32 tensors: each coefficient is cast to f32 once.
    const cCfg = f32(cfgScale - 1);
    const cStg = f32(stgScale);
    const cMod = f32(modalityScale - 1);
    const out = new Float32Array(cond.length);
    for (let k = 0; k < out.length; k++) {
      const c = cond[k]!;
      let pred = f32(c + f32(cCfg * f32(c - (uncond ? uncond[k]! : 0))));
      pred = f32(pred + f32(cStg * f32(c - (perturbed ? perturbed[k]! : 0))));
      out[k] = f32(pred + f32(cMod * f32(c - (modality ? modality[k]! : 0))));
    }
    if (rescaleScale !== 0) {
      if (cond.length < 2) throw new RangeError(`${fn}: rescale needs at least 2 elements for an unbiased std`);
      const ratio = f32(stdUnbiased(cond) / stdUnbiased(out));
      const factor = f32(f32(f32(rescaleScale) * ratio) + f32(1 - rescaleScale));
      for (let k = 0; k < out.length; k++) out[k] = f32(out[k]! * factor);
    }
    return toStorage(out, storage);
  }
}
