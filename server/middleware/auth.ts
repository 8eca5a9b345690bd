// Resolves the caller for routes that are not public; the route's roles and scope are checked after validation
// of the credentials (route.ts).
import type { NextFunction, Request, Response } from "express";
import type { AuthRule } from "../http/route.js";
import type { Services } from "../services/index.js";

export function authenticate(services: Services) {
  return (rule: AuthRule) => async (req: Request, _res: Response, next: NextFunction) => {
    if (rule.public) return next();
    req.principal = await services.auth.authenticate(req);
    next();
  };
}
