// Wires repositories and services for one server instance.
import { createHmac } from "node:crypto";
import type { Logger } from "pino";
import type { ResolvedConfig } from "../bootstrap/secrets.js";
import type { Database } from "../db/knex.js";
import { CursorCodec } from "../http/pagination.js";
import { ApiKeysRepository } from "../repositories/apiKeysRepository.js";
import { ApiUsageRepository } from "../repositories/apiUsageRepository.js";
import { AuditLogsRepository } from "../repositories/auditLogsRepository.js";
import { ErrorLogsRepository } from "../repositories/errorLogsRepository.js";
import { PresetsRepository } from "../repositories/presetsRepository.js";
import { ProjectsRepository } from "../repositories/projectsRepository.js";
import { RateLimitRepository } from "../repositories/rateLimitRepository.js";
import { RefreshTokensRepository } from "../repositories/refreshTokensRepository.js";
import { RevokedSessionsRepository } from "../repositories/revokedSessionsRepository.js";
import { UsersRepository } from "../repositories/usersRepository.js";
import { BillingRepository } from "../repositories/billingRepository.js";
import { IdempotencyRepository } from "../repositories/idempotencyRepository.js";
import { JobsRepository } from "../repositories/jobsRepository.js";
import { UploadsRepository } from "../repositories/uploadsRepository.js";
import { WebhooksRepository } from "../repositories/webhooksRepository.js";
import { WorkersRepository } from "../repositories/workersRepository.js";
import { JobLifecycle } from "../jobs/lifecycle.js";
import { Storage } from "../jobs/storage.js";
import type { Metrics } from "../metrics.js";
import { BillingService } from "./billingService.js";
import { CostService } from "./costService.js";
import { JobService } from "./jobService.js";
import { OpsService } from "./opsService.js";
import { UploadService } from "./uploadService.js";
import { ApiKeyService } from "./apiKeyService.js";
import { AuditService } from "./auditService.js";
import { AuthService } from "./authService.js";
import { PasswordHasher } from "./passwords.js";
import { PresetService } from "./presetService.js";
import { ProjectService } from "./projectService.js";
import { type Policy, RateLimiter } from "./rateLimiter.js";
import { AccessTokens, ApiKeyCodec } from "./tokens.js";
import { type UserRepos, UserService } from "./userService.js";

export interface Services {
  config: ResolvedConfig;
  db: Database;
  logger: Logger;
  /** The user service's repositories plus the rest of the platform's. */
  repos: UserRepos & {
    errors: ErrorLogsRepository;
    rateLimits: RateLimitRepository;
    jobs: JobsRepository;
    billing: BillingRepository;
    idempotency: IdempotencyRepository;
    webhooks: WebhooksRepository;
    workers: WorkersRepository;
    uploads: UploadsRepository;
    revokedSessions: RevokedSessionsRepository;
  };
  metrics?: Metrics;
  storage: Storage;
  lifecycle: JobLifecycle;
  jobs: JobService;
  costs: CostService;
  billing: BillingService;
  ops: OpsService;
  uploads: UploadService;
  passwords: PasswordHasher;
  accessTokens: AccessTokens;
  cursors: CursorCodec;
  limiter: RateLimiter;
  policies: { user: Policy; apiKey: Policy; anonymous: Policy; loginAccountIp: Policy; loginAccount: Policy; loginIp: Policy; registerIp: Policy; registerConflictIp: Policy };
  auth: AuthService;
  apiKeys: ApiKeyService;
  projects: ProjectService;
  presets: PresetService;
  users: UserService;
  audit: AuditService;
}

export function createServices(config: ResolvedConfig, db: Database, logger: Logger, metrics?: Metrics): Services {
  const k = db.knex;
  const repos = {
    users: new UsersRepository(k),
    apiKeys: new ApiKeysRepository(k),
    refreshTokens: new RefreshTokensRepository(k),
    projects: new ProjectsRepository(k),
    presets: new PresetsRepository(k),
    audit: new AuditLogsRepository(k),
    usage: new ApiUsageRepository(k),
    errors: new ErrorLogsRepository(k),
    rateLimits: new RateLimitRepository(k),
    jobs: new JobsRepository(k),
    billing: new BillingRepository(k),
    idempotency: new IdempotencyRepository(k),
    webhooks: new WebhooksRepository(k),
    workers: new WorkersRepository(k),
    uploads: new UploadsRepository(k),
    revokedSessions: new RevokedSessionsRepository(k),
  };
  const storage = new Storage(config.dataDir);
  const lifecycle = new JobLifecycle(k, repos.jobs, repos.billing, repos.webhooks, repos.workers, storage, config.jobs, logger, metrics);
  const costs = new CostService(repos.billing);
  const passwords = new PasswordHasher(config.bcryptCost);
  const accessTokens = new AccessTokens(config.jwtSecret, config.jwtIssuer, config.jwtAudience);
  const keyCodec = new ApiKeyCodec(config.apiKeyPepper);
  // Cursors are signed with a key derived from the JWT secret (never the secret itself).
  const cursors = new CursorCodec(createHmac("sha256", config.jwtSecret).update("aiprod cursor key").digest());
  const limiter = new RateLimiter(repos.rateLimits);
  const policies = {
    user: { name: "default", quota: config.rateLimitPerMinute, windowSeconds: 60 },
    apiKey: { name: "api-key", quota: config.rateLimitPerKeyPerMinute, windowSeconds: 60 },
    anonymous: { name: "anonymous", quota: config.rateLimitAnonPerMinute, windowSeconds: 60 },
    loginAccountIp: { name: "login-account-ip", quota: config.loginMaxFailuresPerMinute, windowSeconds: 60 },
    loginAccount: { name: "login-account", quota: config.loginMaxFailuresPerAccountPerMinute, windowSeconds: 60 },
    loginIp: { name: "login-ip", quota: config.loginMaxFailuresPerIpPerMinute, windowSeconds: 60 },
    registerIp: { name: "register-ip", quota: config.registerPerIpPerHour, windowSeconds: 3600 },
    registerConflictIp: { name: "register-conflict-ip", quota: config.registerConflictsPerIpPerHour, windowSeconds: 3600 },
  };
  return {
    config,
    db,
    logger,
    repos,
    passwords,
    accessTokens,
    cursors,
    limiter,
    policies,
    auth: new AuthService(k, repos.users, repos.refreshTokens, repos.apiKeys, passwords, accessTokens, keyCodec, limiter, policies, config.registrationOpen, repos.revokedSessions, {
      billing: repos.billing,
      monthlyMicros: config.jobs.defaultMonthlyBudgetMicros,
    }),
    apiKeys: new ApiKeyService(repos.apiKeys, keyCodec, cursors),
    projects: new ProjectService(repos.projects, cursors),
    presets: new PresetService(repos.presets, cursors),
    users: new UserService(k, repos, passwords, cursors),
    audit: new AuditService(repos.audit, logger),
    metrics,
    storage,
    lifecycle,
    costs,
    jobs: new JobService(k, repos, lifecycle, costs, cursors, storage, config.jobs, logger, metrics),
    billing: new BillingService(repos.billing),
    ops: new OpsService(k, repos.jobs, repos.workers, config.jobs),
    uploads: new UploadService(k, repos.uploads, storage, config.jobs),
  };
}
