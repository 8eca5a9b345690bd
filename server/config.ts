// Server configuration: environment variables validated with zod at start, with one clear message per problem.
// Secrets that are not given are generated once and kept in the data directory (see bootstrap/secrets.ts), except
// in production, where weak or missing secrets stop the start.
import { resolve } from "node:path";
import { z } from "zod";
import { TIER_IDS } from "./billing/pricing.js";
import type { TierQuota } from "./jobs/quotas.js";

/** Priority jobs jump the queue: by default a user may have fewer of them waiting, running and per day. */
export const DEFAULT_TIER_QUOTAS: Readonly<Record<string, TierQuota>> = { priority: { queued: 5, running: 1, gpu_seconds_per_day: 3600 } };

export const MIN_BCRYPT_COST = 12;
/** Only NODE_ENV=test may go below MIN_BCRYPT_COST (to keep the test suite fast); never production. */
export const MIN_TEST_BCRYPT_COST = 4;
export const MIN_SECRET_BYTES = 32;

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: int(0, 65535).default(8080),
  AIPROD_DATA_DIR: z.string().min(1).default(".aiprod-data"),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
    .optional(),
  DATABASE_POOL_MAX: int(1, 100).default(10),
  JWT_SECRET: z.string().optional(),
  API_KEY_PEPPER: z.string().optional(),
  JWT_ISSUER: z.string().min(1).max(200).default("aiprod"),
  JWT_AUDIENCE: z.string().min(1).max(200).default("aiprod-api"),
  BCRYPT_COST: int(MIN_TEST_BCRYPT_COST, 15).default(MIN_BCRYPT_COST),
  ADMIN_EMAIL: z.email().default("admin@aiprod.local"),
  ADMIN_PASSWORD: z.string().optional(),
  REGISTRATION_OPEN: bool.default(true),
  CORS_ORIGINS: z.string().optional(),
  TRUST_PROXY: bool.default(false),
  BODY_LIMIT_BYTES: int(1024, 10 * 1024 * 1024).default(100 * 1024),
  RATE_LIMIT_PER_MINUTE: int(1, 1_000_000).default(300),
  RATE_LIMIT_ANON_PER_MINUTE: int(1, 1_000_000).default(60),
  RATE_LIMIT_PER_KEY_PER_MINUTE: int(1, 1_000_000).optional(),
  LOGIN_MAX_FAILURES_PER_MINUTE: int(1, 1000).default(10),
  LOGIN_MAX_FAILURES_PER_IP_PER_MINUTE: int(1, 100_000).default(30),
  LOGIN_MAX_FAILURES_PER_ACCOUNT_PER_MINUTE: int(1, 100_000).default(100),
  REGISTER_PER_IP_PER_HOUR: int(1, 100_000).default(20),
  REGISTER_CONFLICTS_PER_IP_PER_HOUR: int(1, 100_000).default(5),
  METRICS_PORT: int(0, 65535).optional(),
  METRICS_HOST: z.string().min(1).default("127.0.0.1"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  SHUTDOWN_TIMEOUT_MS: int(0, 600_000).default(10_000),
  WORKERS: int(0, 64).default(1),
  WORKER_DEVICE: z.string().regex(/^[A-Za-z0-9:_.-]{1,64}$/).default("default"),
  AIPROD_WORKER_BACKEND: z.string().min(1).max(1000).optional(),
  JOB_LEASE_MS: int(500, 3_600_000).default(30_000),
  JOB_HEARTBEAT_MS: int(100, 600_000).default(10_000),
  JOB_POLL_MS: int(20, 60_000).default(1000),
  JOB_CANCEL_POLL_MS: int(20, 60_000).default(500),
  JOB_MAX_ATTEMPTS: int(1, 20).default(3),
  JOB_MAX_QUEUED_PER_USER: int(1, 100_000).default(20),
  JOB_MAX_RUNNING_PER_USER: int(1, 1000).default(2),
  JOB_MAX_GPU_SECONDS_PER_USER_PER_DAY: int(1, 100_000_000).default(4 * 3600),
  JOB_TIER_QUOTAS: z
    .string()
    .default(JSON.stringify(DEFAULT_TIER_QUOTAS))
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: 'must be JSON, e.g. {"priority":{"queued":5,"running":1,"gpu_seconds_per_day":3600}}' });
        return z.NEVER;
      }
    })
    .pipe(z.partialRecord(z.enum(TIER_IDS), z.object({ queued: z.number().int().min(1).optional(), running: z.number().int().min(1).optional(), gpu_seconds_per_day: z.number().int().min(1).optional() }).strict())),
  DEFAULT_MONTHLY_BUDGET_MICROS: int(0, 1e15).default(100_000_000),
  JOB_RETRY_BASE_MS: int(0, 3_600_000).default(5000),
  JOB_RETRY_MAX_MS: int(0, 86_400_000).default(600_000),
  QA_MAX_RETRIES: int(0, 5).default(2),
  OUTPUT_TTL_HOURS: z.coerce.number().min(0.0001).max(24 * 365).default(24 * 7),
  QUEUE_TTL_HOURS: z.coerce.number().min(0.0001).max(24 * 30).default(24),
  IDEMPOTENCY_TTL_HOURS: z.coerce.number().min(0.01).max(24 * 30).default(24),
  API_USAGE_RETENTION_DAYS: z.coerce.number().min(0.001).max(3650).default(90),
  UPLOAD_MAX_BYTES: int(1024, 2 * 1024 * 1024 * 1024).default(512 * 1024 * 1024),
  UPLOAD_QUOTA_BYTES_PER_USER: int(1024, 1024 ** 4).default(2 * 1024 * 1024 * 1024),
  UPLOAD_UNUSED_TTL_HOURS: z.coerce.number().min(0.0001).max(24 * 365).default(24 * 7),
  WEBHOOK_ALLOW_PRIVATE: bool.default(false),
  WEBHOOK_TIMEOUT_MS: int(100, 60_000).default(15_000),
  WEBHOOK_RETRY_SCALE: z.coerce.number().min(0).max(10).default(1),
  ALERT_QUEUE_WAIT_SECONDS: int(1, 86_400).default(600),
  ALERT_ERROR_RATE: z.coerce.number().min(0).max(1).default(0.2),
  ALERT_WORKER_MISSING_SECONDS: int(1, 86_400).default(60),
  SSE_MAX_PER_USER: int(1, 1000).default(10),
  WAIT_MAX_PER_USER: int(0, 10_000).default(10),
  WAIT_MAX_TOTAL: int(0, 100_000).default(200),
});

export type Env = z.input<typeof envSchema>;

export interface ServerConfig {
  env: "development" | "production" | "test";
  host: string;
  port: number;
  dataDir: string;
  /** undefined: the embedded PGlite database under dataDir/pgdata; ":memory:" is allowed for tests. */
  databaseUrl: string | undefined;
  databasePoolMax: number;
  /** Provided or generated; resolveSecrets() fills them in before the server starts. */
  jwtSecret: string | undefined;
  apiKeyPepper: string | undefined;
  jwtIssuer: string;
  jwtAudience: string;
  bcryptCost: number;
  adminEmail: string;
  adminPassword: string | undefined;
  registrationOpen: boolean;
  corsOrigins: string[];
  trustProxy: boolean;
  bodyLimitBytes: number;
  /** Per user (every API key and session of the user together). */
  rateLimitPerMinute: number;
  /** Per API key, within the user's limit (default: the user's limit). */
  rateLimitPerKeyPerMinute: number;
  rateLimitAnonPerMinute: number;
  /** Failed logins per (account, address): the strict limit. */
  loginMaxFailuresPerMinute: number;
  /** Failed logins per address, whatever the account. */
  loginMaxFailuresPerIpPerMinute: number;
  /** Failed logins per account from all addresses: a softer limit, so one address cannot lock others out. */
  loginMaxFailuresPerAccountPerMinute: number;
  registerPerIpPerHour: number;
  /** Sign-ups answered "already exists" per address (they tell who has an account). */
  registerConflictsPerIpPerHour: number;
  metricsPort: number | undefined;
  metricsHost: string;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  shutdownTimeoutMs: number;
  jobs: JobsConfig;
}

export interface JobsConfig {
  /** Workers started inside `aiprod serve` (0: none; run `aiprod worker` processes instead). */
  workers: number;
  device: string;
  /** Module exporting createBackend() (server/worker/backend.ts); unset or "builtin": the library's pipelines. */
  backendModule: string | undefined;
  leaseMs: number;
  heartbeatMs: number;
  pollMs: number;
  cancelPollMs: number;
  maxAttempts: number;
  /** Per-user quotas (quotas.ts): unstarted jobs, jobs running at once, estimated + used GPU-seconds per UTC day. */
  maxQueuedPerUser: number;
  maxRunningPerUser: number;
  maxGpuSecondsPerUserPerDay: number;
  /** The same limits per pricing tier, on top of the user-wide ones. */
  tierQuotas: Readonly<Record<string, TierQuota>>;
  /** Monthly budget given to new accounts (micro-units; 0: none). */
  defaultMonthlyBudgetMicros: number;
  retryBaseMs: number;
  retryMaxMs: number;
  qaMaxRetries: number;
  outputTtlMs: number;
  queueTtlMs: number;
  idempotencyTtlSeconds: number;
  /** api_usage rows older than this are deleted by housekeeping. */
  apiUsageRetentionMs: number;
  uploadMaxBytes: number;
  /** Bytes of uploads one user may keep at once. */
  uploadQuotaBytesPerUser: number;
  /** Uploads older than this that no unfinished job uses are deleted by housekeeping. */
  uploadUnusedTtlMs: number;
  webhookAllowPrivate: boolean;
  webhookTimeoutMs: number;
  webhookRetryScale: number;
  alertQueueWaitSeconds: number;
  alertErrorRate: number;
  alertWorkerMissingSeconds: number;
  sseMaxPerUser: number;
  /** Requests waiting for their job (Prefer: wait) per user and per process; beyond, they are answered at once. */
  maxWaitingPerUser: number;
  maxWaitingTotal: number;
}

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** A secret is weak when it is short or has little variety (e.g. "aaaa…", "changeme" repeated). */
export function secretWeakness(secret: string | undefined): string | undefined {
  if (!secret) return "missing";
  if (Buffer.byteLength(secret, "utf8") < MIN_SECRET_BYTES) return `shorter than ${MIN_SECRET_BYTES} bytes`;
  if (new Set(secret).size < 10) return "too few distinct characters";
  return undefined;
}

/** Validates the environment; throws ConfigError naming every problem at once. */
export function loadConfig(env: Record<string, string | undefined> = process.env): ServerConfig {
  // Empty strings count as unset, as shells and .env files often leave them.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join(".") || "environment"}: ${i.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  if (e.BCRYPT_COST < MIN_BCRYPT_COST && e.NODE_ENV !== "test") {
    problems.push(`BCRYPT_COST: must be at least ${MIN_BCRYPT_COST} (lower costs are only accepted with NODE_ENV=test)`);
  }
  if (e.NODE_ENV === "production") {
    for (const name of ["JWT_SECRET", "API_KEY_PEPPER"] as const) {
      const weak = secretWeakness(e[name]);
      if (weak) problems.push(`${name}: production needs a strong secret (${weak}); generate one with: openssl rand -base64 48`);
    }
    if (e.ADMIN_PASSWORD !== undefined && e.ADMIN_PASSWORD.length < 12) {
      problems.push("ADMIN_PASSWORD: production needs at least 12 characters (or leave it unset to get a generated one)");
    }
  } else {
    for (const name of ["JWT_SECRET", "API_KEY_PEPPER"] as const) {
      const weak = e[name] === undefined ? undefined : secretWeakness(e[name]);
      if (weak) problems.push(`${name}: too weak (${weak}); leave it unset to get a generated one`);
    }
  }
  const corsOrigins = (e.CORS_ORIGINS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const origin of corsOrigins) {
    if (origin === "*") problems.push("CORS_ORIGINS: '*' is not accepted; list the allowed origins");
    else if (!/^https?:\/\/[^/\s]+$/.test(origin)) problems.push(`CORS_ORIGINS: '${origin}' is not an origin like https://app.example.com`);
  }
  if (e.NODE_ENV === "production" && e.WEBHOOK_ALLOW_PRIVATE) {
    problems.push("WEBHOOK_ALLOW_PRIVATE: not accepted in production (webhooks to internal addresses are an SSRF hole)");
  }
  if (e.JOB_HEARTBEAT_MS * 2 > e.JOB_LEASE_MS) problems.push("JOB_HEARTBEAT_MS: must be at most half of JOB_LEASE_MS");
  if (e.METRICS_PORT !== undefined && e.METRICS_PORT !== 0 && e.METRICS_PORT === e.PORT) {
    problems.push("METRICS_PORT: must differ from PORT");
  }
  if (problems.length) throw new ConfigError(problems);
  return {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    dataDir: resolve(e.AIPROD_DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    databasePoolMax: e.DATABASE_POOL_MAX,
    jwtSecret: e.JWT_SECRET,
    apiKeyPepper: e.API_KEY_PEPPER,
    jwtIssuer: e.JWT_ISSUER,
    jwtAudience: e.JWT_AUDIENCE,
    bcryptCost: e.BCRYPT_COST,
    adminEmail: e.ADMIN_EMAIL.toLowerCase(),
    adminPassword: e.ADMIN_PASSWORD,
    registrationOpen: e.REGISTRATION_OPEN,
    corsOrigins,
    trustProxy: e.TRUST_PROXY,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    rateLimitPerKeyPerMinute: e.RATE_LIMIT_PER_KEY_PER_MINUTE ?? e.RATE_LIMIT_PER_MINUTE,
    rateLimitAnonPerMinute: e.RATE_LIMIT_ANON_PER_MINUTE,
    loginMaxFailuresPerMinute: e.LOGIN_MAX_FAILURES_PER_MINUTE,
    loginMaxFailuresPerIpPerMinute: e.LOGIN_MAX_FAILURES_PER_IP_PER_MINUTE,
    loginMaxFailuresPerAccountPerMinute: e.LOGIN_MAX_FAILURES_PER_ACCOUNT_PER_MINUTE,
    registerPerIpPerHour: e.REGISTER_PER_IP_PER_HOUR,
    registerConflictsPerIpPerHour: e.REGISTER_CONFLICTS_PER_IP_PER_HOUR,
    metricsPort: e.METRICS_PORT,
    metricsHost: e.METRICS_HOST,
    logLevel: e.LOG_LEVEL,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    jobs: {
      workers: e.WORKERS,
      device: e.WORKER_DEVICE,
      backendModule: e.AIPROD_WORKER_BACKEND,
      leaseMs: e.JOB_LEASE_MS,
      heartbeatMs: e.JOB_HEARTBEAT_MS,
      pollMs: e.JOB_POLL_MS,
      cancelPollMs: e.JOB_CANCEL_POLL_MS,
      maxAttempts: e.JOB_MAX_ATTEMPTS,
      maxQueuedPerUser: e.JOB_MAX_QUEUED_PER_USER,
      maxRunningPerUser: e.JOB_MAX_RUNNING_PER_USER,
      maxGpuSecondsPerUserPerDay: e.JOB_MAX_GPU_SECONDS_PER_USER_PER_DAY,
      tierQuotas: e.JOB_TIER_QUOTAS,
      defaultMonthlyBudgetMicros: e.DEFAULT_MONTHLY_BUDGET_MICROS,
      retryBaseMs: e.JOB_RETRY_BASE_MS,
      retryMaxMs: e.JOB_RETRY_MAX_MS,
      qaMaxRetries: e.QA_MAX_RETRIES,
      outputTtlMs: Math.round(e.OUTPUT_TTL_HOURS * 3_600_000),
      queueTtlMs: Math.round(e.QUEUE_TTL_HOURS * 3_600_000),
      idempotencyTtlSeconds: Math.round(e.IDEMPOTENCY_TTL_HOURS * 3600),
      apiUsageRetentionMs: Math.round(e.API_USAGE_RETENTION_DAYS * 86_400_000),
      uploadMaxBytes: e.UPLOAD_MAX_BYTES,
      uploadQuotaBytesPerUser: e.UPLOAD_QUOTA_BYTES_PER_USER,
      uploadUnusedTtlMs: Math.round(e.UPLOAD_UNUSED_TTL_HOURS * 3_600_000),
      webhookAllowPrivate: e.WEBHOOK_ALLOW_PRIVATE,
      webhookTimeoutMs: e.WEBHOOK_TIMEOUT_MS,
      webhookRetryScale: e.WEBHOOK_RETRY_SCALE,
      alertQueueWaitSeconds: e.ALERT_QUEUE_WAIT_SECONDS,
      alertErrorRate: e.ALERT_ERROR_RATE,
      alertWorkerMissingSeconds: e.ALERT_WORKER_MISSING_SECONDS,
      sseMaxPerUser: e.SSE_MAX_PER_USER,
      maxWaitingPerUser: e.WAIT_MAX_PER_USER,
      maxWaitingTotal: e.WAIT_MAX_TOTAL,
    },
  };
}
