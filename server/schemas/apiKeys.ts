// /api/v1/api-keys bodies: the secret appears once, in the create response.
import type { ApiKeyRow } from "../repositories/apiKeysRepository.js";
import { SCOPES } from "../http/context.js";
import { Name, Timestamp, iso } from "./common.js";
import { z } from "./zod.js";

export const ScopeSchema = z.enum(SCOPES).openapi("Scope");

export const CreateApiKeyBody = z
  .object({
    name: Name,
    scopes: z.array(ScopeSchema).min(1).max(SCOPES.length),
    expires_at: z.iso.datetime().optional().openapi({ description: "optional expiry, in the future" }),
  })
  .strict()
  .openapi("CreateApiKeyRequest");

export const ApiKeySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z.string().openapi({ description: "public part of the key: aip_<prefix>_..." }),
    last4: z.string(),
    scopes: z.array(ScopeSchema),
    expires_at: Timestamp.nullable(),
    revoked_at: Timestamp.nullable(),
    last_used_at: Timestamp.nullable(),
    created_at: Timestamp,
  })
  .openapi("ApiKey");

export const CreatedApiKeySchema = ApiKeySchema.extend({
  key: z.string().openapi({ description: "the full key; shown only in this response" }),
}).openapi("CreatedApiKey");

export const apiKeyView = (k: ApiKeyRow): z.infer<typeof ApiKeySchema> => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  last4: k.last4,
  scopes: k.scopes,
  expires_at: iso(k.expires_at),
  revoked_at: iso(k.revoked_at),
  last_used_at: iso(k.last_used_at),
  created_at: iso(k.created_at) as string,
});
