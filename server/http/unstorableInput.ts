// Refuses request input that the database cannot store (util/storableText.ts) with a 422 naming each field, before
// the route's own schema runs: every string of the path, the query and the body (object keys included) is checked
// at this one place, so no route can forget it. Query values count as well: they reach SQL as bound parameters.
import { unstorableReason } from "../util/storableText.js";
import { ApiError, type FieldError, toPointer } from "./problem.js";

const MAX_ERRORS = 50;

function walk(value: unknown, path: PropertyKey[], where: FieldError["in"], exempt: ReadonlySet<string>, out: FieldError[], depth: number): void {
  if (out.length >= MAX_ERRORS || depth > 64) return;
  if (typeof value === "string") {
    const pointer = toPointer(path);
    const reason = exempt.has(pointer) ? undefined : unstorableReason(value);
    if (reason) out.push({ pointer, in: where, message: reason });
    return;
  }
  if (value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => walk(v, [...path, i], where, exempt, out, depth + 1));
    return;
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const reason = unstorableReason(k);
    if (reason) out.push({ pointer: toPointer([...path, k]), in: where, message: `field name ${reason}` });
    else walk(v, [...path, k], where, exempt, out, depth + 1);
  }
}

/**
 * Throws a 422 validation_failed when a string in `value` cannot be stored. `exempt` lists JSON Pointers of
 * fields that never reach the database as text (passwords: only their bcrypt hash is stored).
 */
export function assertStorable(value: unknown, where: FieldError["in"], exempt: readonly string[] = []): void {
  const errors: FieldError[] = [];
  walk(value, [], where, new Set(exempt), errors, 0);
  const first = errors[0];
  if (first) throw new ApiError(422, "validation_failed", `${where} ${first.pointer}: ${first.message}`, { errors });
}
