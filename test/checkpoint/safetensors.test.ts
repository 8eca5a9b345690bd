// The safetensors reader: round trips with the writer, metadata and prefix views, and every kind of malformed
// file answered by ERR_AIPROD_BAD_FILE naming the problem (plus a fuzz run over mutated and truncated files).
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { AiprodError, Tensor } from "../../src/index.js";
import { MAX_HEADER_BYTES, SafetensorsFile } from "../../src/checkpoint/safetensors.js";
import { writeSafetensors } from "../../src/checkpoint/safetensorsWriter.js";
import { rng } from "../helpers/numberFormats.js";
import { randn } from "../helpers/reference.js";

const dir = mkdtempSync(join(tmpdir(), "aiprod-st-"));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function fileWith(name: string, header: unknown, data: Buffer | number = 0, rawHeader?: Buffer): string {
  const json = rawHeader ?? Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([len, json, typeof data === "number" ? Buffer.alloc(data) : data]));
  return path;
}

t.test("writer and reader round trip every dtype, metadata and prefix views", async (t) => {
  const path = join(dir, "model.safetensors");
  const w = randn(6, 1);
  using bf = Tensor.from(randn(5, 2), [5], "bf16");
  writeSafetensors(path, {
    "model.diffusion_model.proj.weight": { dtype: "f32", shape: [2, 3], data: w },
    "model.diffusion_model.proj.bias": { dtype: "bf16", shape: [5], data: bf },
    "vae.scale": { dtype: "f16", shape: [1], data: new Uint16Array([0x3c00]) },
    "model.diffusion_model.blocks.0.weight": { dtype: "f8e4m3", shape: [2], data: new Uint8Array([0x38, 0xb8]) },
    "model.diffusion_model.blocks.0.weight_scale": { dtype: "f32", shape: [], data: new Float32Array([0.5]) },
  }, { config: JSON.stringify({ transformer: { num_layers: 1 } }), model_version: "2.3" });
  t.notOk(readdirSync(dir).some((f) => f.includes(".tmp-")), "no temporary file left behind");
  const raw = readFileSync(path);
  t.equal(Number(raw.readBigUInt64LE(0)) % 8, 0, "header padded to 8 bytes");
  using f = SafetensorsFile.open(path);
  t.same(f.config, { transformer: { num_layers: 1 } });
  t.equal(f.modelVersion, "2.3");
  t.equal(f.keys().length, 5);
  using a = f.tensor("model.diffusion_model.proj.weight");
  t.same(a.shape, [2, 3]);
  t.same(Array.from(a.toFloat32()), Array.from(w));
  using b = f.tensor("model.diffusion_model.proj.bias");
  t.same(Array.from(b.read()), Array.from(bf.read()));
  using s = f.tensor("vae.scale");
  t.same(Array.from(s.toFloat32()), [1]);
  const model = f.view("model.diffusion_model.");
  t.same(model.keys().sort(), ["blocks.0.weight", "blocks.0.weight_scale", "proj.bias", "proj.weight"]);
  const block = model.view("blocks.0.");
  using q = block.tensor("weight");
  t.equal(q.dtype, "f8e4m3");
  t.same(Array.from(q.toFloat32()), [1, -1]);
  using scale = block.tensor("weight_scale");
  t.same(scale.shape, []);
  t.throws(() => block.tensor("bias"), { code: "ERR_AIPROD_MISSING_WEIGHT", message: /under 'model.diffusion_model.blocks.0.' has no tensor 'bias'/ });
  t.equal(block.info("weight").fileDType, "F8_E4M3");
});

t.test("files without model_version are 2.0; views outlive the file object", async (t) => {
  const path = join(dir, "plain.safetensors");
  writeSafetensors(path, { x: { dtype: "f32", shape: [3], data: new Float32Array([1, 2, 3]) } });
  const f = SafetensorsFile.open(path);
  t.equal(f.modelVersion, "2.0");
  t.equal(f.config, undefined);
  const x = f.tensor("x");
  f.dispose();
  t.same(Array.from(x.toFloat32()), [1, 2, 3]);
  x.dispose();
});

t.test("malformed files are clear errors", async (t) => {
  const ok = { a: { dtype: "F32", shape: [2], data_offsets: [0, 8] } };
  const cases: [string, () => string, RegExp][] = [
    ["empty file", () => { const p = join(dir, "empty"); writeFileSync(p, ""); return p; }, /is 0 bytes long: too short/],
    ["oversized header", () => { const p = join(dir, "huge"); const b = Buffer.alloc(16); b.writeBigUInt64LE(BigInt(MAX_HEADER_BYTES) + 1n); writeFileSync(p, b); return p; }, /declares a 104857601-byte header/],
    ["truncated header", () => { const p = join(dir, "trunc"); const b = Buffer.alloc(16); b.writeBigUInt64LE(100n); writeFileSync(p, b); return p; }, /is truncated: the header needs 108 bytes, the file has 16/],
    ["not JSON", () => fileWith("nojson", null, 0, Buffer.from("{nope")), /header that is not valid JSON/],
    ["JSON array", () => fileWith("array", [1, 2]), /header that is not a JSON object/],
    ["unknown dtype", () => fileWith("dtype", { a: { dtype: "F12", shape: [2], data_offsets: [0, 8] } }, 8), /unknown dtype 'F12' for 'a'/],
    ["bad shape", () => fileWith("shape", { a: { dtype: "F32", shape: [-2], data_offsets: [0, 8] } }, 8), /invalid shape \[-2\] for 'a'/],
    ["offsets out of range", () => fileWith("range", ok, 4), /is truncated: 'a' ends at data byte 8, the data section has 4 bytes/],
    ["size mismatch", () => fileWith("size", { a: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, 8), /hold 8 bytes instead of 12/],
    ["overlap", () => fileWith("overlap", { ...ok, b: { dtype: "F32", shape: [2], data_offsets: [4, 12] } }, 12), /overlapping tensors 'a' and 'b'/],
    ["metadata not strings", () => fileWith("meta", { __metadata__: { n: 1 }, ...ok }, 8), /non-string __metadata__ value for 'n'/],
    ["missing file", () => join(dir, "does-not-exist"), /cannot open '.*does-not-exist': ENOENT/],
  ];
  for (const [what, make, message] of cases) {
    t.throws(() => SafetensorsFile.open(make()), { code: "ERR_AIPROD_BAD_FILE", message }, what);
  }
  const badConfig = fileWith("config", { __metadata__: { config: "{" }, ...ok }, 8);
  t.throws(() => SafetensorsFile.open(badConfig).config, { message: /__metadata__.config that is not valid JSON/ });
  const ints = fileWith("ints", { a: { dtype: "I64", shape: [1], data_offsets: [0, 8] } }, 8);
  using f = SafetensorsFile.open(ints);
  t.throws(() => f.tensor("a"), { code: "ERR_AIPROD_UNSUPPORTED_DTYPE", message: /'a' in '.*ints' is I64/ });
});

t.test("fuzz: mutated and truncated files open correctly or fail with ERR_AIPROD_BAD_FILE, never crash", async (t) => {
  const path = join(dir, "seed.safetensors");
  writeSafetensors(path, {
    "a.weight": { dtype: "bf16", shape: [4, 3], data: new Uint16Array(12).fill(0x3f80) },
    "a.bias": { dtype: "f32", shape: [4], data: new Float32Array(4).fill(2) },
  }, { config: "{\"vae\":{}}" });
  const seed = readFileSync(path);
  const r = rng(1234);
  let opened = 0, rejected = 0;
  for (let i = 0; i < 600; i++) {
    const b = Buffer.from(seed);
    const mode = i % 3;
    let bytes: Buffer = b;
    if (mode === 0) bytes = b.subarray(0, Math.floor(r() * b.length));
    else if (mode === 1) for (let k = 0; k < 1 + Math.floor(r() * 4); k++) b[Math.floor(r() * Math.min(b.length, 8 + 200))] = Math.floor(r() * 256);
    else b[Math.floor(r() * 8)] = Math.floor(r() * 256);
    const p = join(dir, `fuzz-${i % 7}`);
    writeFileSync(p, bytes);
    try {
      using f = SafetensorsFile.open(p);
      for (const k of f.keys()) {
        const info = f.info(k);
        if (!info.dtype) continue;
        using x = f.tensor(k);
        x.toFloat32();
      }
      opened++;
    } catch (e) {
      if (!(e instanceof AiprodError) || !["ERR_AIPROD_BAD_FILE", "ERR_AIPROD_UNSUPPORTED_DTYPE"].includes(e.code)) throw e;
      rejected++;
    }
  }
  t.ok(opened > 0 && rejected > 0, `both outcomes seen (${opened} opened, ${rejected} rejected)`);
  t.ok(existsSync(path));
});
