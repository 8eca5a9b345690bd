// User as the API shows it (never the password hash).
import type { UserRow } from "../repositories/usersRepository.js";
import { ROLES } from "../http/context.js";
import { Timestamp, iso } from "./common.js";
import { z } from "./zod.js";

export const RoleSchema = z.enum(ROLES).openapi("Role");

export const UserSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    role: RoleSchema,
    display_name: z.string().nullable(),
    disabled: z.boolean(),
    created_at: Timestamp,
  })
  .openapi("User");

export type UserView = z.infer<typeof UserSchema>;

export const userView = (u: UserRow): UserView => ({
  id: u.id,
  email: u.email,
  role: u.role,
  display_name: u.display_name,
  disabled: u.disabled_at !== null,
  created_at: iso(u.created_at) as string,
});
