// Install noise: npm in this repository warns about nothing, and every dependency's install script is either
// approved or denied in package.json's allowScripts (npm 11 lists unreviewed ones on every install; a future npm
// blocks them). onnxruntime-node's script (it downloads GPU providers) is denied, which keeps installs offline.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";

const root = join(import.meta.dirname, "..", "..");
const npm = (...args: string[]) => spawnSync("npm", args, { cwd: root, encoding: "utf8", env: { ...process.env, npm_config_offline: "true" } });

t.test("npm says nothing unasked in this repository", async (t) => {
  const r = npm("pkg", "get", "name");
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stderr, "", "no warnings (an unknown project config in .npmrc warned on every npm call)");
});

t.test("every install script is reviewed", async (t) => {
  const major = Number(npm("--version").stdout.split(".")[0]);
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { allowScripts?: Record<string, boolean> };
  t.equal(pkg.allowScripts?.["onnxruntime-node"], false, "onnxruntime-node's download is denied");
  if (major < 11) return void t.pass(`npm ${major} has no allowScripts review`);
  const r = npm("approve-scripts", "--allow-scripts-pending");
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /No packages with unreviewed install scripts/, r.stdout);
});
