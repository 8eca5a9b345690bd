// Rate-limit policies on the shared Postgres counters, announced with the IETF RateLimit header fields
// (draft-ietf-httpapi-ratelimit-headers-10): `RateLimit-Policy: "default";q=300;w=60` and
// `RateLimit: "default";r=299;t=60`. Over the quota: 429 quota-exceeded with Retry-After.
import { ApiError } from "../http/problem.js";
import type { RateLimitRepository, WindowCount } from "../repositories/rateLimitRepository.js";

export interface Policy {
  name: string;
  quota: number;
  windowSeconds: number;
}

export interface Decision {
  policy: Policy;
  remaining: number;
  resetSeconds: number;
  allowed: boolean;
}

export function policyHeader(p: Policy): string {
  return `"${p.name}";q=${p.quota};w=${p.windowSeconds}`;
}

export function limitHeader(d: Decision): string {
  return `"${d.policy.name}";r=${d.remaining};t=${d.resetSeconds}`;
}

export function quotaExceeded(decisions: Decision[], detail: string): ApiError {
  const retry = Math.max(...decisions.map((d) => d.resetSeconds));
  return new ApiError(429, "quota_exceeded", detail, { "violated-policies": decisions.map((d) => d.policy.name) }, { "Retry-After": String(retry) });
}

export class RateLimiter {
  constructor(private readonly repo: RateLimitRepository) {}

  private decide(policy: Policy, c: WindowCount): Decision {
    // c.total includes this request: the quota-th request is the last one allowed.
    return { policy, remaining: Math.max(0, policy.quota - c.total), resetSeconds: c.resetSeconds, allowed: c.total <= policy.quota };
  }

  /** Counts this request against `policy` for `partition` (e.g. "user:<id>"). */
  async consume(policy: Policy, partition: string): Promise<Decision> {
    return this.decide(policy, await this.repo.hit(`${policy.name}:${partition}`, policy.windowSeconds));
  }

  async undo(policy: Policy, partition: string): Promise<void> {
    await this.repo.undo(`${policy.name}:${partition}`, policy.windowSeconds);
  }

  async reset(policy: Policy, partition: string): Promise<void> {
    await this.repo.clear(`${policy.name}:${partition}`);
  }
}
