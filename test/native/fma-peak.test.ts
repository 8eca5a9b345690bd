// measureFmaPeak: runs on one pinned thread per CPU and gives a plausible number. Plausible, not exact: tap runs
// test files in parallel, so the machine may be shared while this runs. The upper bound (6 GHz x two 512-bit
// FMA pipes per thread, twice that for bf16 pairs) catches a wrong FLOP count or a loop the compiler dropped.
import { availableParallelism } from "node:os";
import t from "tap";
import { getInfo, measureFmaPeak } from "../../src/index.js";

const features = getInfo().cpu.features;
const cpus = availableParallelism();

t.test("f32 FMA peak", { skip: !features.avx2 && "needs AVX2+FMA" }, async (t) => {
  const r = measureFmaPeak({ kind: "f32", seconds: 0.2 });
  t.equal(r.threads, cpus, "one thread per usable CPU");
  t.ok(r.pinned, "threads are pinned");
  t.equal(r.isa, features.avx512 ? "avx512" : "avx2");
  t.ok(r.gflops > 1 * r.threads, `${r.gflops.toFixed(1)} GFLOP/s is above 1 per thread`);
  t.ok(r.gflops < 6 * 64 * r.threads, `${r.gflops.toFixed(1)} GFLOP/s is below 6 GHz x 64 FLOP/cycle per thread`);
  t.ok(Number.isFinite(r.checksum), "the loops' results come back");
});

t.test("bf16 dot-product peak", async (t) => {
  if (!features.avx512_bf16) {
    t.throws(() => measureFmaPeak({ kind: "bf16", seconds: 0.1 }), { code: "ERR_AIPROD_NATIVE", message: /AVX512_BF16/ });
    return;
  }
  const r = measureFmaPeak({ kind: "bf16", seconds: 0.2 });
  t.equal(r.isa, "avx512_bf16");
  t.ok(r.gflops > 1 * r.threads, `${r.gflops.toFixed(1)} GFLOP/s`);
  t.ok(r.gflops < 6 * 128 * r.threads, "below 6 GHz x 128 FLOP/cycle per thread");
});

t.test("bad options name the problem", async (t) => {
  t.throws(() => measureFmaPeak({ kind: "f64" as never }), { code: "ERR_AIPROD_INVALID_ARGUMENT", message: /kind must be 'f32' or 'bf16'/ });
  t.throws(() => measureFmaPeak({ seconds: 0 }), { code: "ERR_AIPROD_INVALID_ARGUMENT", message: /seconds must be a number in \(0, 60\]/ });
  t.throws(() => measureFmaPeak({ seconds: Number.NaN }), { message: /seconds/ });
});
