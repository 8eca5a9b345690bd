// `aiprod calibrate`: measures this device class's stage times at two sizes (src/pipelines/calibrate.ts) on the
// given models (the tiny built-in set by default) and keeps the profile, one per device class, in a JSON file.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { calibrate, saveProfile } from "../pipelines/calibrate.js";
import { createEngine } from "../pipelines/engine.js";
import { ensureTinyModels } from "../pipelines/tinyModels.js";
import type { ModelFiles } from "../pipelines/types.js";

/** Where profiles are kept unless --profiles says otherwise: beside the server's data. */
export const defaultProfilesPath = () => join(process.env.AIPROD_DATA_DIR ?? ".aiprod-data", "device-profiles.json");

export function addCalibrateCommand(program: Command): void {
  program
    .command("calibrate")
    .description("measure how long each pipeline stage takes on this device class and keep the profile (used to estimate a job's device seconds)")
    .option("--model <file>", "LTX-2 checkpoint to measure (default: the tiny built-in set)")
    .option("--text-encoder <dir>", "Gemma 3 folder (with --model)")
    .option("--upsampler <file>", "spatial x2 latent upsampler (with --model)")
    .option("--profiles <file>", "JSON file of device profiles (default $AIPROD_DATA_DIR/device-profiles.json or ./.aiprod-data/device-profiles.json)")
    .action(async (o: { model?: string; textEncoder?: string; upsampler?: string; profiles?: string }) => {
      if (o.model && !o.textEncoder) throw new Error("aiprod calibrate: --model needs --text-encoder (the Gemma 3 folder)");
      const files: ModelFiles = o.model ? { checkpoint: o.model, textEncoder: o.textEncoder!, ...(o.upsampler ? { upsampler: o.upsampler } : {}) } : ensureTinyModels();
      const engine = createEngine();
      await engine.loadModels(files);
      const dir = mkdtempSync(join(tmpdir(), "aiprod-calibrate-"));
      try {
        console.error("aiprod calibrate: running the distilled pipeline at two sizes, twice each (a minute or less on the tiny models)");
        const profile = await calibrate(engine, {
          dir, small: { prompt: "calibration", width: 64, height: 64, numFrames: 9 }, large: { prompt: "calibration", width: 256, height: 256, numFrames: 33 },
        });
        const path = resolve(o.profiles ?? defaultProfilesPath());
        saveProfile(path, profile);
        console.log(`${profile.deviceClass}: overhead ${profile.overheadSeconds.toFixed(2)} s; kept in ${path}`);
        for (const [stage, r] of Object.entries(profile.stages)) console.log(`  ${stage.padEnd(14)} ${r.fixedSeconds.toFixed(3)} s + ${r.secondsPerFlop.toExponential(3)} s/FLOP`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
}
