// A throwaway PostgreSQL server for integration tests, started and removed by the test itself.
//  - System binaries when found (AIPROD_PG_BIN, pg_config --bindir, PATH, /usr/lib/postgresql/<v>/bin): a real
//    postgres in a temporary data directory on a free loopback port, fsync off. As root, the server runs as the
//    `postgres` system user (PostgreSQL refuses to run as root).
//  - Otherwise PGlite (PostgreSQL compiled to WebAssembly, from npm) behind its wire-protocol socket server.
// AIPROD_TEST_PG=system|pglite forces one.
import { spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";

export interface TestPostgres {
  kind: "system" | "pglite";
  /** postgres://user@127.0.0.1:port/database */
  url: string;
  version: string;
  stop(): Promise<void>;
  /** Stops the server (fast shutdown: sessions are cut) and leaves it down until start() (system kind only). */
  pause?(): void;
  /** Starts it again on the same port and data directory. */
  resume?(): void;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

function findPgBin(): string | undefined {
  const has = (dir: string | undefined) => !!dir && existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl"));
  if (process.env.AIPROD_PG_BIN) return has(process.env.AIPROD_PG_BIN) ? process.env.AIPROD_PG_BIN : undefined;
  const pgConfig = spawnSync("pg_config", ["--bindir"], { encoding: "utf8" });
  if (pgConfig.status === 0 && has(pgConfig.stdout.trim())) return pgConfig.stdout.trim();
  for (const dir of (process.env.PATH ?? "").split(":")) if (has(dir)) return dir;
  const base = "/usr/lib/postgresql";
  if (existsSync(base)) {
    const versions = readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) if (has(join(base, v, "bin"))) return join(base, v, "bin");
  }
  return undefined;
}

/** uid/gid of the system user to run postgres as, when this process is root. */
function serverUser(): { name: string; uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const uid = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
  const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { name: "postgres", uid: Number(uid.stdout), gid: Number(gid.stdout) };
}

async function startSystem(bin: string): Promise<TestPostgres> {
  const runAs = serverUser();
  if (userInfo().uid === 0 && !runAs) throw new Error("running as root without a 'postgres' user to run the server as");
  const dir = mkdtempSync(join(tmpdir(), "aiprod-pg-"));
  if (runAs) chownSync(dir, runAs.uid, runAs.gid);
  const data = join(dir, "data");
  const run = (cmd: string, args: string[]) => {
    const full = runAs ? ["runuser", ["-u", runAs.name, "--", join(bin, cmd), ...args]] as const : [join(bin, cmd), args] as const;
    const r = spawnSync(full[0], full[1], { encoding: "utf8", cwd: dir });
    if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr || r.stdout}`);
    return r.stdout;
  };
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    run("initdb", ["-D", data, "-U", "aiprod", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"]);
    const port = await freePort();
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
    run("pg_ctl", ["-D", data, "-o", options, "-l", join(dir, "server.log"), "-w", "-t", "60", "start"]);
    const version = run("postgres", ["--version"]).trim();
    let stopped = false;
    const stopNow = () => {
      if (stopped) return;
      stopped = true;
      try {
        run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        cleanup();
      }
    };
    process.once("exit", stopNow); // a crashed or aborted test still removes its server
    return {
      kind: "system",
      url: `postgres://aiprod@127.0.0.1:${port}/postgres`,
      version,
      pause: () => run("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]),
      resume: () => run("pg_ctl", ["-D", data, "-o", options, "-l", join(dir, "server.log"), "-w", "-t", "60", "start"]),
      stop: async () => {
        process.removeListener("exit", stopNow);
        stopNow();
      },
    };
  } catch (e) {
    cleanup();
    throw e;
  }
}

async function startPglite(): Promise<TestPostgres> {
  const { PGlite } = await import("@electric-sql/pglite");
  const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
  const db = await PGlite.create();
  const port = await freePort();
  const server = new PGLiteSocketServer({ db, port, host: "127.0.0.1", maxConnections: 16 });
  await server.start();
  const version = (await db.query<{ version: string }>("select version()")).rows[0]?.version ?? "PGlite";
  return {
    kind: "pglite",
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    version,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}

/**
 * Why the tests that need a real PostgreSQL server cannot run here (no binaries, or root without a `postgres`
 * user), as a tap `skip` reason; false when they can. In CI (CI=true), where .ci/run installs PostgreSQL, it is
 * always false: those tests then run and fail loudly rather than being skipped.
 */
export function systemPostgresMissing(): string | false {
  if (process.env.CI === "true") return false;
  if (!findPgBin()) return "no PostgreSQL server binaries here (initdb, pg_ctl; set AIPROD_PG_BIN, or install PostgreSQL, e.g. apt-get install postgresql)";
  if (userInfo().uid === 0 && !serverUser()) return "running as root without a 'postgres' user to run the server as";
  return false;
}

/** Starts a PostgreSQL server for one test file; call stop() in teardown. */
export async function startTestPostgres(): Promise<TestPostgres> {
  const forced = process.env.AIPROD_TEST_PG;
  if (forced === "pglite") return startPglite();
  const bin = findPgBin();
  if (bin) {
    try {
      return await startSystem(bin);
    } catch (e) {
      if (forced === "system") throw e;
      console.log(`# system PostgreSQL in ${bin} could not start (${(e as Error).message.split("\n")[0]}); using PGlite`);
    }
  } else if (forced === "system") {
    throw new Error("AIPROD_TEST_PG=system but no PostgreSQL binaries were found (set AIPROD_PG_BIN)");
  }
  return startPglite();
}
