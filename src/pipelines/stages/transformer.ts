// Opening the transformer of a checkpoint with LoRAs fused (W += strength·B@A while the weights load). The
// returned handle releases the model and every file it mapped.
import { SafetensorsFile } from "../../checkpoint/safetensors.js";
import { TRANSFORMER_PREFIX } from "../../models/ltx2/checkpoint/layout.js";
import { LoraFusedSource } from "../../models/ltx2/loraFusion.js";
import { parseTransformerConfig } from "../../models/ltx2/transformer/config.js";
import { LTXModel } from "../../models/ltx2/transformer/model.js";

export interface LoadedTransformer extends Disposable {
  model: LTXModel;
}

export function openTransformer(checkpoint: string, loras: readonly { path: string; strength: number }[]): LoadedTransformer {
  const files: SafetensorsFile[] = [];
  try {
    const file = SafetensorsFile.open(checkpoint);
    files.push(file);
    const base = file.view(TRANSFORMER_PREFIX);
    const specs = loras.map((l) => {
      const f = SafetensorsFile.open(l.path);
      files.push(f);
      return { source: f, strength: l.strength, name: l.path };
    });
    const source = specs.length ? new LoraFusedSource(base, specs) : base;
    const model = new LTXModel(source, parseTransformerConfig(file.config));
    return {
      model,
      [Symbol.dispose]() {
        model.dispose();
        for (const f of files) f.dispose();
      },
    };
  } catch (e) {
    for (const f of files) f.dispose();
    throw e;
  }
}
