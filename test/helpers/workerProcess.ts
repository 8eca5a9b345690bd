// `aiprod worker` as a child process (through tsx), with its JSON log lines collected.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";

const root = join(import.meta.dirname, "..", "..");
const cli = join(root, "src", "cli", "run.ts");

export interface WorkerProcess {
  child: ChildProcess;
  lines: string[];
  /** Job ids this process logged as completed. */
  completed(): string[];
  exited: Promise<number | null>;
}

export function spawnWorker(databaseUrl: string, dataDir: string, env: Record<string, string> = {}): WorkerProcess {
  const child = spawn(process.execPath, ["--import", "tsx", cli, "worker", "--data-dir", dataDir, "--backend", join(root, "test", "helpers", "syntheticBackend.ts")], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      NODE_ENV: "test",
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: "info",
      JOB_POLL_MS: "20",
      JOB_CANCEL_POLL_MS: "50",
      JOB_LEASE_MS: "2000",
      JOB_HEARTBEAT_MS: "400",
      JOB_RETRY_BASE_MS: "50",
      SHUTDOWN_TIMEOUT_MS: "3000",
      JOB_MAX_RUNNING_PER_USER: "1000", // quotas have their own test
      JOB_TIER_QUOTAS: "{}",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  let buf = "";
  const take = (c: Buffer) => {
    buf += c.toString();
    const parts = buf.split("\n");
    buf = parts.pop() ?? "";
    lines.push(...parts.filter(Boolean));
  };
  child.stdout?.on("data", take);
  child.stderr?.on("data", take);
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    lines,
    exited,
    completed: () =>
      lines.flatMap((l) => {
        try {
          const j = JSON.parse(l) as { msg?: string; job?: string };
          return j.msg === "job completed" && j.job ? [j.job] : [];
        } catch {
          return [];
        }
      }),
  };
}

export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
