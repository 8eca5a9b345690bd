// The generate command: option parsing and the built-in tiny configuration end to end through the CLI.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { parseImage, parseLora, splitNumericTail } from "../../src/cli/generate.js";
import { probeMedia } from "../../src/media/ffmpeg.js";

t.test("PATH[:N…] specs", async (t) => {
  t.same(parseImage("a.png:8:0.5"), { source: "a.png", frame: 8, strength: 0.5 });
  t.same(parseImage("C:/x/a.png"), { source: "C:/x/a.png" });
  t.same(parseImage("a.png:0:1:18"), { source: "a.png", frame: 0, strength: 1, crf: 18 });
  t.same(parseLora("l.safetensors:0.7"), { path: "l.safetensors", strength: 0.7 });
  t.same(splitNumericTail("v.mp4", 1, "--reference-video"), ["v.mp4", []]);
  t.throws(() => parseImage(":1"), /no path/);
});

t.test("aiprod generate with no model runs the built-in tiny configuration and says so", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "aiprod-cli-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, "v.mp4");
  const env = { ...process.env, AIPROD_CACHE_DIR: join(dir, "cache") };
  const run = (args: string[]) => execFileSync(process.execPath, ["--import=tsx", "src/cli/run.ts", ...args], { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const help = run(["generate", "--help"]);
  for (const flag of ["--model", "--text-encoder", "--image", "--reference-video", "--lora", "--num-frames", "--size", "--fps", "--steps", "--seed", "--device", "--enhance-prompt", "keyframe_interpolation"]) t.match(help, flag);
  const res = spawnSync(process.execPath, ["--import=tsx", "src/cli/run.ts", "generate", "a fox", "--out", out, "--json", "-q"], { env, encoding: "utf8" });
  t.equal(res.status, 0, res.stderr);
  t.match(res.stderr, /tiny BUILT-IN model with random weights/);
  const stdout = res.stdout;
  const r = JSON.parse(stdout) as { frames: number; hasAudio: boolean; modelHashes: Record<string, string> };
  t.equal(r.frames, 9);
  t.ok(r.hasAudio);
  const v = probeMedia(out).streams.find((s) => s.codec_type === "video")!;
  t.match(v, { codec_name: "h264", width: 128, height: 128, nb_frames: "9" });
  t.notOk("enhancedPrompt" in r, "no enhancement unless asked");

  // --enhance-prompt: Gemma's rewrite is encoded and reported (JSON, and a line of the summary).
  const enh = spawnSync(process.execPath, ["--import=tsx", "src/cli/run.ts", "generate", "a fox", "--out", join(dir, "e.mp4"), "--size", "64x64", "--seed", "4", "--enhance-prompt", "--json", "-q"], { env, encoding: "utf8" });
  t.equal(enh.status, 0, enh.stderr);
  const e = JSON.parse(enh.stdout) as { enhancedPrompt?: string; params: { prompt: string; enhancePrompt: boolean }; stages: { stage: string }[] };
  t.type(e.enhancedPrompt, "string");
  t.not(e.enhancedPrompt, "a fox");
  t.same([e.params.prompt, e.params.enhancePrompt], ["a fox", true]);
  t.ok(e.stages.some((s) => s.stage === "enhance"));
  const text = spawnSync(process.execPath, ["--import=tsx", "src/cli/run.ts", "generate", "a fox", "--out", join(dir, "e2.mp4"), "--size", "64x64", "--seed", "4", "--enhance-prompt", "-q"], { env, encoding: "utf8" });
  t.equal(text.status, 0, text.stderr);
  t.ok(text.stdout.includes(`enhanced prompt: ${e.enhancedPrompt}`), "the summary shows the same rewrite (same seed)");
});
