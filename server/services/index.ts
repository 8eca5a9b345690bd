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
import { UsersRepository } from "../repositories/usersRepository.js";
import { ApiKeyService } from "./apiKeyService.js";
import { AuditService } from "./auditService.js";
import { AuthService } from "./authService.js";
import { PasswordHasher } from "./passwords.js";
import { PresetService } from "./presetService.js";
import { ProjectService } from "./projectService.js";
import { type Policy, RateLimiter } from "./rateLimiter.js";
import { AccessTokens, ApiKeyCodec } from "./tokens.js";
import { UserService } from "./userService.js";

export interface Services {
  config: ResolvedConfig;
  db: Database;
  logger: Logger;
  repos: {
    users: UsersRepository;
    apiKeys: ApiKeysRepository;
    refreshTokens: RefreshTokensRepository;
    projects: ProjectsRepository;
    presets: PresetsRepository;
    audit: AuditLogsRepository;
    usage: ApiUsageRepository;
    errors: ErrorLogsRepository;
    rateLimits: RateLimitRepository;
  };
  passwords: PasswordHasher;
  accessTokens: AccessTokens;
  cursors: CursorCodec;
  limiter: RateLimiter;
  policies: { user: Policy; anonymous: Policy; loginAccount: Policy; loginIp: Policy; registerIp: Policy };
  auth: AuthService;
  apiKeys: ApiKeyService;
  projects: ProjectService;
  presets: PresetService;
  users: UserService;
  audit: AuditService;
}

export function createServices(config: ResolvedConfig, db: Database, logger: Logger): Services {
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
  };
  const passwords = new PasswordHasher(config.bcryptCost);
  const accessTokens = new AccessTokens(config.jwtSecret, config.jwtIssuer, config.jwtAudience);
  const keyCodec = new ApiKeyCodec(config.apiKeyPepper);
  // Cursors are signed with a key derived from the JWT secret (never the secret itself).
  const cursors = new CursorCodec(createHmac("sha256", config.jwtSecret).update("aiprod cursor key").digest());
  const limiter = new RateLimiter(repos.rateLimits);
  const policies = {
    user: { name: "default", quota: config.rateLimitPerMinute, windowSeconds: 60 },
    anonymous: { name: "anonymous", quota: config.rateLimitAnonPerMinute, windowSeconds: 60 },
    loginAccount: { name: "login-account", quota: config.loginMaxFailuresPerMinute, windowSeconds: 60 },
    loginIp: { name: "login-ip", quota: config.loginMaxFailuresPerMinute, windowSeconds: 60 },
    registerIp: { name: "register-ip", quota: config.registerPerIpPerHour, windowSeconds: 3600 },
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
    auth: new AuthService(k, repos.users, repos.refreshTokens, repos.apiKeys, passwords, accessTokens, keyCodec, limiter, policies, config.registrationOpen),
    apiKeys: new ApiKeyService(repos.apiKeys, keyCodec, cursors),
    projects: new ProjectService(repos.projects, cursors),
    presets: new PresetService(repos.presets, cursors),
    users: new UserService(k, repos, passwords, cursors),
    audit: new AuditService(repos.audit, logger),
  };
}
