// Registration, login, refresh-token rotation with reuse detection, logout, and resolving the caller of a request.
import type { Knex } from "knex";
import type { Request } from "express";
import type { Principal, Scope } from "../http/context.js";
import { ApiError, unauthenticated } from "../http/problem.js";
import type { ApiKeysRepository } from "../repositories/apiKeysRepository.js";
import type { RefreshTokensRepository } from "../repositories/refreshTokensRepository.js";
import type { UserRow, UsersRepository } from "../repositories/usersRepository.js";
import type { PasswordHasher } from "./passwords.js";
import { type Policy, type RateLimiter, quotaExceeded } from "./rateLimiter.js";
import type { RevokedSessionsRepository } from "../repositories/revokedSessionsRepository.js";
import type { BillingRepository } from "../repositories/billingRepository.js";
import {
  ACCESS_TOKEN_TTL_S,
  CLOCK_TOLERANCE_S,
  type AccessTokens,
  type ApiKeyCodec,
  REFRESH_TOKEN_TTL_S,
  looksLikeApiKey,
  newRefreshToken,
  sha256Hex,
} from "./tokens.js";
import { randomUUID } from "node:crypto";
import { isUniqueViolation } from "../db/errors.js";

export interface TokenPair {
  token_type: "Bearer";
  access_token: string;
  expires_in: number;
  refresh_token: string;
  refresh_expires_in: number;
}

export interface AuthPolicies {
  /** Failures per (account, address): the strict limit. */
  loginAccountIp: Policy;
  /** Failures per account from everywhere: softer, so one address cannot lock the owner out. */
  loginAccount: Policy;
  /** Failures per address across accounts (password spraying). */
  loginIp: Policy;
  registerIp: Policy;
  /** "Already exists" answers per address (account enumeration). */
  registerConflictIp: Policy;
}

export class AuthService {
  constructor(
    private readonly db: Knex,
    private readonly users: UsersRepository,
    private readonly refreshTokens: RefreshTokensRepository,
    private readonly apiKeys: ApiKeysRepository,
    private readonly passwords: PasswordHasher,
    private readonly access: AccessTokens,
    private readonly keyCodec: ApiKeyCodec,
    private readonly limiter: RateLimiter,
    private readonly policies: AuthPolicies,
    private readonly registrationOpen: boolean,
    private readonly revokedSessions: RevokedSessionsRepository,
    /** New accounts start with this monthly budget (DEFAULT_MONTHLY_BUDGET_MICROS; 0: none). */
    private readonly newAccountBudget: { billing: BillingRepository; monthlyMicros: number },
  ) {}

  /**
   * Ends a session: its refresh tokens and its access tokens (listed as revoked until the last one it could have
   * issued has expired, clock tolerance included).
   */
  private async endSession(familyId: string, trx: Knex | Knex.Transaction): Promise<void> {
    await this.refreshTokens.revokeFamily(familyId, trx);
    await this.revokedSessions.revoke(familyId, new Date(Date.now() + (ACCESS_TOKEN_TTL_S + CLOCK_TOLERANCE_S) * 1000), trx);
  }

  async register(req: Request, input: { email: string; password: string; display_name?: string }): Promise<UserRow> {
    if (!this.registrationOpen) throw new ApiError(403, "registration_closed", "Registration is closed on this server; ask an administrator");
    // Sign-ups are a business flow worth automating for abuse (OWASP API6): bounded per IP.
    const d = await this.limiter.consume(this.policies.registerIp, `ip:${req.ip}`);
    if (!d.allowed) throw quotaExceeded([d], "Too many registrations from this address; try again later");
    // "Already exists" tells who has an account (enumeration). Without another channel to the owner (no mail
    // here) the answer stays a 409, with two mitigations: the password is hashed first, so a taken email answers
    // no faster than a new one, and these answers have their own, tighter limit per address.
    const passwordHash = await this.passwords.hash(input.password);
    const taken = async () => {
      const c = await this.limiter.consume(this.policies.registerConflictIp, `ip:${req.ip}`);
      if (!c.allowed) return quotaExceeded([c], "Too many sign-ups for existing accounts from this address; try again later");
      return new ApiError(409, "conflict", "An account with this email already exists");
    };
    if (await this.users.findByEmail(input.email)) throw await taken();
    const user = await this.users
      .create({ email: input.email, passwordHash, role: "user", displayName: input.display_name ?? null })
      .catch(async (e: unknown) => {
        throw isUniqueViolation(e) ? await taken() : e; // a concurrent registration won the race
      });
    if (this.newAccountBudget.monthlyMicros > 0) await this.newAccountBudget.billing.setBudget(user.id, this.newAccountBudget.monthlyMicros);
    req.audit.userId = user.id;
    req.audit.resourceId = user.id;
    return user;
  }

  async login(req: Request, email: string, password: string): Promise<TokenPair> {
    const counters = [
      [this.policies.loginAccountIp, `acct:${email}:ip:${req.ip}`],
      [this.policies.loginAccount, `acct:${email}`],
      [this.policies.loginIp, `ip:${req.ip}`],
    ] as const;
    // Every attempt is counted before the password is checked, so parallel guesses cannot all slip through a
    // check-then-record gap; a successful login takes its counts back. A throttled attempt takes back the counts
    // it did not exceed: an address hammering one account stays blocked by its own (account, address) counter and
    // cannot push the account's softer counter up to lock the owner out from elsewhere.
    const decisions = await Promise.all(counters.map(([policy, key]) => this.limiter.consume(policy, key)));
    const blocked = decisions.filter((d) => !d.allowed);
    if (blocked.length) {
      await Promise.all(counters.filter((_, i) => decisions[i]?.allowed).map(([policy, key]) => this.limiter.undo(policy, key)));
      req.audit.details = { email, outcome: "throttled" };
      throw quotaExceeded(blocked, "Too many failed logins; try again later");
    }
    const user = await this.users.findByEmail(email);
    const ok = user ? await this.passwords.verify(password, user.password_hash) : await this.passwords.verifyAgainstDummy(password);
    if (!user || !ok || user.disabled_at) {
      req.audit.userId = user?.id ?? null;
      req.audit.details = { email, outcome: "failure", reason: !user ? "unknown_account" : !ok ? "bad_password" : "disabled" };
      // One message for all three: the response does not say which accounts exist.
      throw unauthenticated("Invalid email or password");
    }
    const [pair, ...others] = counters;
    await Promise.all([this.limiter.reset(pair[0], pair[1]), ...others.map(([policy, key]) => this.limiter.undo(policy, key))]);
    if (this.passwords.needsRehash(user.password_hash)) {
      await this.users.update(user.id, { password_hash: await this.passwords.hash(password) });
    }
    req.audit.userId = user.id;
    req.audit.details = { email, outcome: "success" };
    return this.issue(this.db, user.id, randomUUID(), null, req);
  }

  private async issue(trx: Knex | Knex.Transaction, userId: string, familyId: string, parentId: string | null, req: Request): Promise<TokenPair> {
    const { token, hash } = newRefreshToken();
    await this.refreshTokens.insert(
      {
        user_id: userId,
        family_id: familyId,
        parent_id: parentId,
        token_hash: hash,
        expires_at: new Date(Date.now() + REFRESH_TOKEN_TTL_S * 1000),
        ip: req.ip ?? null,
        user_agent: (req.get("user-agent") ?? "").slice(0, 300) || null,
      },
      trx,
    );
    return {
      token_type: "Bearer",
      access_token: await this.access.sign(userId, familyId),
      expires_in: ACCESS_TOKEN_TTL_S,
      refresh_token: token,
      refresh_expires_in: REFRESH_TOKEN_TTL_S,
    };
  }

  /**
   * Rotation: a refresh token works once. Presenting a used one again means it was copied: the whole family
   * (every token descended from the same login) is revoked, and the legitimate holder has to log in again.
   */
  async refresh(req: Request, token: string): Promise<TokenPair> {
    const hash = sha256Hex(token);
    const outcome = await this.db.transaction(async (trx) => {
      const row = await this.refreshTokens.findByHashForUpdate(trx, hash);
      if (!row) return { error: "unknown" as const };
      req.audit.userId = row.user_id;
      req.audit.details = { family_id: row.family_id };
      if (row.revoked_at) return { error: "revoked" as const };
      if (row.used_at) {
        await this.endSession(row.family_id, trx);
        return { error: "reuse_detected" as const };
      }
      if (row.expires_at.getTime() <= Date.now()) return { error: "expired" as const };
      const user = await this.users.findById(row.user_id, trx);
      if (!user || user.disabled_at) {
        await this.endSession(row.family_id, trx);
        return { error: "account_disabled" as const };
      }
      await this.refreshTokens.markUsed(trx, row.id);
      return { pair: await this.issue(trx, row.user_id, row.family_id, row.id, req) };
    });
    if ("error" in outcome) {
      req.audit.details = { ...req.audit.details, outcome: "failure", reason: outcome.error, ...(outcome.error === "reuse_detected" ? { family_revoked: true } : {}) };
      throw unauthenticated("Invalid refresh token");
    }
    req.audit.details = { ...req.audit.details, outcome: "success" };
    return outcome.pair;
  }

  async logout(req: Request, token: string): Promise<void> {
    const row = await this.refreshTokens.findByHash(sha256Hex(token));
    if (row) {
      await this.endSession(row.family_id, this.db);
      req.audit.userId = row.user_id;
      req.audit.details = { family_id: row.family_id };
    }
  }

  /** The caller of a request from `Authorization: Bearer <jwt | api key>` or `X-API-Key`, or a 401. */
  async authenticate(req: Request): Promise<Principal> {
    const header = req.get("authorization");
    const apiKeyHeader = req.get("x-api-key");
    let credential: string | undefined;
    if (header) {
      const m = /^Bearer\s+(\S{1,4096})$/i.exec(header);
      if (!m) throw unauthenticated("Authorization must be 'Bearer <token>'");
      credential = m[1];
    } else if (apiKeyHeader) {
      credential = apiKeyHeader;
    }
    if (!credential) throw unauthenticated();
    if (looksLikeApiKey(credential)) return this.authenticateApiKey(credential);
    const v = await this.access.verify(credential);
    if (!v.ok) {
      req.authFailure = v.reason;
      throw unauthenticated("Invalid or expired access token");
    }
    const [user, revoked] = await Promise.all([this.users.findById(v.claims.sub), this.revokedSessions.isRevoked(v.claims.sid)]);
    if (revoked) {
      req.authFailure = "session_revoked";
      throw unauthenticated("This session was logged out; log in again");
    }
    if (!user || user.disabled_at) throw unauthenticated("Invalid or expired access token");
    return { kind: "user", user };
  }

  private async authenticateApiKey(key: string): Promise<Principal> {
    const parsed = this.keyCodec.parse(key);
    const row = parsed ? await this.apiKeys.findByPrefix(parsed.prefix) : undefined;
    if (!parsed || !row || !this.keyCodec.matches(parsed.secret, row.secret_hash)) throw unauthenticated("Invalid API key");
    if (row.revoked_at) throw unauthenticated("This API key was revoked");
    if (row.expires_at && row.expires_at.getTime() <= Date.now()) throw unauthenticated("This API key has expired");
    const user = await this.users.findById(row.user_id);
    if (!user || user.disabled_at) throw unauthenticated("Invalid API key");
    // Best effort, at most once a minute per key: never delays the request, no write per call.
    if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > 60_000) void this.apiKeys.touch(row.id).catch(() => undefined);
    return { kind: "api_key", user, apiKeyId: row.id, scopes: row.scopes as Scope[] };
  }
}
