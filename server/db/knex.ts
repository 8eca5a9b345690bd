// One knex instance per server: the embedded PGlite database under the data directory when no DATABASE_URL is
// set, a real PostgreSQL otherwise. Both run the same migrations and the same SQL.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import knexPkg, { type Knex } from "knex";
import pg from "pg";
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
  } as Knex.Config);
  return { knex, kind: "embedded", location: memory ? "in memory" : opts.embeddedDir };
}

export function embeddedDirFor(dataDir: string): string {
  return join(dataDir, "pgdata");
}
