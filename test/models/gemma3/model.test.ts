// The engine's Gemma 3 forward against the float64 reference (test/reference/gemma3.ts) on tiny folders.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { Gemma3TextModel } from "../../../src/models/gemma3/model.js";
import { writeTinyGemma } from "../../../src/models/gemma3/tiny.js";
import { readFolder, refConfig, refHiddenStates, refLayer, type RefVariant } from "../../reference/gemma3.js";

const root = mkdtempSync(join(tmpdir(), "gemma3-model-"));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

// 14 positions: 3 pads then 11 tokens, longer than the window (5) so sliding and global layers differ.
const ids = [0, 0, 0, 2, 40, 300, 17, 99, 120, 271, 64, 333, 7, 210];
const mask = ids.map((_, i) => (i < 3 ? 0 : 1));
const valid = mask.flatMap((m, i) => (m ? [i] : []));

/** max |a − b| over valid rows, relative to the reference's max |b| there. */
function relErr(got: Float32Array, want: Float64Array, D: number): number {
  let err = 0, mag = 0;
  for (const tIdx of valid) for (let i = 0; i < D; i++) {
    err = Math.max(err, Math.abs(got[tIdx * D + i]! - want[tIdx * D + i]!));
    mag = Math.max(mag, Math.abs(want[tIdx * D + i]!));
  }
  return err / mag;
}

for (const dtype of ["f32", "bf16"] as const) {
  // Bounds. f32 weights: every GEMM, norm and the attention run in f32, so the engine differs from float64 by
  // f32 rounding only (observed ~2.5e-7 after 4 layers; 2e-6 ≈ 30·2^-24 leaves margin). bf16 weights: the GEMMs
  // round their activations to bf16 (2^-9 relative), as upstream's bf16 model does, and the reference does not;
  // ~1.5e-3 per layer is observed, 1.5e-2 bounds 4 layers with margin. Embeddings: exact for bf16 (the same bf16
  // product both sides), one f32 rounding (2^-24) for f32.
  const bound = dtype === "f32" ? 2e-6 : 1.5e-2;
  const bound0 = dtype === "f32" ? 2 ** -24 : 0;
  t.test(`${dtype} weights: every hidden state and each layer agree with the float64 reference`, async (t) => {
    const dir = join(root, dtype);
    const text = writeTinyGemma(dir, { dtype, shards: 3 });
    const c = refConfig(text);
    const w = readFolder(dir);
    const prefix = "model.language_model.";
    using model = Gemma3TextModel.load(dir);
    t.same(model.config.layerTypes, ["sliding_attention", "full_attention", "sliding_attention", "full_attention"]);
    const { hiddenStates, lastHiddenState } = model.forward([ids], { attentionMask: [mask], outputHiddenStates: true });
    t.equal(hiddenStates!.length, c.L + 1, "num_layers + 1 hidden states");
    const got = hiddenStates!.map((h) => h.toFloat32());
    t.same(Array.from(lastHiddenState.toFloat32()), Array.from(got[c.L]!), "last hidden state = final-normed stack entry");
    const want = refHiddenStates(w, prefix, c, ids, mask);
    for (let l = 0; l <= c.L; l++) {
      const e = relErr(got[l]!, want[l]!, c.D);
      const b = l === 0 ? bound0 : bound;
      t.ok(e <= b, `hidden state ${l}: relative error ${e.toExponential(2)} (bound ${b})`);
    }
    // Each layer alone on the engine's own input: local (0, 2) and global (1, 3) layers separately.
    for (let l = 0; l < c.L - 1; l++) {
      const e = relErr(got[l + 1]!, refLayer(w, prefix, c, l, Float64Array.from(got[l]!), mask), c.D);
      t.ok(e <= bound / 2, `layer ${l} (${c.sliding[l] ? "local" : "global"}) alone: ${e.toExponential(2)}`);
    }
    // The comparison can fail: a plain-w RMSNorm, head_dim scaling, no window on local layers or no linear RoPE
    // scaling on global layers each miss by more than 3× the bound.
    for (const v of [{ plainNorm: true }, { headDimScale: true }, { noWindow: true }, { noRopeScaling: true }] as RefVariant[]) {
      const wrong = refHiddenStates(w, prefix, c, ids, mask, v);
      const e = relErr(got[c.L]!, wrong[c.L]!, c.D);
      t.ok(e > 3 * bound, `variant ${JSON.stringify(v)} is rejected (${e.toExponential(2)})`);
    }
    for (const h of hiddenStates!) h.dispose();
    lastHiddenState.dispose();
  });
}

t.test("left padding does not change the valid tokens' hidden states", async (t) => {
  for (const dtype of ["f32", "bf16"] as const) {
    const dir = join(root, `pad-${dtype}`);
    writeTinyGemma(dir, { dtype, seed: 77 });
    using model = Gemma3TextModel.load(dir);
    const tokens = [2, 40, 300, 17, 99, 120, 271, 64, 333, 7];
    const runs = [0, 4, 11].map((pad) => {
      const r = model.forward([[...new Array<number>(pad).fill(0), ...tokens]], { attentionMask: [[...new Array<number>(pad).fill(0), ...tokens.map(() => 1)]], outputHiddenStates: true });
      r.lastHiddenState.dispose();
      return { pad, states: r.hiddenStates!.map((h) => { const a = h.toFloat32(); h.dispose(); return a; }) };
    });
    // Positions shift with the padding (HF counts pads in the position ids); RoPE is relative and pads are
    // masked, so only rounding of the rotation angles differs: f32 2e-6 (as above); bf16 adds activation
    // roundings that may flip (2^-8 relative on an element) and propagate: the model test's 1.5e-2.
    const bound = dtype === "f32" ? 2e-6 : 1.5e-2;
    let worst = 0;
    const D = model.config.hiddenSize;
    const [a, ...rest] = runs;
    for (const b of rest) for (let l = 0; l < a!.states.length; l++) {
      let err = 0, mag = 0;
      for (let i = 0; i < tokens.length * D; i++) {
        const x = a!.states[l]![a!.pad * D + i]!, y = b.states[l]![b.pad * D + i]!;
        err = Math.max(err, Math.abs(x - y));
        mag = Math.max(mag, Math.abs(x));
      }
      worst = Math.max(worst, err / mag);
    }
    t.ok(worst <= bound, `${dtype}: pads 0, 4 and 11 agree: worst relative difference ${worst.toExponential(2)} (bound ${bound})`);
  }
});
