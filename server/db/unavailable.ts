// Errors that mean "the database cannot be reached right now" rather than "this query is wrong": the pg driver's
// socket errors and cut connections, PostgreSQL's connection-exception and shutdown SQLSTATEs, and knex's pool
// timeout (every connection attempt failing). Requests that meet one answer 503 with Retry-After, not 500.
const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "ECONNABORTED"]);
// 08xxx connection exception, 57P01-57P03 admin/crash shutdown and "cannot connect now", 53300 too many connections.
const SQLSTATES = /^(08...|57P0[123]|53300)$/;
const MESSAGES = /Connection terminated|connection error and is not queryable|Timeout acquiring a connection|the database system is (starting up|shutting down)|terminating connection/i;

export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (typeof err !== "object" || err === null || depth > 3) return false;
  const e = err as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === "string" && (SOCKET_CODES.has(e.code) || SQLSTATES.test(e.code))) return true;
  if (e.name === "KnexTimeoutError") return true;
  if (typeof e.message === "string" && MESSAGES.test(e.message)) return true;
  // AggregateError (a connect to several addresses of one host) and wrapped causes.
  if (Array.isArray(e.errors) && e.errors.some((x) => isDatabaseUnavailable(x, depth + 1))) return true;
  return e.cause !== undefined && isDatabaseUnavailable(e.cause, depth + 1);
}

/** Seconds a client should wait before retrying while the database is unavailable. */
export const DATABASE_RETRY_AFTER_S = 5;
