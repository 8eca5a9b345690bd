// Small shared schemas: ids, timestamps, passwords, emails.
import { BCRYPT_MAX_BYTES } from "../services/passwords.js";
import { z } from "./zod.js";

export const Uuid = z.uuid();
export const IdParams = z.object({ id: z.uuid().openapi({ description: "resource id" }) }).strict();
export const Timestamp = z.iso.datetime().openapi({ example: "2026-11-24T06:49:49.000Z" });
export const iso = (d: Date | string | null | undefined): string | null => (d ? new Date(d).toISOString() : null);

export const Email = z.email().max(254).transform((e) => e.toLowerCase()).openapi({ example: "ada@example.com" });

const bytes = (s: string) => Buffer.byteLength(s, "utf8");
/** Any password that bcrypt can take whole: up to 72 UTF-8 bytes. */
export const PasswordInput = z
  .string()
  .min(1)
  .refine((s) => bytes(s) <= BCRYPT_MAX_BYTES, { message: `must be at most ${BCRYPT_MAX_BYTES} bytes in UTF-8` })
  .openapi({ format: "password" });
/** A new password: at least 10 characters, at most 72 UTF-8 bytes. */
export const NewPassword = z
  .string()
  .min(10, "must be at least 10 characters")
  .refine((s) => bytes(s) <= BCRYPT_MAX_BYTES, { message: `must be at most ${BCRYPT_MAX_BYTES} bytes in UTF-8` })
  .openapi({ format: "password" });

export const Name = z.string().trim().min(1).max(200);
export const Description = z.string().max(2000).nullable();
