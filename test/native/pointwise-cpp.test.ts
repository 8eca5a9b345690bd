// The C++ checks of the pointwise row kernels (build/Release/aiprod_pointwise_tests): every ISA path against
// ref/ on every tail length, misaligned pointers, in-place use and NaN/inf inputs. Built by cmake-js only.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { getInfo } from "../../src/index.js";

const root = join(import.meta.dirname, "..", "..");
const status = JSON.parse(readFileSync(join(root, "build", "native-status.json"), "utf8")) as { builder: string };

t.test("C++ pointwise kernel tests: every ISA path against ref/", { skip: status.builder !== "cmake-js" && "built by node-gyp" }, async (t) => {
  const r = spawnSync(join(root, "build", "Release", "aiprod_pointwise_tests"), { encoding: "utf8" });
  t.equal(r.status, 0, r.stdout.split("\n").filter((l) => l.startsWith("not ok")).slice(0, 20).join("\n") || "all checks pass");
  const summary = /# (\d+) ISA paths, (\d+) checks, (\d+) failures/.exec(r.stdout);
  t.ok(summary, "prints a summary");
  t.equal(Number(summary?.[1]), getInfo().isaAvailable.length, "tests every path this CPU can run");
  t.ok(Number(summary?.[2]) > 1000, `${summary?.[2]} checks`);
  t.equal(Number(summary?.[3]), 0, "no failures");
});
