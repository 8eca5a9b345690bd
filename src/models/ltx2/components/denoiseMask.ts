// Denoise-mask helpers (upstream `ltx_pipelines/utils/helpers.py::timesteps_from_mask, post_process_latent`).
// The mask is per token, shape (B,T,1): 1 = generate, 0 = keep the clean (conditioning) latent, values in
// between for partial-strength conditioning; it broadcasts over the channels of a (B,T,C) latent.
import { checkArray, checkFinite, checkStorage, checkTokenLayout, f32, type StorageDType, toStorage } from "./precision.js";

/** Per-token model timesteps t_tok = σ·m (f32), B·T values. Tokens with mask 0 get timestep 0. */
export function timestepsFromMask(sigma: number, denoiseMask: Float32Array): Float32Array {
  const fn = "timestepsFromMask";
  const s = f32(checkFinite(sigma, fn, "sigma"));
  checkArray(denoiseMask, undefined, fn, "denoiseMask");
  const out = new Float32Array(denoiseMask.length);
  for (let k = 0; k < out.length; k++) out[k] = f32(denoiseMask[k]! * s);
  return out;
}

/** x̂₀·m + clean·(1 − m) per token (f32), cast to `storage` (upstream: the x̂₀ dtype). */
export function postProcessLatent(denoised: Float32Array, denoiseMask: Float32Array, clean: Float32Array, channels: number, storage: StorageDType = "f32"): Float32Array {
  const fn = "postProcessLatent";
  checkArray(denoised, undefined, fn, "denoised");
  checkArray(denoiseMask, undefined, fn, "denoiseMask");
  checkTokenLayout(denoised, denoiseMask, channels, fn, "denoised");
  checkArray(clean, denoised.length, fn, "clean");
  checkStorage(storage, fn);
  const out = new Float32Array(denoised.length);
  for (let tok = 0; tok < denoiseMask.length; tok++) {
    const m = denoiseMask[tok]!;
    const keep = f32(1 - m);
    for (let c = tok * channels, e = c + channels; c < e; c++) out[c] = f32(f32(denoised[c]! * m) + f32(clean[c]! * keep));
  }
  return toStorage(out, storage);
}
