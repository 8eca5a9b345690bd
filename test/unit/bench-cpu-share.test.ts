// The bench's measure of other work on the CPUs (bench/lib/cpuShare.ts) and the warning built on it: parsed
// from /proc text, our own CPU time subtracted, steal counted as other work, and no warning from our own load.
import { platform } from "node:os";
import t from "tap";
import { otherCpuShare, parseCpuTimes, readCpuTimes } from "../../bench/lib/cpuShare.js";
import { type BenchReport, OTHER_WORK_WARN, otherWorkNote } from "../../bench/lib/report.js";

// /proc/self/stat of a process whose name holds a space and a ')': fields 14-17 are 300, 40, 7, 3.
const self = (utime: number) => `4242 (node x) y) R 1 4242 4242 0 -1 4194560 100 0 0 0 ${utime} 40 7 3 20 0 3 0 5 6 7`;
const stat = (user: number, idle: number, steal: number) =>
  `cpu  ${user} 10 200 ${idle} 5 0 15 ${steal} 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\nintr 1 2 3\n`;

t.test("parses the aggregate cpu line and this process's four time fields", async (t) => {
  const times = parseCpuTimes(stat(1000, 5000, 25), self(300));
  t.same(times, { busy: 1000 + 10 + 200 + 0 + 15 + 25, total: 1250 + 5000 + 5, own: 300 + 40 + 7 + 3 });
  t.throws(() => parseCpuTimes("intr 1 2\n", self(1)), /no aggregate 'cpu' line/);
  t.throws(() => parseCpuTimes(stat(1, 1, 0), "garbage"), /unreadable/);
});

t.test("the share is others' busy time, steal included, over all CPU time", async (t) => {
  const a = parseCpuTimes(stat(1000, 5000, 0), self(300));
  // 400 ticks passed on all CPUs: 300 user (200 of them ours), 50 steal, 50 idle.
  const b = parseCpuTimes(stat(1300, 5050, 50), self(500));
  t.equal(otherCpuShare(a, b), (300 + 50 - 200) / 400);
  // All the busy time ours: no other work.
  const c = parseCpuTimes(stat(1300, 5100, 0), self(600));
  t.equal(otherCpuShare(a, c), 0);
  t.equal(otherCpuShare(null, c), null, "unreadable start");
  t.equal(otherCpuShare(a, a), null, "no time passed");
});

t.test("reads this machine's times where /proc exists", { skip: platform() !== "linux" && "not Linux" }, async (t) => {
  const a = readCpuTimes()!;
  const until = process.cpuUsage().user + 50_000; // burn 50 ms of our own CPU
  while (process.cpuUsage().user < until);
  const b = readCpuTimes()!;
  t.ok(b.own > a.own, `our CPU time grew (${a.own} -> ${b.own} ticks)`);
  t.ok(b.total > a.total && b.busy >= a.busy, "the machine's counters grew");
  const share = otherCpuShare(a, b)!;
  t.ok(share >= 0 && share <= 1, `a fraction (${share})`);
});

t.test("the warning: measured share first, the start's load average only without it", async (t) => {
  const machine = (other: number | null, start: number, end: number): BenchReport["machine"] =>
    ({ cpu: "test", threads: 2, isa: "avx512", peak_threads: 2, load_avg: { start, end }, other_cpu_share: other });
  t.equal(otherWorkNote(machine(0.01, 0.2, 2.0)), null, "our own threads' load at the end is no warning");
  t.equal(otherWorkNote(machine(OTHER_WORK_WARN, 1.9, 2.0)), null, "at the threshold: quiet");
  t.match(otherWorkNote(machine(0.2, 0.1, 2.0)), /other processes or steal took 20\.0% of the CPU time/);
  t.equal(otherWorkNote(machine(null, 0.5, 2.0)), null, "unmeasured, quiet start");
  t.match(otherWorkNote(machine(null, 1.5, 2.0)), /load average 1\.50 at start on 2 threads/);
});
