// The `aiprod` command.
import { Command } from "commander";
import { getInfo } from "../runtime/info.js";
import { formatInfo } from "./formatInfo.js";
import { addGenerateCommand } from "./generate.js";

export async function main(argv: string[]): Promise<void> {
  const info = () => getInfo();
  const program = new Command("aiprod")
    .description("AIPROD: inference engine for LTX-2-class video diffusion models")
    .version(info().version);

  program
    .command("info")
    .description("version, CPU kernel path, threads, CUDA library and devices")
    .option("--json", "print JSON")
    .action((opts: { json?: boolean }) => {
      const i = info();
      console.log(opts.json ? JSON.stringify(i, null, 2) : formatInfo(i));
    });

  program
    .command("serve")
    .description("start the HTTP server")
    .action(() => {
      // The server (issue: server platform) has not landed yet; say so plainly and show what does work.
      console.log("aiprod serve: the HTTP server is not part of this version yet; the engine itself is ready:\n");
      console.log(formatInfo(info()));
    });

  addGenerateCommand(program);

  await program.parseAsync(argv);
}
