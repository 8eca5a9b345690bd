// users table.
import type { Knex } from "knex";
import type { Role } from "../http/context.js";
import { applyCursor, type Cursor } from "../http/pagination.js";

export interface UserRow {
  id: string;
  email: string;
  password_hash: string;
  role: Role;
  display_name: string | null;
  disabled_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export class UsersRepository {
  constructor(private readonly db: Knex) {}

  findById(id: string, trx: Knex | Knex.Transaction = this.db): Promise<UserRow | undefined> {
    return trx<UserRow>("users").where({ id }).first();
  }

  findByEmail(email: string): Promise<UserRow | undefined> {
    return this.db<UserRow>("users").where({ email: email.toLowerCase() }).first();
  }

  async create(u: { email: string; passwordHash: string; role: Role; displayName?: string | null }): Promise<UserRow> {
    const [row] = await this.db<UserRow>("users")
      .insert({ email: u.email.toLowerCase(), password_hash: u.passwordHash, role: u.role, display_name: u.displayName ?? null })
      .returning("*");
    return row as UserRow;
  }

  async countAdmins(): Promise<number> {
    const row = await this.db("users").where({ role: "admin" }).count<{ n: number }[]>({ n: "*" }).first();
    return Number(row?.n ?? 0);
  }

  async update(id: string, patch: Partial<Pick<UserRow, "role" | "disabled_at" | "password_hash" | "display_name">>): Promise<UserRow | undefined> {
    const [row] = await this.db<UserRow>("users").where({ id }).update({ ...patch, updated_at: new Date() }).returning("*");
    return row;
  }

  async delete(id: string): Promise<boolean> {
    return (await this.db("users").where({ id }).del()) > 0;
  }

  async list(opts: { limit: number; cursor?: Cursor; role?: Role; email?: string }): Promise<UserRow[]> {
    const q = this.db<UserRow>("users");
    if (opts.role) q.where({ role: opts.role });
    if (opts.email) q.whereILike("email", `%${opts.email.replace(/[\\%_]/g, (c) => "\\" + c)}%`);
    return applyCursor(q, opts.cursor).limit(opts.limit + 1);
  }
}
