// The README, followed as a newcomer follows it: its links lead to files in this repository, and its HTTP
// examples need no network (every URL in them is this machine) and are accepted by the server as written.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { openEmbedded } from "./helpers/server.js";
import { jobServerFor } from "./helpers/jobs.js";
import { codeBlocks, README, ROOT } from "./helpers/readme.js";

t.test("every relative link and named document is in the repository", async (t) => {
  const targets = [...README.matchAll(/\]\(([^)#\s]+)[^)]*\)/g)].map((m) => m[1]!).filter((u) => !/^[a-z]+:/.test(u));
  const docs = [...README.matchAll(/`([\w./-]+\.md)`/g)].map((m) => m[1]!);
  t.ok(targets.length > 0, `links: ${targets.join(", ")}`);
  for (const p of [...targets, ...docs]) {
    t.notOk(p.startsWith("../"), `${p} stays inside the repository`);
    t.ok(existsSync(join(ROOT, p)), `${p} exists in a clone`);
  }
});

/** The curl commands of the README's shell blocks: continuation lines joined, quoted newlines kept. */
function curls(): string[] {
  const commands: string[] = [];
  for (const b of codeBlocks().filter((b) => b.lang === "sh")) {
    let cur = "", quote = "";
    for (const ch of b.body.replace(/\\\n\s*/g, " ")) {
      if (quote ? ch === quote : ch === "'" || ch === '"') quote = quote ? "" : ch;
      if (ch === "\n" && !quote) (commands.push(cur), (cur = ""));
      else cur += ch;
    }
    commands.push(cur);
  }
  return commands.filter((l) => /(^|\s|\()curl /.test(l));
}

t.test("the HTTP examples name no host but this machine", async (t) => {
  const all = curls();
  t.ok(all.length >= 2, `${all.length} curl commands`);
  for (const c of all) {
    for (const u of c.matchAll(/(?:https?:\/\/)?([a-z0-9.-]+\.[a-z]{2,}|localhost|\d+\.\d+\.\d+\.\d+)(?::\d+)?\//gi)) {
      t.ok(["localhost", "127.0.0.1"].includes(u[1]!.toLowerCase()), `${u[0]} in: ${c.slice(0, 80)}...`);
    }
  }
});

t.test("the generate example's body is accepted as written", async (t) => {
  const generate = curls().find((c) => c.includes("/api/v1/videos/generate"));
  t.ok(generate, "the README has a generate example");
  const body = JSON.parse(/-d '([^']+)'/.exec(generate!)![1]!);
  const { ts } = await jobServerFor(t, openEmbedded);
  const u = await ts.client.user();
  const r = await ts.client.post("/api/v1/videos/generate", body, { token: u.access });
  t.ok(r.status === 202 || r.status === 201, `answered ${r.status} ${r.status >= 400 ? r.text : ""}`);
});

t.test("the JavaScript examples are plain JavaScript for this Node (no `using`, no types)", async (t) => {
  const js = codeBlocks().filter((b) => b.lang === "js");
  t.ok(js.length >= 1, `${js.length} js blocks`);
  const dir = mkdtempSync(join(tmpdir(), "aiprod-readme-js-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  js.forEach((b, i) => {
    const file = join(dir, `example${i}.mjs`);
    writeFileSync(file, b.body);
    const r = (() => { try { execFileSync(process.execPath, ["--check", file], { stdio: "pipe" }); return ""; } catch (e) { return String((e as { stderr: Buffer }).stderr); } })();
    t.equal(r, "", `js block ${i} parses on Node ${process.version}`);
  });
});

t.test("the library example makes a video as written", async (t) => {
  const example = codeBlocks().find((b) => b.lang === "js" && b.body.includes("engine.generate("));
  t.ok(example, "the README shows createEngine().generate() in JavaScript");
  const dir = mkdtempSync(join(tmpdir(), "aiprod-readme-lib-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // "aiprod" as an installed dependency resolves to this package; here its source stands in for the build.
  mkdirSync(join(dir, "node_modules", "aiprod"), { recursive: true });
  writeFileSync(join(dir, "node_modules", "aiprod", "package.json"), JSON.stringify({ name: "aiprod", type: "module", exports: "./index.js" }));
  writeFileSync(join(dir, "node_modules", "aiprod", "index.js"), `export * from ${JSON.stringify(join(ROOT, "src", "index.ts"))};\n`);
  writeFileSync(join(dir, "video.mjs"), example!.body);
  const out = execFileSync(process.execPath, ["--import", import.meta.resolve("tsx"), "video.mjs"], { cwd: dir, encoding: "utf8", env: { ...process.env, AIPROD_CACHE_DIR: join(dir, "cache") } });
  t.ok(existsSync(join(dir, "fox.mp4")), "fox.mp4 written");
  t.match(out, /fox\.mp4: \d+ frames, 128x128/);
});

t.test("the published types bring the Node types they use", async (t) => {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };
  t.ok(pkg.dependencies["@types/node"], "@types/node is a dependency, not a devDependency: aiprod's .d.ts files reference Node types (Buffer, AbortSignal, Worker)");
});
