// Per API key, per user, or per IP for anonymous calls; counters in Postgres so every instance shares them.
import type { NextFunction, Request, Response } from "express";
import type { Metrics } from "../metrics.js";
import type { Services } from "../services/index.js";
import { limitHeader, policyHeader, quotaExceeded } from "../services/rateLimiter.js";

export function rateLimit(services: Services, metrics: Metrics) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const p = req.principal;
    const policy = p ? services.policies.user : services.policies.anonymous;
    const partition = !p ? `ip:${req.ip}` : p.kind === "api_key" ? `key:${p.apiKeyId}` : `user:${p.user.id}`;
    const d = await services.limiter.consume(policy, partition);
    res.setHeader("RateLimit-Policy", policyHeader(policy));
    res.setHeader("RateLimit", limitHeader(d));
    if (!d.allowed) {
      metrics.rateLimited.inc({ policy: policy.name });
      throw quotaExceeded([d], `Rate limit of ${policy.quota} requests per ${policy.windowSeconds} s exceeded`);
    }
    next();
  };
}
