// Per principal: a user's sessions and API keys share one limit (50 keys do not get 50 times the limit), and each
// API key also has its own sub-limit; per IP for anonymous calls. Counters in Postgres so every instance shares them.
import type { NextFunction, Request, Response } from "express";
import type { Metrics } from "../metrics.js";
import type { Services } from "../services/index.js";
import { type Policy, limitHeader, policyHeader, quotaExceeded } from "../services/rateLimiter.js";

export function rateLimit(services: Services, metrics: Metrics) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const p = req.principal;
    const { user, apiKey, anonymous } = services.policies;
    const counters: Array<[Policy, string]> = !p
      ? [[anonymous, `ip:${req.ip}`]]
      : p.kind === "api_key"
        ? [[user, `user:${p.user.id}`], [apiKey, `key:${p.apiKeyId}`]]
        : [[user, `user:${p.user.id}`]];
    const decisions = await Promise.all(counters.map(([policy, partition]) => services.limiter.consume(policy, partition)));
    res.setHeader("RateLimit-Policy", counters.map(([policy]) => policyHeader(policy)).join(", "));
    res.setHeader("RateLimit", decisions.map(limitHeader).join(", "));
    const blocked = decisions.filter((d) => !d.allowed);
    if (blocked.length) {
      for (const d of blocked) metrics.rateLimited.inc({ policy: d.policy.name });
      const first = blocked[0] as (typeof blocked)[number];
      const whose = first.policy === apiKey ? "this API key" : first.policy === user ? "your account (all its sessions and API keys)" : "this address";
      throw quotaExceeded(blocked, `Rate limit of ${first.policy.quota} requests per ${first.policy.windowSeconds} s for ${whose} exceeded`);
    }
    next();
  };
}
