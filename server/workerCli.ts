// `aiprod worker`: job workers in their own process (another machine, or one process per GPU), sharing the
// server's PostgreSQL (DATABASE_URL; the embedded database belongs to one `aiprod serve` process) and its data
// directory (outputs are read back by the API instances). SIGTERM/SIGINT: finish or release the job in hand.
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { loadConfig } from "./config.js";
import { openDatabase } from "./db/knex.js";
import { explainDatabaseError } from "./db/connectionError.js";
import { migrationStatus } from "./db/migrate.js";
import { createLogger } from "./logger.js";
import { createMetrics } from "./metrics.js";
import { createServices } from "./services/index.js";
import { loadBackend } from "./worker/backend.js";
import { WorkerPool } from "./worker/pool.js";

export interface WorkerOptions {
  dataDir?: string;
  device?: string;
  concurrency?: string;
  backend?: string;
}

export async function runWorker(opts: WorkerOptions): Promise<void> {
  const env: Record<string, string | undefined> = { ...process.env };
  if (opts.dataDir) env.AIPROD_DATA_DIR = opts.dataDir;
  if (opts.device) env.WORKER_DEVICE = opts.device;
  if (opts.concurrency) env.WORKERS = opts.concurrency;
  if (opts.backend) env.AIPROD_WORKER_BACKEND = opts.backend;
  const base = loadConfig(env);
  if (!base.databaseUrl) throw new Error("aiprod worker: set DATABASE_URL (workers share the server's PostgreSQL; the embedded database serves a single process)");
  // This process serves no HTTP: the token secrets only satisfy the shared service wiring and are never used.
  const config = { ...base, jwtSecret: randomBytes(32).toString("base64url"), apiKeyPepper: randomBytes(32).toString("base64url") };
  const logger = createLogger(config.logLevel);
  const db = openDatabase({ url: config.databaseUrl, embeddedDir: "", poolMax: Math.max(4, config.jobs.workers * 3), logger });
  const status = await migrationStatus(db.knex).catch(async (e: unknown) => {
    await db.knex.destroy().catch(() => undefined);
    throw explainDatabaseError(e, db.location, "aiprod worker");
  });
  if (status.pending.length) {
    await db.knex.destroy();
    throw new Error(`aiprod worker: the database has pending migrations (${status.pending.join(", ")}); run \`aiprod migrate latest\` or start \`aiprod serve\` first`);
  }
  const metrics = createMetrics();
  const services = createServices(config, db, logger, metrics);
  const backend = await loadBackend(config.jobs.backendModule, config.jobs.device);
  const pool = new WorkerPool(services, { count: Math.max(1, config.jobs.workers), device: config.jobs.device, backend });
  await pool.start();
  logger.info({ workers: pool.workers.map((w) => w.id), device: config.jobs.device, backend: backend.name, database: db.location }, "workers started");
  process.stdout.write(`aiprod worker: ${pool.workers.length} worker(s) on ${config.jobs.device} with backend ${backend.name}; database ${db.location}\n`);
  // This process's job metrics (GPU-seconds, stage durations, outcomes) on METRICS_HOST:METRICS_PORT, if set.
  let metricsServer: Server | undefined;
  if (config.metricsPort !== undefined) {
    metricsServer = createServer((req, res) => {
      if (req.method !== "GET" || req.url !== "/metrics") {
        res.statusCode = 404;
        res.end();
        return;
      }
      metrics.registry.metrics().then(
        (text) => res.setHeader("Content-Type", metrics.registry.contentType).end(text),
        () => res.writeHead(500).end(),
      );
    });
    await new Promise<void>((resolve) => (metricsServer as Server).listen(config.metricsPort, config.metricsHost, resolve));
    const a = metricsServer.address() as AddressInfo;
    process.stdout.write(`  metrics: http://${config.metricsHost}:${a.port}/metrics\n`);
  }

  let signals = 0;
  const stop = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ signal }, "second signal: exiting now; held jobs are reclaimed when their leases expire");
      process.exit(1);
    }
    logger.info({ signal }, "stopping: no new jobs; finishing or releasing the jobs in hand");
    metricsServer?.close();
    pool
      .stop(config.shutdownTimeoutMs)
      .then(() => db.knex.destroy())
      .then(
        () => {
          logger.info("workers stopped");
          process.exitCode = 0;
        },
        (e: unknown) => {
          logger.error({ err: e }, "worker shutdown failed");
          process.exitCode = 1;
        },
      );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
