// Operations tables: audit log, API usage, shared rate-limit counters, server error log.
import type { Knex } from "knex";
import { createdAt, uuidPrimary } from "./helpers.js";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("audit_logs", (t) => {
    uuidPrimary(knex, t);
    // Kept when the user is deleted (the deletion itself is audited), but no longer linked to them.
    t.uuid("user_id").references("id").inTable("users").onDelete("SET NULL");
    t.uuid("api_key_id");
    t.text("action").notNullable();
    t.text("resource_type");
    t.text("resource_id");
    t.text("method").notNullable();
    t.text("path").notNullable();
    t.integer("status").notNullable();
    t.text("ip");
    t.text("request_id").notNullable();
    t.jsonb("details").notNullable().defaultTo("{}"); // secrets redacted before insert
    createdAt(knex, t);
    t.index(["created_at", "id"]);
    t.index(["user_id", "created_at"]);
    t.index(["action", "created_at"]);
  });
  await knex.schema.createTable("api_usage", (t) => {
    t.bigIncrements("id").primary();
    t.uuid("user_id").references("id").inTable("users").onDelete("CASCADE");
    t.uuid("api_key_id");
    t.text("method").notNullable();
    t.text("route").notNullable(); // route template, never the raw URL
    t.integer("status").notNullable();
    t.integer("duration_ms").notNullable();
    createdAt(knex, t);
    t.index(["user_id", "created_at"]);
  });
  await knex.schema.createTable("rate_limit_counters", (t) => {
    t.text("key").notNullable(); // policy + partition, e.g. "default:user:<id>"
    t.timestamp("window_start", { useTz: true }).notNullable();
    t.integer("count").notNullable().defaultTo(0);
    t.timestamp("expires_at", { useTz: true }).notNullable();
    t.primary(["key", "window_start"]);
    t.index(["expires_at"]);
  });
  await knex.schema.createTable("error_logs", (t) => {
    uuidPrimary(knex, t);
    t.text("request_id").notNullable();
    t.uuid("user_id").references("id").inTable("users").onDelete("SET NULL");
    t.text("method").notNullable();
    t.text("route").notNullable();
    t.integer("status").notNullable();
    t.text("code").notNullable();
    t.text("message").notNullable();
    t.text("stack"); // server side only; responses never carry it in production
    createdAt(knex, t);
    t.index(["created_at"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("error_logs");
  await knex.schema.dropTable("rate_limit_counters");
  await knex.schema.dropTable("api_usage");
  await knex.schema.dropTable("audit_logs");
}
