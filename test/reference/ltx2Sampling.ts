// Float64 reference for the LTX-2 sampling math, written from the formulas in the architecture report
// (§2.1, §7), not from the engine: no rounding to f32 anywhere, the plain algebraic forms.

/** LTX2Scheduler: σ_i = e^μ/(e^μ + 1/u_i − 1), u_i = 1 − i/steps, stretched so the last non-zero σ is `terminal`. */
export function refSigmas(steps: number, tokens = 4096, maxShift = 2.05, baseShift = 0.95, stretch = true, terminal = 0.1): number[] {
  const mu = baseShift + ((maxShift - baseShift) * (tokens - 1024)) / (4096 - 1024);
  const sig: number[] = [];
  for (let i = 0; i < steps; i++) {
    const u = 1 - i / steps;
    sig.push(Math.exp(mu) / (Math.exp(mu) + (1 / u - 1)));
  }
  if (stretch) {
    const last = sig[sig.length - 1]!;
    const scale = (1 - last) / (1 - terminal);
    for (let i = 0; i < sig.length; i++) sig[i] = 1 - (1 - sig[i]!) / scale;
  }
  sig.push(0);
  return sig;
}

export function refEuler(x: ArrayLike<number>, x0: ArrayLike<number>, s: number, sNext: number): number[] {
  return Array.from(x, (xi, k) => xi + ((sNext - s) * (xi - x0[k]!)) / s);
}

export function refEulerAncestral(x: ArrayLike<number>, x0: ArrayLike<number>, s: number, sNext: number, eta: number, sNoise: number, eps: ArrayLike<number>): number[] {
  if (sNext === 0) return Array.from(x0);
  const sDown = sNext * (1 + (sNext / s - 1) * eta);
  const coef = Math.sqrt(Math.max(0, sNext ** 2 - (sDown ** 2 * (1 - sNext) ** 2) / (1 - sDown) ** 2));
  return Array.from(x, (xi, k) => {
    const xp = (sDown / s) * xi + (1 - sDown / s) * x0[k]!;
    return ((1 - sNext) / (1 - sDown)) * xp + eps[k]! * sNoise * coef;
  });
}

function std(a: readonly number[]): number {
  const mean = a.reduce((p, v) => p + v, 0) / a.length;
  return Math.sqrt(a.reduce((p, v) => p + (v - mean) ** 2, 0) / (a.length - 1));
}

export interface RefGuide { cfg: number; stg: number; mod: number; rescale: number }

export function refGuide(c: ArrayLike<number>, u: ArrayLike<number>, p: ArrayLike<number>, q: ArrayLike<number>, g: RefGuide): number[] {
  const pred = Array.from(c, (ci, k) => ci + (g.cfg - 1) * (ci - u[k]!) + g.stg * (ci - p[k]!) + (g.mod - 1) * (ci - q[k]!));
  if (g.rescale === 0) return pred;
  const factor = (g.rescale * std(Array.from(c))) / std(pred) + 1 - g.rescale;
  return pred.map((v) => v * factor);
}

/** x = clean + m·((1−s)·latent + s·ε − clean), m per token. */
export function refNoiser(latent: ArrayLike<number>, clean: ArrayLike<number>, mask: ArrayLike<number>, s: number, eps: ArrayLike<number>, channels: number): number[] {
  return Array.from(latent, (l, k) => {
    const m = mask[Math.floor(k / channels)]!;
    return clean[k]! + m * ((1 - s) * l + s * eps[k]! - clean[k]!);
  });
}

export function refPostProcess(x0: ArrayLike<number>, mask: ArrayLike<number>, clean: ArrayLike<number>, channels: number): number[] {
  return Array.from(x0, (v, k) => {
    const m = mask[Math.floor(k / channels)]!;
    return v * m + clean[k]! * (1 - m);
  });
}

/** x̂₀ = x − v·σ·m per token. */
export function refToDenoised(x: ArrayLike<number>, v: ArrayLike<number>, sigma: number, mask: ArrayLike<number>, channels: number): number[] {
  return Array.from(x, (xi, k) => xi - v[k]! * sigma * mask[Math.floor(k / channels)]!);
}
