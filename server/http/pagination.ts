// Cursor pagination: keyset on (created_at, id), newest first. The cursor is opaque and signed (HMAC), so a client
// cannot forge one; `limit` is bounded by the query schema (1..100).
import { createHmac, timingSafeEqual } from "node:crypto";
import type { Knex } from "knex";
import { z } from "../schemas/zod.js";
import { ApiError } from "./problem.js";

export interface Cursor {
  createdAt: Date;
  id: string;
}

export const MAX_PAGE_SIZE = 100;

export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(20).openapi({ description: `1 to ${MAX_PAGE_SIZE}` }),
  cursor: z.string().max(512).optional().openapi({ description: "next_cursor of the previous page" }),
});

export function pageSchema<T extends z.ZodType>(item: T, name: string) {
  return z
    .object({ data: z.array(item), has_more: z.boolean(), next_cursor: z.string().nullable() })
    .openapi(name);
}

export class CursorCodec {
  constructor(private readonly key: Buffer) {}

  private mac(payload: string): string {
    return createHmac("sha256", this.key).update(payload).digest("base64url").slice(0, 22);
  }

  encode(c: Cursor): string {
    const payload = Buffer.from(JSON.stringify([c.createdAt.toISOString(), c.id])).toString("base64url");
    return `${payload}.${this.mac(payload)}`;
  }

  decode(s: string | undefined): Cursor | undefined {
    if (s === undefined) return undefined;
    const bad = () => new ApiError(422, "validation_failed", "query /cursor: invalid cursor", { errors: [{ pointer: "/cursor", in: "query", message: "invalid cursor" }] });
    const [payload, mac] = s.split(".");
    if (!payload || !mac) throw bad();
    const expected = Buffer.from(this.mac(payload));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw bad();
    try {
      const [iso, id] = JSON.parse(Buffer.from(payload, "base64url").toString()) as [string, string];
      const createdAt = new Date(iso);
      if (Number.isNaN(createdAt.getTime()) || typeof id !== "string") throw bad();
      return { createdAt, id };
    } catch {
      throw bad();
    }
  }

  /** rows were fetched with limit + 1: the extra row only says that there is a next page. */
  page<Row extends { created_at: Date; id: string }, Out>(rows: Row[], limit: number, map: (r: Row) => Out) {
    const has_more = rows.length > limit;
    const data = rows.slice(0, limit);
    const last = data[data.length - 1];
    return {
      data: data.map(map),
      has_more,
      next_cursor: has_more && last ? this.encode({ createdAt: last.created_at, id: last.id }) : null,
    };
  }
}

/** Newest first, after the cursor; `table` qualifies the columns when the query joins. */
export function applyCursor<Q extends Knex.QueryBuilder>(q: Q, cursor: Cursor | undefined, table?: string): Q {
  const col = (c: string) => (table ? `${table}.${c}` : c);
  if (cursor) q.whereRaw(`(${col("created_at")}, ${col("id")}) < (?, ?)`, [cursor.createdAt, cursor.id]);
  q.orderBy([
    { column: col("created_at"), order: "desc" },
    { column: col("id"), order: "desc" },
  ]);
  return q;
}
