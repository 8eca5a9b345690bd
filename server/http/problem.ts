// RFC 9457 problem details: the one error shape of the API, with a stable `code` per problem type.
import { z } from "../schemas/zod.js";

export const PROBLEM_BASE = "https://aiprod.dev/problems/";
export const QUOTA_EXCEEDED_TYPE = "https://iana.org/assignments/http-problem-types#quota-exceeded";

export const PROBLEM_TITLES = {
  validation_failed: "Request validation failed",
  bad_request: "Bad request",
  malformed_json: "Malformed JSON body",
  unauthenticated: "Authentication required",
  forbidden: "Forbidden",
  not_found: "Not found",
  conflict: "Conflict",
  payload_too_large: "Payload too large",
  unsupported_media_type: "Unsupported media type",
  quota_exceeded: "Too many requests",
  registration_closed: "Registration is closed",
  service_draining: "Service is shutting down",
  database_unavailable: "Database unavailable",
  gone: "Gone",
  budget_exceeded: "Budget exceeded",
  range_not_satisfiable: "Range not satisfiable",
  idempotency_key_in_use: "Idempotency-Key in use",
  idempotency_key_mismatch: "Idempotency-Key reused with another request",
  internal_error: "Internal server error",
} as const;

export type ProblemCode = keyof typeof PROBLEM_TITLES;

export interface FieldError {
  /** JSON Pointer (RFC 6901) into the request part named by `in`. */
  pointer: string;
  in: "body" | "query" | "path" | "header";
  message: string;
}

export class ApiError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: ProblemCode,
    detail?: string,
    public readonly extensions: Record<string, unknown> = {},
    public readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? PROBLEM_TITLES[code]);
    this.name = "ApiError";
  }
}

export const unauthenticated = (detail = "A valid access token or API key is required") =>
  new ApiError(401, "unauthenticated", detail, {}, { "WWW-Authenticate": 'Bearer realm="aiprod"' });
export const forbidden = (detail = "You are not allowed to do this") => new ApiError(403, "forbidden", detail);
export const notFound = (what = "Resource") => new ApiError(404, "not_found", `${what} not found`);

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    code: z.string(),
    request_id: z.string(),
    errors: z
      .array(z.object({ pointer: z.string(), in: z.enum(["body", "query", "path", "header"]), message: z.string() }))
      .optional(),
    "violated-policies": z.array(z.string()).optional(),
  })
  .openapi("Problem", { description: "RFC 9457 problem details" });

export type Problem = z.infer<typeof ProblemSchema>;

export function problemBody(err: ApiError, requestId: string, instance: string): Problem {
  return {
    type: err.code === "quota_exceeded" ? QUOTA_EXCEEDED_TYPE : PROBLEM_BASE + err.code,
    title: PROBLEM_TITLES[err.code],
    status: err.status,
    detail: err.message,
    instance,
    code: err.code,
    request_id: requestId,
    ...err.extensions,
  };
}

/** JSON Pointer from a zod issue path. */
export function toPointer(path: readonly PropertyKey[]): string {
  return "/" + path.map((p) => String(p).replace(/~/g, "~0").replace(/\//g, "~1")).join("/");
}

export function validationError(issues: readonly z.core.$ZodIssue[], where: FieldError["in"]): ApiError {
  const errors: FieldError[] = [];
  for (const issue of issues.slice(0, 50)) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        errors.push({ pointer: toPointer([...issue.path, key]), in: where, message: "unknown or read-only field" });
      }
    } else {
      errors.push({ pointer: toPointer(issue.path), in: where, message: issue.message });
    }
  }
  const first = errors[0];
  return new ApiError(
    422,
    "validation_failed",
    first ? `${where} ${first.pointer}: ${first.message}` : `invalid ${where}`,
    { errors },
  );
}
