// The addon is context-aware: worker threads load it and run ops, concurrently with the main thread.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import t from "tap";
import { getInfo, Tensor } from "../../src/index.js";

const root = join(import.meta.dirname, "..", "..");

function runWorker(a: number[], b: number[]): Promise<{ isa: string; sum: number[] }> {
  return new Promise((resolve, reject) => {
    // The worker registers the TypeScript loader itself, then imports the fixture (which imports the library).
    const fixture = JSON.stringify(join(import.meta.dirname, "..", "fixtures", "workerOp.ts"));
    const boot = `import("tsx/esm/api").then(({ register }) => { register(); return import(${fixture}); })`;
    const w = new Worker(boot, { eval: true, workerData: { a, b } });
    w.once("message", resolve);
    w.once("error", reject);
    w.once("exit", (code) => code !== 0 && reject(new Error(`worker exited with ${code}`)));
  });
}

t.test("worker threads load the addon and run an op", async (t) => {
  using x = Tensor.from(new Float32Array(100000).fill(1), [100000]);
  const results = await Promise.all([runWorker([1, 2, 3], [0.5, 0.25, 4]), runWorker([8, 9], [1, 1])]);
  using y = x.add(x); // main thread keeps working meanwhile
  t.same(results[0]!.sum, [1.5, 2.25, 7]);
  t.same(results[1]!.sum, [9, 10]);
  t.equal(results[0]!.isa, getInfo().isa);
  t.equal(y.toFloat32()[99999], 2);
});

function childInfo(env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const script = join(root, "test", "fixtures", "isaChild.ts");
  const r = spawnSync(process.execPath, ["--import", "tsx", script], { cwd: root, env: { ...process.env, ...env }, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}

t.test("AIPROD_ISA forces a path; a bad or unsupported value is a clear error", async (t) => {
  for (const isa of getInfo().isaAvailable) {
    const r = childInfo({ AIPROD_ISA: isa });
    t.equal(r.stdout, `${isa} 2,4`, `AIPROD_ISA=${isa}`);
  }
  const bad = childInfo({ AIPROD_ISA: "sse9" });
  t.not(bad.status, 0);
  t.match(bad.stderr, "aiprod: AIPROD_ISA='sse9' is not one of ref, avx2, avx512, auto");
  for (const [isa, why] of Object.entries(getInfo().isaUnavailable)) {
    const r = childInfo({ AIPROD_ISA: isa });
    t.not(r.status, 0);
    t.match(r.stderr, `AIPROD_ISA=${isa}: ISA path '${isa}' is not usable: ${why}`);
  }
});
