// Test harness for the HTTP server: the two databases it runs on (embedded PGlite in memory, and a real
// PostgreSQL server from ./postgres.ts), a started server with captured JSON logs, and a small fetch client.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { loadConfig } from "../../server/config.js";
import { type Database, openDatabase } from "../../server/db/knex.js";
import { createLogger } from "../../server/logger.js";
import { type RunningServer, type StartOptions, startServer } from "../../server/server.js";
import { CREDENTIAL_FIELDS, SENT_FIELDS, logLeaks, reportLogLeaks, watchValues } from "./logGuard.js";
import { startTestPostgres } from "./postgres.js";

export interface TestDatabase {
  /** "embedded" (PGlite through the knex dialect) or "postgres" (the pg driver against a server). */
  name: "embedded" | "postgres";
  db: Database;
  /** What the postgres case runs on: the system binaries, or PGlite's wire-protocol server when there are none. */
  note: string;
  /** postgres:// URL (postgres kind only): for other processes. */
  url?: string;
  /** The server process itself (postgres kind on system binaries): pause()/resume() for restart tests. */
  server?: import("./postgres.js").TestPostgres;
  stop(): Promise<void>;
}

export async function openEmbedded(): Promise<TestDatabase> {
  const db = openDatabase({ url: undefined, embeddedDir: ":memory:" });
  return { name: "embedded", db, note: "PGlite in memory", stop: () => db.knex.destroy() };
}

/** A real PostgreSQL server (system binaries); where none can start, PGlite's socket server behind the pg driver. */
export async function openPostgres(): Promise<TestDatabase> {
  const previous = process.env.AIPROD_TEST_PG;
  process.env.AIPROD_TEST_PG = "system";
  let server;
  let note: string;
  try {
    server = await startTestPostgres();
    note = server.version;
  } catch (e) {
    note = `no system PostgreSQL (${(e as Error).message.split("\n")[0]}); PGlite socket server through the pg driver instead`;
    process.env.AIPROD_TEST_PG = "pglite";
    server = await startTestPostgres();
  } finally {
    if (previous === undefined) delete process.env.AIPROD_TEST_PG;
    else process.env.AIPROD_TEST_PG = previous;
  }
  const db = openDatabase({ url: server.url, embeddedDir: "", poolMax: 5 });
  const s = server;
  return {
    name: "postgres",
    db,
    note,
    url: server.url,
    server,
    stop: async () => {
      await db.knex.destroy();
      await s.stop();
    },
  };
}

/**
 * A real PostgreSQL server from the system binaries, never PGlite: for the tests that are about a real server
 * (separate worker processes, a restart). Declare them with `{ skip: systemPostgresMissing() }`.
 */
export async function openRealPostgres(): Promise<TestDatabase> {
  const previous = process.env.AIPROD_TEST_PG;
  process.env.AIPROD_TEST_PG = "system";
  let server;
  try {
    server = await startTestPostgres();
  } finally {
    if (previous === undefined) delete process.env.AIPROD_TEST_PG;
    else process.env.AIPROD_TEST_PG = previous;
  }
  const db = openDatabase({ url: server.url, embeddedDir: "", poolMax: 5 });
  const s = server;
  return { name: "postgres", db, note: server.version, url: server.url, server, stop: async () => {
    await db.knex.destroy();
    await s.stop();
  } };
}

export const DATABASES = [
  { name: "embedded", open: openEmbedded },
  { name: "postgres", open: openPostgres },
] as const;

/** Collects everything the server logs, to check that no secret is in it. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
    cb();
  }
  text(): string {
    return this.lines.join("\n");
  }
}

export const ADMIN_EMAIL = "admin@test.local";
export const ADMIN_PASSWORD = "admin-password-123";

export interface TestServer {
  server: RunningServer;
  url: string;
  logs: LogCapture;
  dataDir: string;
  client: Client;
  close(): Promise<void>;
}

/** Starts a server on `db` (migrations applied, first admin created) on a free port, logs captured. */
export async function startTestServer(db: Database, env: Record<string, string> = {}, opts: Omit<StartOptions, "db" | "logger"> = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), "aiprod-server-test-"));
  const config = loadConfig({
    NODE_ENV: "test",
    PORT: "0",
    AIPROD_DATA_DIR: dataDir,
    BCRYPT_COST: "4", // accepted only with NODE_ENV=test (config.ts)
    JWT_SECRET: randomBytes(32).toString("base64url"),
    API_KEY_PEPPER: randomBytes(32).toString("base64url"),
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    TRUST_PROXY: "true", // tests choose the client address with X-Forwarded-For
    RATE_LIMIT_PER_MINUTE: "1000",
    RATE_LIMIT_ANON_PER_MINUTE: "1000",
    REGISTER_PER_IP_PER_HOUR: "25",
    // Quotas and the default budget have their own test (quotas.test.ts); the other tests submit freely.
    JOB_MAX_QUEUED_PER_USER: "100000",
    JOB_MAX_RUNNING_PER_USER: "1000",
    JOB_MAX_GPU_SECONDS_PER_USER_PER_DAY: "100000000",
    DEFAULT_MONTHLY_BUDGET_MICROS: "0",
    JOB_TIER_QUOTAS: "{}",
    LOG_LEVEL: "info",
    SHUTDOWN_TIMEOUT_MS: "2000",
    ...env,
  });
  const logs = new LogCapture();
  const server = await startServer(config, { ...opts, db, logger: createLogger("info", logs) });
  return {
    server,
    url: server.url,
    logs,
    dataDir,
    client: new Client(server.url),
    close: async () => {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
      // Every test server's log is checked (logGuard.ts); a leak fails the test file (not this call: a throw here
      // would skip the caller's cleanup, and a database left open keeps the process from ending).
      reportLogLeaks(logLeaks(logs.lines));
    },
  };
}

export interface Res<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface ReqOptions {
  token?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  ip?: string;
}

let ipCounter = 1;
/** A fresh client address (X-Forwarded-For), so per-IP limits of one test do not leak into another. */
export const freshIp = () => `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter++ & 255}`;

export class Client {
  constructor(readonly base: string, private readonly ip = "192.0.2.1") {}

  withIp(ip: string): Client {
    return new Client(this.base, ip);
  }

  async req<T = any>(method: string, path: string, o: ReqOptions = {}): Promise<Res<T>> {
    const headers: Record<string, string> = { "x-forwarded-for": o.ip ?? this.ip, ...(o.headers ?? {}) };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    let body: string | undefined;
    if (o.rawBody !== undefined) body = o.rawBody;
    else if (o.body !== undefined) body = JSON.stringify(o.body);
    if (body !== undefined && !headers["content-type"]) headers["content-type"] = "application/json";
    if (o.body !== undefined) watchValues(o.body, SENT_FIELDS);
    const r = await fetch(this.base + path, { method, headers, body });
    const text = await r.text();
    let parsed: unknown = text;
    if ((r.headers.get("content-type") ?? "").includes("json") && text) parsed = JSON.parse(text);
    watchValues(parsed, CREDENTIAL_FIELDS); // tokens and keys handed out
    return { status: r.status, headers: r.headers, body: parsed as T, text };
  }

  get = <T = any>(path: string, o?: ReqOptions) => this.req<T>("GET", path, o);
  post = <T = any>(path: string, body?: unknown, o?: ReqOptions) => this.req<T>("POST", path, { ...o, body });
  patch = <T = any>(path: string, body?: unknown, o?: ReqOptions) => this.req<T>("PATCH", path, { ...o, body });
  del = <T = any>(path: string, o?: ReqOptions) => this.req<T>("DELETE", path, o);

  async login(email: string, password: string, ip?: string): Promise<{ access: string; refresh: string }> {
    const r = await this.post("/api/v1/auth/login", { email, password }, { ip });
    if (r.status !== 200) throw new Error(`login ${email}: ${r.status} ${r.text}`);
    return { access: r.body.access_token, refresh: r.body.refresh_token };
  }

  /** Registers a user from a fresh address, logs in, and sets the role through the admin API when asked. */
  async user(role: "user" | "viewer" | "admin" = "user", password = "correct horse battery"): Promise<TestUser> {
    const email = `u${randomBytes(5).toString("hex")}@example.com`;
    const ip = freshIp();
    const r = await this.post("/api/v1/auth/register", { email, password }, { ip });
    if (r.status !== 201) throw new Error(`register: ${r.status} ${r.text}`);
    if (role !== "user") {
      const admin = await this.login(ADMIN_EMAIL, ADMIN_PASSWORD);
      const p = await this.patch(`/api/v1/admin/users/${r.body.id}`, { role }, { token: admin.access });
      if (p.status !== 200) throw new Error(`set role: ${p.status} ${p.text}`);
    }
    const t = await this.login(email, password, ip);
    return { id: r.body.id, email, password, ...t };
  }
}

export interface TestUser {
  id: string;
  email: string;
  password: string;
  access: string;
  refresh: string;
}
