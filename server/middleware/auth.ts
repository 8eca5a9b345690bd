// Resolves the caller for routes that are not public; the route's roles and scope are checked after validation
// of the credentials (route.ts). A refused credential counts against the caller's IP (anonymous policy), so
// guessing tokens or keys is rate-limited like any anonymous traffic.
import type { NextFunction, Request, Response } from "express";
import type { AuthRule } from "../http/route.js";
import type { Metrics } from "../metrics.js";
import type { Services } from "../services/index.js";
import { limitHeader, policyHeader, quotaExceeded } from "../services/rateLimiter.js";

export function authenticate(services: Services, metrics: Metrics) {
  return (rule: AuthRule) => async (req: Request, res: Response, next: NextFunction) => {
    if (rule.public) return next();
    try {
      req.principal = await services.auth.authenticate(req);
    } catch (e) {
      const policy = services.policies.anonymous;
      const d = await services.limiter.consume(policy, `ip:${req.ip}`);
      res.setHeader("RateLimit-Policy", policyHeader(policy));
      res.setHeader("RateLimit", limitHeader(d));
      if (!d.allowed) {
        metrics.rateLimited.inc({ policy: policy.name });
        throw quotaExceeded([d], `Too many refused credentials from this address; try again in ${d.resetSeconds} s`);
      }
      throw e;
    }
    next();
  };
}
