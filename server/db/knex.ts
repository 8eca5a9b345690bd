// One knex instance per server: the embedded PGlite database under the data directory when no DATABASE_URL is
// set, a real PostgreSQL otherwise. Both run the same migrations and the same SQL.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import knexPkg, { type Knex } from "knex";
import pg from "pg";
import type { Logger } from "pino";
import { scrubText } from "../safeError.js";
import { PgliteKnexClient } from "./pgliteDialect.js";

// int8 (count(*), bigint columns) as JavaScript numbers, as PGlite returns them; our values stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

export type DatabaseKind = "embedded" | "postgres";

export interface Database {
  knex: Knex;
  kind: DatabaseKind;
  /** Where the data lives, for messages: the embedded data folder, or the URL without its password. */
  location: string;
}

export interface DatabaseOptions {
  /** postgres:// URL; undefined for the embedded database. */
  url: string | undefined;
  /** Folder of the embedded database; ":memory:" keeps it in memory (tests). */
  embeddedDir: string;
  poolMax?: number;
  /** Where knex's own warnings go (e.g. "Connection Error" during an outage); without one knex prints plain text. */
  logger?: Logger;
}

/** knex's `log` option: its messages as JSON log lines, scrubbed like errors (they quote driver errors). */
function knexLog(logger: Logger): Knex.Config["log"] {
  const line = (level: "warn" | "error" | "debug") => (message: unknown) =>
    logger[level]({ component: "knex" }, scrubText(typeof message === "string" ? message : message instanceof Error ? message.message : JSON.stringify(message) ?? "").slice(0, 2000));
  return { warn: line("warn"), error: line("error"), deprecate: line("warn"), debug: line("debug"), enableColors: false };
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable URL)";
  }
}

export function openDatabase(opts: DatabaseOptions): Database {
  if (opts.url) {
    const knex = knexPkg.knex({
      client: "pg",
      connection: { connectionString: opts.url },
      pool: { min: 0, max: opts.poolMax ?? 10 },
      acquireConnectionTimeout: 10_000,
      // knex otherwise writes the SQL with its bound values (emails, hashes, prompts) into error messages.
      compileSqlOnError: false,
      // With a logger, knex's messages are log lines. Without one (the migrate command), knex would print every
      // failed connection attempt with a stack trace to stderr; the error itself reaches the caller, which says
      // what it means (db/connectionError.ts), so those lines are dropped and other warnings still go to stderr.
      log: opts.logger ? knexLog(opts.logger) : {
        warn: (m: unknown) => {
          if (!String(m).startsWith("Acquire connection error")) console.warn(m);
        },
      },
    });
    return { knex, kind: "postgres", location: redactUrl(opts.url) };
  }
  const memory = opts.embeddedDir === ":memory:";
  if (!memory) mkdirSync(opts.embeddedDir, { recursive: true, mode: 0o700 });
  const knex = knexPkg.knex({
    client: PgliteKnexClient as unknown as Knex.Config["client"],
    dialect: "postgres",
    connection: memory ? {} : { filename: opts.embeddedDir },
    acquireConnectionTimeout: 60_000,
    compileSqlOnError: false, // as above: no bound values in error messages
    ...(opts.logger ? { log: knexLog(opts.logger) } : {}),
  } as Knex.Config);
  return { knex, kind: "embedded", location: memory ? "in memory" : opts.embeddedDir };
}

export function embeddedDirFor(dataDir: string): string {
  return join(dataDir, "pgdata");
}
