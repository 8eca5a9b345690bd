// /api/v1/auth request and response bodies.
import { Email, NewPassword, PasswordInput } from "./common.js";
import { z } from "./zod.js";

export const RegisterBody = z
  .object({ email: Email, password: NewPassword, display_name: z.string().trim().min(1).max(100).optional() })
  .strict()
  .openapi("RegisterRequest");

export const LoginBody = z.object({ email: Email, password: PasswordInput }).strict().openapi("LoginRequest");

export const RefreshBody = z
  .object({ refresh_token: z.string().min(1).max(200) })
  .strict()
  .openapi("RefreshRequest");

export const TokenPairSchema = z
  .object({
    token_type: z.literal("Bearer"),
    access_token: z.string(),
    expires_in: z.number().int().openapi({ description: "seconds (900)" }),
    refresh_token: z.string(),
    refresh_expires_in: z.number().int().openapi({ description: "seconds (7 days)" }),
  })
  .openapi("TokenPair");
