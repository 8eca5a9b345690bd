// One benchmark case: our op (when exported) timed first, then every peer formulation in its own
// onnxruntime session, released before the next; the fastest peer is reported, and our output is checked
// against that peer's so a fast but wrong kernel shows up.
import type { BenchCase } from "../cases.js";
import { createPeerSession, peerVersion } from "../onnx/session.js";
import type { BenchArgs } from "./args.js";
import { log } from "./log.js";
import type { OurOps } from "./ours.js";
import type { CaseResult, PeerVariant } from "./report.js";
import { gflops, timeMedian } from "./timing.js";

export async function runCase(c: BenchCase, ops: OurOps, args: Pick<BenchArgs, "warmup" | "repeat">, threads: number, peak: number): Promise<CaseResult> {
  const p = c.prepare();
  try {
    // Ours first: onnxruntime's threads keep spinning for a while after a run and would steal our cores.
    let ours: { gflops: number; seconds: number; output: Float32Array } | null = null;
    let oursStatus = "ok";
    const runner = p.ours(ops);
    if ("unavailable" in runner) {
      oursStatus = `not available (${runner.unavailable})`;
    } else {
      try {
        const first = runner.run();
        const shape = first.shape;
        const output = first.toFloat32();
        first.dispose();
        if (shape.join(",") !== p.outputShape.join(",")) throw new Error(`output shape [${shape.join(",")}], expected [${p.outputShape.join(",")}]`);
        const t = await timeMedian(() => runner.run(), args.warmup, args.repeat, (out) => out.dispose());
        ours = { gflops: gflops(c.flops, t.medianSeconds), seconds: t.medianSeconds, output };
      } catch (e) {
        oursStatus = `error: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`;
      }
    }
    const variants: (PeerVariant & { output: Float32Array; index: number })[] = [];
    for (const [index, model] of p.peers.entries()) {
      const session = await createPeerSession(model.model, model.inputs, model.output.name, threads);
      try {
        const feeds = p.feeds(model);
        const output = await session.run(feeds);
        const t = await timeMedian(() => session.run(feeds), args.warmup, args.repeat);
        variants.push({ peer: model.peer, gflops: gflops(c.flops, t.medianSeconds), seconds: t.medianSeconds, output, index });
      } finally {
        await session.release();
      }
    }
    const best = variants.reduce((a, b) => (b.gflops > a.gflops ? b : a));
    const check = ours ? p.relError(ours.output, best.output, p.peers[best.index]!) : null;
    const result: CaseResult = {
      name: c.name,
      shape: c.shape,
      flops: c.flops,
      ours_gflops: ours?.gflops ?? null,
      ours_seconds: ours?.seconds ?? null,
      ours_status: oursStatus,
      peer: `${peerVersion()} ${best.peer}`,
      peer_gflops: best.gflops,
      peer_seconds: best.seconds,
      peer_variants: variants.map(({ peer, gflops, seconds }) => ({ peer, gflops, seconds })),
      ratio: ours ? ours.gflops / best.gflops : null,
      ours_fraction_of_peak: ours ? ours.gflops / peak : null,
      peer_fraction_of_peak: best.gflops / peak,
      check_rel_err: check,
      check_tolerance: c.tolerance,
    };
    const variantText = variants.map((v) => `${v.peer} ${v.gflops.toFixed(1)}`).join(", ");
    log(`${c.name}: ours ${ours ? `${ours.gflops.toFixed(1)} GFLOP/s (rel err vs peer ${check?.toExponential(1)})` : oursStatus}; peer ${variantText}`);
    return result;
  } finally {
    p.dispose();
  }
}
