// The first administrator: created when the database has no admin yet, with ADMIN_EMAIL and ADMIN_PASSWORD or a
// generated password. The caller prints the credentials once (they are never logged); later starts find the
// admin and create nothing.
import { randomBytes } from "node:crypto";
import { isUniqueViolation } from "../db/errors.js";
import type { Services } from "../services/index.js";

export interface FirstAdmin {
  email: string;
  /** Only when the password was generated (a configured one is not echoed back). */
  generatedPassword?: string;
}

export async function ensureFirstAdmin(services: Services): Promise<FirstAdmin | undefined> {
  if ((await services.repos.users.countAdmins()) > 0) return undefined;
  const { adminEmail, adminPassword } = services.config;
  const password = adminPassword ?? randomBytes(18).toString("base64url");
  const existing = await services.repos.users.findByEmail(adminEmail);
  const hash = await services.passwords.hash(password);
  if (existing) {
    // No admin left but the account exists (e.g. demoted by hand in SQL): promote it and set the password.
    await services.repos.users.update(existing.id, { role: "admin", password_hash: hash, disabled_at: null });
  } else {
    try {
      await services.repos.users.create({ email: adminEmail, passwordHash: hash, role: "admin", displayName: "Administrator" });
    } catch (e) {
      // Several instances starting together on one database: another one created the admin first.
      if (isUniqueViolation(e)) return undefined;
      throw e;
    }
  }
  return { email: adminEmail, ...(adminPassword ? {} : { generatedPassword: password }) };
}
