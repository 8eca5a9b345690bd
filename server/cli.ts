// `aiprod serve` and `aiprod migrate`: what the CLI (src/cli/main.ts) runs; loaded only for these commands.
import { writeAdminPassword } from "./bootstrap/adminPasswordFile.js";
import { ConfigError, loadConfig, type ServerConfig } from "./config.js";
import { explainDatabaseError } from "./db/connectionError.js";
import { embeddedDirFor, openDatabase } from "./db/knex.js";
import { migrateLatest, migrateRollback, migrationStatus } from "./db/migrate.js";
import { startServer } from "./server.js";

export interface CommonOptions {
  dataDir?: string;
}

export interface ServeOptions extends CommonOptions {
  port?: string;
  host?: string;
}

function configFrom(opts: ServeOptions): ServerConfig {
  const env: Record<string, string | undefined> = { ...process.env };
  if (opts.dataDir) env.AIPROD_DATA_DIR = opts.dataDir;
  if (opts.port) env.PORT = opts.port;
  if (opts.host) env.HOST = opts.host;
  return loadConfig(env);
}

function fail(e: unknown): never {
  const msg = e instanceof ConfigError ? e.message : `aiprod: ${(e as Error).message}`;
  throw new Error(msg);
}

export async function runServe(opts: ServeOptions): Promise<void> {
  let config: ServerConfig;
  try {
    config = configFrom(opts);
  } catch (e) {
    fail(e);
  }
  const server = await startServer(config);
  const where = server.db.kind === "embedded" ? `embedded PostgreSQL (PGlite) in ${server.db.location}` : `PostgreSQL at ${server.db.location}`;
  const lines = [
    `aiprod serve: listening on ${server.url} (${config.env} mode)`,
    `  database: ${where}; migrations applied now: ${server.appliedMigrations.length}`,
    `  API docs: ${server.url}/docs   OpenAPI: ${server.url}/openapi.json`,
  ];
  if (server.metricsUrl) lines.push(`  metrics:  ${server.metricsUrl}`);
  const w = server.pool.workers.length;
  lines.push(w ? `  workers:  ${w} on ${config.jobs.device}${config.jobs.backendModule ? ` (backend ${config.jobs.backendModule})` : process.env.AIPROD_MODEL_CHECKPOINT ? "" : " (no AIPROD_MODEL_CHECKPOINT: the tiny built-in model set, whose output is noise)"}` : "  workers:  none in this process (WORKERS=0); run `aiprod worker`");
  if (server.generatedSecrets) lines.push(`  signing secrets generated and kept in ${config.dataDir}/secrets.json`);
  if (server.firstAdmin) {
    const generated = server.firstAdmin.generatedPassword;
    lines.push("", "First administrator account created:");
    lines.push(`  email:    ${server.firstAdmin.email}`);
    if (generated === undefined) lines.push("  password: (the ADMIN_PASSWORD you configured)", "");
    else {
      // Never into the output stream, which usually ends up in log storage: a file only the owner can read, and
      // the terminal when stdout is one.
      const file = writeAdminPassword(config.dataDir, server.firstAdmin.email, generated);
      lines.push(`  password: generated, in ${file} (readable only by you); store it elsewhere and delete the file`);
      if (process.stdout.isTTY) lines.push(`            ${generated}   (shown once, on this terminal only)`);
      lines.push("");
    }
  }
  process.stdout.write(lines.join("\n") + "\n");

  let signals = 0;
  const stop = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      server.logger.warn({ signal }, "second signal: exiting without waiting");
      process.exit(1);
    }
    server.logger.info({ signal }, "shutting down: no new connections, finishing requests");
    server.close().then(
      () => {
        process.exitCode = 0;
      },
      (e: unknown) => {
        server.logger.error({ err: e }, "shutdown failed");
        process.exitCode = 1;
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

export async function runMigrate(action: string, opts: CommonOptions & { all?: boolean }): Promise<void> {
  if (!["latest", "rollback", "status"].includes(action)) throw new Error(`aiprod migrate: unknown action '${action}' (latest, rollback or status)`);
  let config: ServerConfig;
  try {
    config = configFrom(opts);
  } catch (e) {
    fail(e);
  }
  const db = openDatabase({
    url: config.databaseUrl,
    embeddedDir: config.databaseUrl === undefined ? embeddedDirFor(config.dataDir) : "",
    poolMax: 2,
  });
  try {
    console.log(`database: ${db.kind === "embedded" ? `embedded (${db.location})` : db.location}`);
    if (db.kind === "postgres") await db.knex.raw("select 1").catch((e: unknown) => Promise.reject(explainDatabaseError(e, db.location, "aiprod migrate")));
    if (action === "latest") {
      const applied = await migrateLatest(db.knex);
      console.log(applied.length ? `applied: ${applied.join(", ")}` : "already up to date");
    } else if (action === "rollback") {
      const reverted = await migrateRollback(db.knex, opts.all ?? false);
      console.log(reverted.length ? `rolled back: ${reverted.join(", ")}` : "nothing to roll back");
    } else {
      const s = await migrationStatus(db.knex);
      for (const name of s.applied) console.log(`  applied  ${name}`);
      for (const name of s.pending) console.log(`  pending  ${name}`);
      console.log(s.pending.length ? `${s.pending.length} pending` : "up to date");
    }
  } finally {
    await db.knex.destroy();
  }
}
