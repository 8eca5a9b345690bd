// Accounts and credentials: users, API keys (prefix + keyed hash), refresh tokens (hashed, in rotation families).
import type { Knex } from "knex";
import { createdAt, uuidPrimary } from "./helpers.js";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("users", (t) => {
    uuidPrimary(knex, t);
    t.text("email").notNullable().unique(); // stored lower-cased
    t.text("password_hash").notNullable();
    t.text("role").notNullable().defaultTo("user");
    t.text("display_name");
    t.timestamp("disabled_at", { useTz: true });
    createdAt(knex, t);
    t.timestamp("updated_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.check("role in ('admin', 'user', 'viewer')", [], "users_role_check");
    t.index(["created_at", "id"]);
  });
  await knex.schema.createTable("api_keys", (t) => {
    uuidPrimary(knex, t);
    t.uuid("user_id").notNullable().references("id").inTable("users").onDelete("CASCADE");
    t.text("name").notNullable();
    t.text("prefix").notNullable().unique(); // the public part of the key, used to find the row
    t.text("secret_hash").notNullable(); // HMAC-SHA-256 of the secret part with the server's pepper
    t.text("last4").notNullable();
    t.jsonb("scopes").notNullable().defaultTo("[]");
    t.timestamp("expires_at", { useTz: true });
    t.timestamp("revoked_at", { useTz: true });
    t.timestamp("last_used_at", { useTz: true });
    createdAt(knex, t);
    t.index(["user_id", "created_at", "id"]);
  });
  await knex.schema.createTable("refresh_tokens", (t) => {
    uuidPrimary(knex, t);
    t.uuid("user_id").notNullable().references("id").inTable("users").onDelete("CASCADE");
    t.uuid("family_id").notNullable();
    t.uuid("parent_id");
    t.text("token_hash").notNullable().unique(); // SHA-256 of the token; the token itself is never stored
    t.timestamp("expires_at", { useTz: true }).notNullable();
    t.timestamp("used_at", { useTz: true }); // set when rotated; presenting it again is reuse
    t.timestamp("revoked_at", { useTz: true });
    t.text("ip");
    t.text("user_agent");
    createdAt(knex, t);
    t.index(["family_id"]);
    t.index(["user_id"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("refresh_tokens");
  await knex.schema.dropTable("api_keys");
  await knex.schema.dropTable("users");
}
