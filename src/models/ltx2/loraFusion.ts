// LoRA fusion (loader/fuse_loras.py): W ← W + Σ strength·(B @ A) for every module a LoRA file targets, with no
// alpha/rank scaling (upstream trains with alpha = rank). PEFT keys: `diffusion_model.<module>.lora_A.weight`
// (r, in) and `.lora_B.weight` (out, r). Fused weights are new tensors in the base weight's dtype (f8 bases are
// dequantized with their weight_scale first and come back as bf16); untouched weights stay mapped views.
import { PrefixView, type TensorInfo, type WeightSource } from "../../checkpoint/safetensors.js";
import { AiprodError } from "../../native/errors.js";
import { matmul } from "../../runtime/linear.js";
import { addBroadcast, affine } from "../../runtime/shape.js";
import type { Tensor } from "../../runtime/tensor.js";

export const LORA_PREFIX = "diffusion_model.";

export interface LoraSpec {
  /** The LoRA file (or any source with its keys). */
  source: WeightSource;
  strength: number;
  name?: string;
}

function loraError(message: string): AiprodError {
  return new AiprodError("ERR_AIPROD_BAD_LORA", `aiprod.lora: ${message}`);
}

/** The modules a LoRA targets (without prefix and suffix), checked for matching A/B pairs. */
export function loraModules(spec: LoraSpec): string[] {
  const label = spec.name ?? spec.source.name;
  const modules = new Set<string>();
  for (const k of spec.source.keys()) {
    const m = /^(.*)\.lora_([AB])\.weight$/.exec(k);
    if (!m || !m[1]!.startsWith(LORA_PREFIX)) throw loraError(`${label}: key '${k}' is not a PEFT LoRA key (${LORA_PREFIX}<module>.lora_A|B.weight)`);
    modules.add(m[1]!.slice(LORA_PREFIX.length));
  }
  for (const m of modules) {
    for (const ab of ["A", "B"]) {
      if (!spec.source.has(`${LORA_PREFIX}${m}.lora_${ab}.weight`)) throw loraError(`${label}: '${m}' has no lora_${ab}.weight`);
    }
  }
  return [...modules];
}

export class LoraFusedSource implements WeightSource {
  readonly #targets = new Map<string, LoraSpec[]>();

  constructor(readonly base: WeightSource, readonly loras: readonly LoraSpec[]) {
    for (const spec of loras) {
      const label = spec.name ?? spec.source.name;
      if (!Number.isFinite(spec.strength)) throw loraError(`${label}: strength ${spec.strength} is not a finite number`);
      for (const m of loraModules(spec)) {
        if (!base.has(`${m}.weight`)) throw loraError(`${label} targets '${m}', which the model does not have`);
        const a = spec.source.info(`${LORA_PREFIX}${m}.lora_A.weight`).shape, b = spec.source.info(`${LORA_PREFIX}${m}.lora_B.weight`).shape;
        const w = base.info(`${m}.weight`).shape;
        if (a.length !== 2 || b.length !== 2 || w.length !== 2 || a[1] !== w[1] || b[0] !== w[0] || a[0] !== b[1]) {
          throw loraError(`${label}: '${m}' has lora_A [${a}] and lora_B [${b}]; the weight is [${w}] (need A [r, ${w[1]}], B [${w[0]}, r])`);
        }
        this.#targets.set(`${m}.weight`, [...(this.#targets.get(`${m}.weight`) ?? []), spec]);
      }
    }
  }

  get name(): string {
    return `${this.base.name} + ${this.loras.length} LoRA(s)`;
  }

  /** Weights a LoRA changes. */
  get fusedKeys(): string[] {
    return [...this.#targets.keys()];
  }

  keys(): string[] {
    return this.base.keys();
  }

  has(key: string): boolean {
    return this.base.has(key);
  }

  info(key: string): TensorInfo {
    const info = this.base.info(key);
    return this.#targets.has(key) && info.dtype === "f8e4m3" ? { ...info, fileDType: "BF16", dtype: "bf16" } : info;
  }

  tensor(key: string): Tensor {
    const specs = this.#targets.get(key);
    if (!specs) {
      // The scale of a fused f8 weight no longer applies (the fused weight is bf16).
      return this.base.tensor(key);
    }
    using w = this.base.tensor(key);
    const scaleKey = key.replace(/\.weight$/, ".weight_scale");
    let acc: Tensor = w.dtype === "f8e4m3" && this.base.has(scaleKey) ? dequantized(w, this.base, scaleKey) : w.cast("f32");
    try {
      for (const spec of specs) {
        const m = key.slice(0, -".weight".length);
        using a = spec.source.tensor(`${LORA_PREFIX}${m}.lora_A.weight`);
        using b = spec.source.tensor(`${LORA_PREFIX}${m}.lora_B.weight`);
        using a32 = a.cast("f32");
        using b32 = b.cast("f32");
        using ba = matmul(b32, a32);
        using scaled = affine(ba, spec.strength);
        const next = addBroadcast(acc, scaled);
        acc.dispose();
        acc = next;
      }
      return acc.cast(w.dtype === "f8e4m3" ? "bf16" : w.dtype);
    } finally {
      acc.dispose();
    }
  }

  view(prefix: string): WeightSource {
    return new PrefixView(this, prefix);
  }
}

function dequantized(w: Tensor, base: WeightSource, scaleKey: string): Tensor {
  using s = base.tensor(scaleKey);
  using f = w.cast("f32");
  return affine(f, s.toFloat32()[0]!);
}
