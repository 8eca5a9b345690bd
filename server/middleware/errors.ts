// The end of the chain: unknown routes, and every error turned into RFC 9457 problem+json. Unexpected errors
// are logged and stored in error_logs with their stack; the response never carries a stack in production.
import type { NextFunction, Request, Response } from "express";
import type { Services } from "../services/index.js";
import { ApiError, problemBody } from "../http/problem.js";
import { isMutating } from "../http/route.js";
import { routeTemplate } from "./requestContext.js";
import { safeError } from "../safeError.js";
import { DATABASE_RETRY_AFTER_S, isDatabaseUnavailable } from "../db/unavailable.js";

export function notFoundHandler(_req: Request, _res: Response, next: NextFunction) {
  next(new ApiError(404, "not_found", "No such route"));
}

interface BodyParserError {
  type?: string;
  status?: number;
  expose?: boolean;
}

function toApiError(err: unknown, bodyLimit: number): ApiError | undefined {
  if (err instanceof ApiError) return err;
  if (isDatabaseUnavailable(err)) {
    return new ApiError(503, "database_unavailable", `The database is unavailable; retry in ${DATABASE_RETRY_AFTER_S} s`, {}, { "Retry-After": String(DATABASE_RETRY_AFTER_S) });
  }
  const e = err as BodyParserError;
  if (e && typeof e === "object") {
    if (e.type === "entity.too.large") return new ApiError(413, "payload_too_large", `Request bodies are limited to ${bodyLimit} bytes`);
    if (e.type === "entity.parse.failed") return new ApiError(400, "malformed_json", "The body is not valid JSON");
    if (e.type === "encoding.unsupported" || e.type === "charset.unsupported") return new ApiError(415, "unsupported_media_type", "Unsupported body encoding");
    if (e.type === "request.aborted") return new ApiError(400, "malformed_json", "The request body was aborted");
    // Other client errors raised by Express itself (e.g. a path with broken percent-encoding): keep the status,
    // with our own wording rather than the library's message.
    if (typeof e.status === "number" && e.status >= 400 && e.status < 500) {
      if (e.status === 404) return new ApiError(404, "not_found", "No such resource");
      if (e.status === 413) return new ApiError(413, "payload_too_large", `Request bodies are limited to ${bodyLimit} bytes`);
      if (e.status === 415) return new ApiError(415, "unsupported_media_type", "Unsupported media type");
      return new ApiError(e.status, "bad_request", "The request could not be understood");
    }
  }
  return undefined;
}

export function errorHandler(services: Services) {
  const { config, logger } = services;
  // Express recognises error handlers by their four parameters.
  return async (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    let apiError = toApiError(err, config.bodyLimitBytes);
    if (!apiError) {
      const e = err instanceof Error ? err : new Error(String(err));
      logger.error({ err: e, req_id: req.requestId, route: routeTemplate(req) }, "unhandled error");
      const safe = safeError(e); // error_logs is read by administrators: no query values, no personal data
      await services.repos.errors
        .insert({
          request_id: req.requestId,
          user_id: req.principal?.user.id ?? null,
          method: req.method,
          route: routeTemplate(req),
          status: 500,
          code: "internal_error",
          message: safe.message,
          stack: safe.stack ?? null,
        })
        .catch((writeErr: unknown) => logger.error({ err: writeErr }, "error log write failed"));
      // The stack stays in the log and in error_logs; responses never carry it, whatever NODE_ENV says.
      apiError = new ApiError(500, "internal_error", "An unexpected error occurred; quote the request id when reporting it");
    }
    if (apiError.code === "database_unavailable") {
      // An outage, not a bug: one warning per request (no stack), and no audit row (it could not be written).
      const { type, code, message } = safeError(err);
      logger.warn({ req_id: req.requestId, route: routeTemplate(req), db_error: { type, code, message } }, "database unavailable");
    } else if (isMutating(req.method) && req.operationId) {
      // Refused calls to mutating routes are audited too (failed logins, 401/403/404/413/422/429 on writes);
      // requests to unknown routes are not (nothing to audit, and they would let anyone fill the table).
      await services.audit.recordRequest(req, apiError.status);
    }
    if (res.headersSent) return;
    for (const [k, v] of Object.entries(apiError.headers)) res.setHeader(k, v);
    res
      .status(apiError.status)
      .type("application/problem+json")
      .send(JSON.stringify(problemBody(apiError, req.requestId ?? "unknown", req.originalUrl.split("?")[0] ?? "/")));
  };
}
