// Child process of the attention memory measurement: a fresh process, so the parent's history (peer sessions
// with gigabyte score matrices) does not pollute the high-water mark. Prints one JSON line:
// {rssBefore, hwmAfter, outputBytes, hwmReset, seconds}. Usage: attentionPeakChild.ts B H N D
import { performance } from "node:perf_hooks";
import { Tensor } from "../../src/index.js";
import { randomF32 } from "../lib/data.js";
import { ourOps } from "../lib/ours.js";
import { hwmBytes, resetHwm, rssBytes } from "./procStatus.js";

const [B, H, N, D] = process.argv.slice(2).map(Number) as [number, number, number, number];
const attention = ourOps().attention;
if (!attention) throw new Error("attention is not exported");
const shape = [B, H, N, D];
const numel = B * H * N * D;
// Inputs are written from JS arrays, which are then dropped and collected before the baseline is read.
let q: Tensor | undefined = Tensor.from(randomF32(numel, 11), shape);
let k: Tensor | undefined = Tensor.from(randomF32(numel, 12), shape);
let v: Tensor | undefined = Tensor.from(randomF32(numel, 13), shape);
(globalThis as { gc?: () => void }).gc?.();
const hwmReset = resetHwm();
const rssBefore = rssBytes();
const t0 = performance.now();
const out = attention(q, k, v, { scale: 1 / Math.sqrt(D) });
const seconds = (performance.now() - t0) / 1000;
const hwmAfter = hwmBytes();
const outputBytes = out.nbytes;
for (const t of [out, q, k, v]) t.dispose();
q = k = v = undefined;
console.log(JSON.stringify({ rssBefore, hwmAfter, outputBytes, hwmReset, seconds }));
