// The model-hash cache is bounded: a long-running server hashes a new LoRA file per LoRA upload, and each used
// to stay cached for the life of the process. Hashes stay correct (and recomputed after a file changes).
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { MODEL_HASH_CACHE_ENTRIES, type ModelInfo, modelHashCacheSize, modelHashes } from "../../src/pipelines/modelFiles.js";

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

t.test("past its bound the cache drops its oldest entries; hashes stay right", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "aiprod-hashes-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, body: string) => (writeFileSync(join(dir, name), body), join(dir, name));
  const checkpoint = file("ckpt.safetensors", "ckpt");
  const textEncoder = file("gemma.bin", "gemma");
  const loras = Array.from({ length: MODEL_HASH_CACHE_ENTRIES + 50 }, (_, i) => ({ path: file(`lora${i}.safetensors`, `lora ${i}`) }));
  const info = { files: { checkpoint, textEncoder }, loras } as unknown as ModelInfo;
  const hashes = await modelHashes(info);
  t.equal(hashes.checkpoint, sha("ckpt"));
  t.equal(hashes[`lora${loras.length - 1}`], sha(`lora ${loras.length - 1}`));
  t.equal(modelHashCacheSize(), MODEL_HASH_CACHE_ENTRIES, "bounded");
  // A changed file (new size) is hashed again, not served from the cache.
  const changed = { files: { checkpoint: file("ckpt.safetensors", "ckpt v2"), textEncoder }, loras: [] } as unknown as ModelInfo;
  t.equal((await modelHashes(changed)).checkpoint, sha("ckpt v2"));
  t.equal(modelHashCacheSize(), MODEL_HASH_CACHE_ENTRIES, "still bounded");
});
