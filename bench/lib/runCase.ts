// One benchmark case: our op (when exported) and every peer formulation, each peer in its own onnxruntime
// session released before the next, timed in alternating rounds (ours, then the peers, `rounds` times) so that
// a machine that speeds up or slows down during the case moves both sides alike; each side's number is the
// median of all its samples. The fastest peer is reported, and our output is checked against that peer's so a
// fast but wrong kernel shows up.
import type { BenchCase } from "../cases.js";
import { createPeerSession, peerVersion } from "../onnx/session.js";
import type { BenchArgs } from "./args.js";
import { log } from "./log.js";
import type { OurOps } from "./ours.js";
import type { CaseResult, PeerVariant } from "./report.js";
import { gflops, median, timeRuns } from "./timing.js";

export async function runCase(c: BenchCase, ops: OurOps, args: Pick<BenchArgs, "warmup" | "repeat" | "rounds">, threads: number, peak: number): Promise<CaseResult> {
  const p = c.prepare();
  try {
    const runner = p.ours(ops);
    let oursStatus = "unavailable" in runner ? `not available (${runner.unavailable})` : "ok";
    let oursOutput: Float32Array | null = null;
    const oursSamples: number[] = [];
    const peerSamples: number[][] = p.peers.map(() => []);
    const peerOutputs: (Float32Array | null)[] = p.peers.map(() => null);
    for (let round = 0; round < args.rounds; round++) {
      // Ours before the peers within a round: onnxruntime's threads keep spinning for a while after a run and
      // would steal our cores; releasing its session ends them before our next round.
      if (!("unavailable" in runner) && oursStatus === "ok") {
        try {
          if (round === 0) {
            const first = runner.run();
            const shape = first.shape;
            oursOutput = first.toFloat32();
            first.dispose();
            if (shape.join(",") !== p.outputShape.join(",")) throw new Error(`output shape [${shape.join(",")}], expected [${p.outputShape.join(",")}]`);
          }
          oursSamples.push(...(await timeRuns(() => runner.run(), args.warmup, args.repeat, (out) => out.dispose())));
        } catch (e) {
          oursStatus = `error: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`;
        }
      }
      for (const [index, model] of p.peers.entries()) {
        const session = await createPeerSession(model.model, model.inputs, model.output.name, threads);
        try {
          const feeds = p.feeds(model);
          if (round === 0) peerOutputs[index] = await session.run(feeds);
          peerSamples[index]!.push(...(await timeRuns(() => session.run(feeds), args.warmup, args.repeat)));
        } finally {
          await session.release();
        }
      }
    }
    const oursSeconds = oursStatus === "ok" && oursOutput ? median(oursSamples) : null;
    const ours = oursSeconds !== null ? { seconds: oursSeconds, gflops: gflops(c.flops, oursSeconds), output: oursOutput! } : null;
    const variants: (PeerVariant & { output: Float32Array; index: number })[] = p.peers.map((model, index) => {
      const seconds = median(peerSamples[index]!);
      return { peer: model.peer, gflops: gflops(c.flops, seconds), seconds, output: peerOutputs[index]!, index };
    });
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
