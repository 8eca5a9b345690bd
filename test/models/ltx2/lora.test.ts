// LoRA fusion: W + Σ s·B@A with no alpha scaling, f8 bases dequantized first, clear errors for LoRAs that do
// not fit the model; a fused model's forward differs from the base one.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { SafetensorsFile } from "../../../src/checkpoint/safetensors.js";
import { writeSafetensors } from "../../../src/checkpoint/safetensorsWriter.js";
import { TRANSFORMER_PREFIX } from "../../../src/models/ltx2/checkpoint/layout.js";
import { writeTinyLtx2Checkpoint } from "../../../src/models/ltx2/checkpoint/tinyCheckpoint.js";
import { LoraFusedSource } from "../../../src/models/ltx2/loraFusion.js";
import { randn, roundBf16 } from "../../helpers/reference.js";

const dir = mkdtempSync(join(tmpdir(), "aiprod-lora-"));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const ckpt = join(dir, "tiny.safetensors");
writeTinyLtx2Checkpoint(ckpt, { seed: 3 });

function writeLora(path: string, module: string, out: number, inF: number, rank: number, seed: number) {
  const a = randn(rank * inF, seed), b = randn(out * rank, seed + 1);
  writeSafetensors(path, {
    [`diffusion_model.${module}.lora_A.weight`]: { dtype: "f32", shape: [rank, inF], data: a },
    [`diffusion_model.${module}.lora_B.weight`]: { dtype: "f32", shape: [out, rank], data: b },
  });
  return { a, b };
}

t.test("fused weight = W + Σ strength·B@A (two LoRAs), rounded once to the weight's dtype", async (t) => {
  const m = "transformer_blocks.0.attn1.to_q";
  const l1 = writeLora(join(dir, "l1.safetensors"), m, 16, 16, 2, 1);
  const l2 = writeLora(join(dir, "l2.safetensors"), m, 16, 16, 3, 5);
  using f = SafetensorsFile.open(ckpt);
  using f1 = SafetensorsFile.open(join(dir, "l1.safetensors"));
  using f2 = SafetensorsFile.open(join(dir, "l2.safetensors"));
  const fused = new LoraFusedSource(f.view(TRANSFORMER_PREFIX), [{ source: f1, strength: 0.8 }, { source: f2, strength: -0.5 }]);
  t.same(fused.fusedKeys, [`${m}.weight`]);
  using base = f.tensor(`${TRANSFORMER_PREFIX}${m}.weight`);
  using got = fused.tensor(`${m}.weight`);
  t.equal(got.dtype, "bf16");
  const w = base.toFloat32(), g = got.toFloat32();
  let bad = 0;
  for (let o = 0; o < 16; o++) for (let i = 0; i < 16; i++) {
    let d1 = 0, d2 = 0;
    for (let r = 0; r < 2; r++) d1 += l1.b[o * 2 + r]! * l1.a[r * 16 + i]!;
    for (let r = 0; r < 3; r++) d2 += l2.b[o * 3 + r]! * l2.a[r * 16 + i]!;
    const want = w[o * 16 + i]! + 0.8 * d1 - 0.5 * d2;
    // f32 accumulation then one bf16 rounding: within one bf16 step (2^-8 relative) plus f32 noise.
    if (Math.abs(g[o * 16 + i]! - roundBf16(want)) > Math.abs(want) * 2 ** -8 + 1e-6) bad++;
  }
  t.equal(bad, 0);
  using untouched = fused.tensor("transformer_blocks.0.attn1.to_k.weight");
  using orig = f.tensor(`${TRANSFORMER_PREFIX}transformer_blocks.0.attn1.to_k.weight`);
  t.same(untouched.read(), orig.read(), "weights no LoRA targets are the base's");
});

t.test("LoRAs that do not fit are clear errors", async (t) => {
  using f = SafetensorsFile.open(ckpt);
  writeLora(join(dir, "bad-shape.safetensors"), "transformer_blocks.0.attn1.to_q", 16, 8, 2, 1);
  writeLora(join(dir, "bad-module.safetensors"), "transformer_blocks.9.attn1.to_q", 16, 16, 2, 1);
  writeSafetensors(join(dir, "bad-key.safetensors"), { "x.weight": { dtype: "f32", shape: [1], data: new Float32Array(1) } });
  const base = f.view(TRANSFORMER_PREFIX);
  const open = (n: string) => SafetensorsFile.open(join(dir, n));
  t.throws(() => new LoraFusedSource(base, [{ source: open("bad-shape.safetensors"), strength: 1 }]), { code: "ERR_AIPROD_BAD_LORA", message: /lora_A \[2,8\] and lora_B \[16,2\]; the weight is \[16,16\]/ });
  t.throws(() => new LoraFusedSource(base, [{ source: open("bad-module.safetensors"), strength: 1 }]), { message: /targets 'transformer_blocks.9.attn1.to_q', which the model does not have/ });
  t.throws(() => new LoraFusedSource(base, [{ source: open("bad-key.safetensors"), strength: 1 }]), { message: /key 'x.weight' is not a PEFT LoRA key/ });
  t.throws(() => new LoraFusedSource(base, [{ source: open("l1.safetensors"), strength: NaN }]), { message: /strength NaN is not a finite number/ });
});
