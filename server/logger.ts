// JSON logs (pino). Credentials never reach the log: the usual places are redacted by path, request bodies are
// not logged at all, and URLs are logged without their query string. Errors are logged through safeError(): a
// safelist of fields, values scrubbed (database errors carry the failed query's data).
import { pino, type DestinationStream, type Logger } from "pino";
import { safeError } from "./safeError.js";

export const REDACT_PATHS = [
  "password",
  "*.password",
  "*.*.password",
  "token",
  "*.token",
  "access_token",
  "*.access_token",
  "refresh_token",
  "*.refresh_token",
  "*.*.refresh_token",
  "key",
  "*.key",
  "secret",
  "*.secret",
  "jwtSecret",
  "*.jwtSecret",
  "apiKeyPepper",
  "*.apiKeyPepper",
  "headers.authorization",
  "*.headers.authorization",
  "headers.cookie",
  "*.headers.cookie",
  'headers["x-api-key"]',
  '*.headers["x-api-key"]',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "aiprod" },
      redact: { paths: REDACT_PATHS, censor: "[REDACTED]" },
      serializers: { err: safeError },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
