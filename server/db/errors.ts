// PostgreSQL error classification, the same for the pg driver and PGlite (both expose the SQLSTATE as `code`).
export const isUniqueViolation = (e: unknown): boolean =>
  typeof e === "object" && e !== null && (e as { code?: unknown }).code === "23505";
