// Starting and stopping a server: secrets, database, migrations, first admin, HTTP listener(s), graceful shutdown
// (stop accepting, let requests finish, then close the database).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import type { Logger } from "pino";
import { createApp, type AppHandle } from "./app.js";
import { ensureFirstAdmin, type FirstAdmin } from "./bootstrap/firstAdmin.js";
import { type ResolvedConfig, resolveSecrets } from "./bootstrap/secrets.js";
import type { ServerConfig } from "./config.js";
import { type Database, embeddedDirFor, openDatabase } from "./db/knex.js";
import { explainDatabaseError } from "./db/connectionError.js";
import { migrateLatest } from "./db/migrate.js";
import { createLogger } from "./logger.js";
import { type GenerationBackend, loadBackend } from "./worker/backend.js";
import { WorkerPool } from "./worker/pool.js";

export interface RunningServer {
  handle: AppHandle;
  config: ResolvedConfig;
  db: Database;
  logger: Logger;
  url: string;
  metricsUrl?: string;
  firstAdmin?: FirstAdmin;
  /** In-process workers and housekeeping. */
  pool: WorkerPool;
  generatedSecrets: boolean;
  appliedMigrations: string[];
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** An already opened database (tests); otherwise DATABASE_URL or the embedded one in the data directory. */
  db?: Database;
  /** The generation backend of in-process workers (tests); otherwise AIPROD_WORKER_BACKEND names a module. */
  backend?: GenerationBackend;
  /** Output inspection override for in-process workers (tests). */
  qa?: import("./worker/worker.js").WorkerDeps["qa"];
}

/** A listen failure a user can cause (port taken or privileged, host not of this machine), said with its fix. */
function listenError(e: NodeJS.ErrnoException, port: number, host: string, what: string): Error {
  const where = `${host}:${port}`;
  const fix = what === "metrics" ? "METRICS_PORT / METRICS_HOST" : "--port / PORT, --host / HOST";
  if (e.code === "EADDRINUSE") return new Error(`aiprod serve: ${where} is already in use (another aiprod serve, or another program, listens there); stop it or choose another port (${fix})`);
  if (e.code === "EACCES") return new Error(`aiprod serve: no permission to listen on ${where} (ports below 1024 need privileges); choose a port from 1024 up (${fix})`);
  if (e.code === "EADDRNOTAVAIL") return new Error(`aiprod serve: ${host} is not an address of this machine; use 127.0.0.1, 0.0.0.0 or one of its addresses (${fix})`);
  if (e.code === "ENOTFOUND" || e.code === "EAI_AGAIN") return new Error(`aiprod serve: the host name '${host}' does not resolve; use an IP address (${fix})`);
  return e;
}

function listen(server: Server, port: number, host: string, what = "http"): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const fail = (e: NodeJS.ErrnoException) => reject(listenError(e, port, host, what));
    server.once("error", fail);
    server.listen(port, host, () => {
      server.off("error", fail);
      resolve(server.address() as AddressInfo);
    });
  });
}

function closeServer(server: Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), timeoutMs);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections(); // keep-alive sockets with no request in flight
  });
}

const hostForUrl = (a: AddressInfo) => (a.family === "IPv6" ? `[${a.address}]` : a.address);

/** Answers 503 while the server finishes starting (the port is bound first, before any other work). */
function starting(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(503, { "content-type": "application/problem+json", "retry-after": "1" });
  res.end(JSON.stringify({ type: "about:blank", title: "Starting", status: 503, detail: "the server is starting; retry in a moment" }));
}

export async function startServer(base: ServerConfig, opts: StartOptions = {}): Promise<RunningServer> {
  const logger = opts.logger ?? createLogger(base.logLevel);
  // The ports first: a port that is taken fails before secrets, database, migrations or the first admin exist (a
  // first admin created by a start that then could not listen had its generated password never shown).
  const server: Server = createServer(starting);
  server.requestTimeout = 60_000;
  server.headersTimeout = 20_000;
  const addr = await listen(server, base.port, base.host);
  let metricsServer: Server | undefined;
  let metricsAddr: AddressInfo | undefined;
  if (base.metricsPort !== undefined) {
    metricsServer = createServer(starting);
    try {
      metricsAddr = await listen(metricsServer, base.metricsPort, base.metricsHost, "metrics");
    } catch (e) {
      server.close();
      throw e;
    }
  }
  const db =
    opts.db ??
    openDatabase({
      url: base.databaseUrl,
      embeddedDir: base.databaseUrl === undefined ? embeddedDirFor(base.dataDir) : "",
      poolMax: base.databasePoolMax,
      logger,
    });
  let generatedSecrets: boolean;
  let config: ResolvedConfig;
  try {
    // A database given by DATABASE_URL must answer before anything is written to the data directory.
    if (db.kind === "postgres") await db.knex.raw("select 1").catch((e: unknown) => Promise.reject(explainDatabaseError(e, db.location, "aiprod serve")));
    ({ generatedSecrets, ...config } = resolveSecrets(base));
  } catch (e) {
    server.close();
    metricsServer?.close();
    if (!opts.db) await db.knex.destroy().catch(() => undefined);
    throw e;
  }
  let sweeper: NodeJS.Timeout | undefined;
  let pool: WorkerPool | undefined;
  try {
    const appliedMigrations = await migrateLatest(db.knex);
    const handle = createApp({ config, db, logger });
    const firstAdmin = await ensureFirstAdmin(handle.services);

    // Workers inside the server (WORKERS, default 1; 0: jobs wait for `aiprod worker` processes) on the
    // pipelines or AIPROD_WORKER_BACKEND; housekeeping (reclaim, expiry, webhooks) always.
    const jc = config.jobs;
    const backend = jc.workers > 0 ? (opts.backend ?? (await loadBackend(jc.backendModule, jc.device))) : undefined;
    pool = new WorkerPool(handle.services, { count: backend ? jc.workers : 0, device: jc.device, backend, qa: opts.qa });
    await pool.start();

    server.removeListener("request", starting);
    server.on("request", handle.app);
    const url = `http://${hostForUrl(addr)}:${addr.port}`;

    let metricsUrl: string | undefined;
    if (config.metricsPort !== undefined) {
      // A separate listener for Prometheus: meant for a private interface (METRICS_HOST), no credentials.
      const metricsApp = express();
      metricsApp.disable("x-powered-by");
      metricsApp.get("/metrics", async (_req, res) => {
        res.type(handle.runtime.metrics.registry.contentType).send(await handle.runtime.metrics.registry.metrics());
      });
      metricsServer!.removeListener("request", starting);
      metricsServer!.on("request", metricsApp);
      metricsUrl = `http://${hostForUrl(metricsAddr!)}:${metricsAddr!.port}/metrics`;
    }

    // Expired rate-limit buckets and session revocations are removed in the background (any instance may do it).
    sweeper = setInterval(() => {
      handle.services.repos.rateLimits.deleteExpired().catch((e: unknown) => logger.warn({ err: e }, "rate-limit sweep failed"));
      handle.services.repos.revokedSessions.deleteExpired().catch((e: unknown) => logger.warn({ err: e }, "revoked-session sweep failed"));
    }, 60_000);
    sweeper.unref();

    let closing: Promise<void> | undefined;
    const s = server;
    const ms = metricsServer;
    const p = pool;
    const close = () =>
      (closing ??= (async () => {
        handle.runtime.draining = true; // /readyz answers 503 from now on
        handle.services.jobs.draining = true; // Prefer: wait answers at once
        clearInterval(sweeper);
        // Workers stop claiming, finish their job within the timeout or return it to the queue.
        await Promise.all([closeServer(s, config.shutdownTimeoutMs), ms ? closeServer(ms, 1000) : Promise.resolve(), p.stop(config.shutdownTimeoutMs)]);
        await handle.flush();
        if (!opts.db) await db.knex.destroy();
        logger.info("server stopped");
      })());
    logger.info({ url, database: db.kind, location: db.location, metrics: metricsUrl, migrations_applied: appliedMigrations.length, workers: pool.workers.length, backend: backend?.name }, "listening");
    return { handle, config, db, logger, url, metricsUrl, firstAdmin, pool, generatedSecrets, appliedMigrations, close };
  } catch (e) {
    clearInterval(sweeper);
    await pool?.stop(0).catch(() => undefined);
    server.close();
    metricsServer?.close();
    if (!opts.db) await db.knex.destroy().catch(() => undefined);
    throw e;
  }
}
