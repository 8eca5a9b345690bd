// The `aiprod` command.
import { Command } from "commander";
import { getInfo } from "../runtime/info.js";
import { packageVersion } from "../../server/version.js";
import { formatInfo } from "./formatInfo.js";
import { addCalibrateCommand } from "./calibrate.js";
import { addGenerateCommand } from "./generate.js";

export async function main(argv: string[]): Promise<void> {
  const info = () => getInfo();
  const program = new Command("aiprod")
    .description("AIPROD: inference engine for LTX-2-class video diffusion models")
    // Read from package.json: `serve` and `migrate` never load the native addon.
    .version(packageVersion());

  program
    .command("info")
    .description("version, CPU kernel path, threads, CUDA library and devices")
    .option("--json", "print JSON")
    .action((opts: { json?: boolean }) => {
      const i = info();
      console.log(opts.json ? JSON.stringify(i, null, 2) : formatInfo(i));
    });

  const dataDirHelp = "data directory (default $AIPROD_DATA_DIR or ./.aiprod-data)";
  program
    .command("serve")
    .description("start the HTTP server (embedded PostgreSQL unless DATABASE_URL is set; see README)")
    .option("-p, --port <port>", "port (default $PORT or 8080)")
    .option("--host <host>", "interface to listen on (default $HOST or 127.0.0.1)")
    .option("-d, --data-dir <dir>", dataDirHelp)
    .action(async (opts: { port?: string; host?: string; dataDir?: string }) => {
      const { runServe } = await import("../../server/cli.js");
      await runServe(opts);
    });

  program
    .command("worker")
    .description("run video-job workers against the server's PostgreSQL (DATABASE_URL); see README")
    .option("-d, --data-dir <dir>", "data directory shared with the server (outputs, uploads)")
    .option("--device <device>", "device this process owns, e.g. cuda:0 (default $WORKER_DEVICE)")
    .option("-c, --concurrency <n>", "workers in this process (default $WORKERS or 1); they share the device one job at a time")
    .option("--backend <module>", "module exporting createBackend() (default $AIPROD_WORKER_BACKEND)")
    .action(async (opts: { dataDir?: string; device?: string; concurrency?: string; backend?: string }) => {
      const { runWorker } = await import("../../server/workerCli.js");
      await runWorker(opts);
    });

  program
    .command("migrate")
    .description("database migrations: latest (apply all), rollback (undo the last batch), status")
    .argument("<action>", "latest | rollback | status")
    .option("-d, --data-dir <dir>", dataDirHelp)
    .option("--all", "rollback: undo every migration, not only the last batch")
    .action(async (action: string, opts: { dataDir?: string; all?: boolean }) => {
      const { runMigrate } = await import("../../server/cli.js");
      await runMigrate(action, opts);
    });

  addGenerateCommand(program);
  addCalibrateCommand(program);

  await program.parseAsync(argv);
}
