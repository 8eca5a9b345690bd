// A Hugging Face model folder's weights as one WeightSource: model.safetensors.index.json (weight_map key ->
// shard) over its shards, or a lone model.safetensors. Shards open lazily and are mapped, not read.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SafetensorsFile, type TensorInfo, type WeightSource } from "../../checkpoint/safetensors.js";
import { AiprodError } from "../../native/errors.js";
import type { Tensor } from "../../runtime/tensor.js";

function missing(name: string, key: string): AiprodError {
  return new AiprodError("ERR_AIPROD_MISSING_WEIGHT", `aiprod.gemma3: ${name} has no tensor '${key}'`);
}

/** The key as the file spells it (prefix views included), for error messages. */
export function fullKey(w: WeightSource, key: string): string {
  return w instanceof Prefixed ? w.prefix + key : key;
}

export class ShardedWeights implements WeightSource, Disposable {
  readonly #files = new Map<string, SafetensorsFile>();
  readonly #keyToFile: Map<string, string>;

  private constructor(readonly dir: string, keyToFile: Map<string, string>) {
    this.#keyToFile = keyToFile;
  }

  /** The weights of `dir`: the index's shards, or model.safetensors. */
  static open(dir: string): ShardedWeights {
    const indexPath = join(dir, "model.safetensors.index.json");
    if (existsSync(indexPath)) {
      let index: unknown;
      try {
        index = JSON.parse(readFileSync(indexPath, "utf8"));
      } catch (e) {
        throw new AiprodError("ERR_AIPROD_BAD_FILE", `aiprod.gemma3: '${indexPath}' is not valid JSON`, { cause: e });
      }
      const map = (index as { weight_map?: unknown } | null)?.weight_map;
      if (typeof map !== "object" || map === null) throw new AiprodError("ERR_AIPROD_BAD_FILE", `aiprod.gemma3: '${indexPath}' has no weight_map object`);
      const keyToFile = new Map<string, string>();
      for (const [k, f] of Object.entries(map as Record<string, unknown>)) {
        if (typeof f !== "string" || f.includes("/") || f.includes("\\")) {
          throw new AiprodError("ERR_AIPROD_BAD_FILE", `aiprod.gemma3: '${indexPath}' maps '${k}' to ${JSON.stringify(f)}, not a file name in the folder`);
        }
        keyToFile.set(k, f);
      }
      return new ShardedWeights(dir, keyToFile);
    }
    const single = join(dir, "model.safetensors");
    if (!existsSync(single)) {
      throw new AiprodError("ERR_AIPROD_BAD_FILE", `aiprod.gemma3: '${dir}' has neither model.safetensors.index.json nor model.safetensors`);
    }
    const file = SafetensorsFile.open(single);
    const w = new ShardedWeights(dir, new Map(file.keys().map((k) => [k, "model.safetensors"])));
    w.#files.set("model.safetensors", file);
    return w;
  }

  get name(): string {
    return `'${this.dir}'`;
  }

  #file(key: string): SafetensorsFile {
    const f = this.#keyToFile.get(key);
    if (f === undefined) throw missing(this.name, key);
    let file = this.#files.get(f);
    if (!file) {
      file = SafetensorsFile.open(join(this.dir, f));
      this.#files.set(f, file);
    }
    if (!file.has(key)) throw new AiprodError("ERR_AIPROD_BAD_FILE", `aiprod.gemma3: the index puts '${key}' in '${f}', which does not hold it`);
    return file;
  }

  keys(): string[] {
    return [...this.#keyToFile.keys()];
  }

  has(key: string): boolean {
    return this.#keyToFile.has(key);
  }

  info(key: string): TensorInfo {
    return this.#file(key).info(key);
  }

  tensor(key: string): Tensor {
    return this.#file(key).tensor(key);
  }

  view(prefix: string): WeightSource {
    return new Prefixed(this, prefix);
  }

  dispose(): void {
    for (const f of this.#files.values()) f.dispose();
    this.#files.clear();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

class Prefixed implements WeightSource {
  constructor(readonly base: WeightSource, readonly prefix: string) {}
  get name(): string {
    return this.base.name;
  }
  keys(): string[] {
    return this.base.keys().filter((k) => k.startsWith(this.prefix)).map((k) => k.slice(this.prefix.length));
  }
  has(key: string): boolean {
    return this.base.has(this.prefix + key);
  }
  info(key: string): TensorInfo {
    if (!this.has(key)) throw missing(this.name, this.prefix + key);
    return this.base.info(this.prefix + key);
  }
  tensor(key: string): Tensor {
    if (!this.has(key)) throw missing(this.name, this.prefix + key);
    return this.base.tensor(this.prefix + key);
  }
  view(prefix: string): WeightSource {
    return new Prefixed(this.base, this.prefix + prefix);
  }
}

/**
 * Where the language model's weights sit. Multimodal checkpoints: `language_model.model.` (transformers < 4.52)
 * or `model.language_model.` (later); Gemma3ForCausalLM: `model.`; a bare Gemma3TextModel: no prefix.
 */
export const LANGUAGE_MODEL_PREFIXES = ["model.language_model.", "language_model.model.", "model.", ""] as const;

export function languageModelPrefix(w: WeightSource): string {
  const p = LANGUAGE_MODEL_PREFIXES.find((p) => w.has(`${p}embed_tokens.weight`));
  if (p === undefined) {
    throw new AiprodError("ERR_AIPROD_MISSING_WEIGHT",
      `aiprod.gemma3: ${w.name} has no 'embed_tokens.weight' under any of ${LANGUAGE_MODEL_PREFIXES.map((x) => `'${x}'`).join(", ")}`);
  }
  return p;
}
