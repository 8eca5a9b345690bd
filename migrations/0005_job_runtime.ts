// What the job runtime needs beyond 0004: the job's stage and webhook, results (one per job, the exactly-once
// witness), the webhook outbox, per-user webhook secrets, worker heartbeats (alerts), device profiles (cost
// model), per-user budgets and uploads (images and LoRAs referenced by jobs).
import type { Knex } from "knex";
import { createdAt, uuidPrimary } from "./helpers.js";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("jobs", (t) => {
    t.text("stage");
    t.text("webhook_url");
    t.text("pricing_tier").notNullable().defaultTo("standard");
    t.integer("qa_retries").notNullable().defaultTo(0);
    t.timestamp("queued_at", { useTz: true });
    t.index(["status", "lease_expires_at"]);
  });
  await knex.schema.createTable("job_results", (t) => {
    // One row per job: a second completion of the same job would violate this key.
    t.uuid("job_id").primary().references("id").inTable("jobs").onDelete("CASCADE");
    t.integer("attempt").notNullable();
    t.text("worker_id").notNullable();
    t.text("output_path").notNullable();
    t.bigInteger("bytes").notNullable();
    t.jsonb("metadata").notNullable().defaultTo("{}");
    createdAt(knex, t);
  });
  await knex.schema.createTable("webhook_secrets", (t) => {
    t.uuid("user_id").primary().references("id").inTable("users").onDelete("CASCADE");
    t.text("secret").notNullable(); // whsec_<base64>: needed in clear to sign (HMAC)
    createdAt(knex, t);
  });
  await knex.schema.createTable("webhook_deliveries", (t) => {
    uuidPrimary(knex, t);
    t.uuid("user_id").notNullable().references("id").inTable("users").onDelete("CASCADE");
    t.uuid("job_id").references("id").inTable("jobs").onDelete("SET NULL");
    t.text("url").notNullable();
    t.text("event_type").notNullable();
    t.text("message_id").notNullable().unique(); // webhook-id: the same on every retry
    t.jsonb("payload").notNullable();
    t.text("status").notNullable().defaultTo("pending");
    t.integer("attempts").notNullable().defaultTo(0);
    t.timestamp("next_attempt_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp("locked_until", { useTz: true });
    t.integer("last_status_code");
    t.text("last_error");
    createdAt(knex, t);
    t.timestamp("delivered_at", { useTz: true });
    t.check("status in ('pending', 'delivered', 'failed')", [], "webhook_deliveries_status_check");
    t.index(["status", "next_attempt_at"]);
  });
  await knex.schema.createTable("workers", (t) => {
    t.text("id").primary();
    t.text("hostname").notNullable();
    t.integer("pid").notNullable();
    t.text("device").notNullable();
    t.text("status").notNullable().defaultTo("idle");
    t.uuid("current_job_id");
    createdAt(knex, t, "started_at");
    t.timestamp("heartbeat_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp("stopped_at", { useTz: true });
  });
  await knex.schema.createTable("device_profiles", (t) => {
    t.text("device").primary(); // e.g. "cuda:NVIDIA H100 80GB HBM3" or "cpu:avx512"
    t.double("transformer_tflops").notNullable(); // sustained dense bf16 throughput measured by `aiprod bench`
    t.double("vae_tflops").notNullable();
    t.double("overhead_seconds").notNullable().defaultTo(0);
    t.timestamp("measured_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.schema.createTable("budgets", (t) => {
    t.uuid("user_id").primary().references("id").inTable("users").onDelete("CASCADE");
    t.bigInteger("monthly_limit_micros").notNullable();
    t.timestamp("updated_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.schema.createTable("uploads", (t) => {
    uuidPrimary(knex, t);
    t.uuid("user_id").notNullable().references("id").inTable("users").onDelete("CASCADE");
    t.text("kind").notNullable();
    t.text("content_type").notNullable();
    t.bigInteger("bytes").notNullable();
    t.text("sha256").notNullable();
    t.text("path").notNullable();
    createdAt(knex, t);
    t.check("kind in ('image', 'lora')", [], "uploads_kind_check");
    t.index(["user_id", "created_at", "id"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ["uploads", "budgets", "device_profiles", "workers", "webhook_deliveries", "webhook_secrets", "job_results"]) {
    await knex.schema.dropTable(table);
  }
  await knex.schema.alterTable("jobs", (t) => {
    t.dropIndex(["status", "lease_expires_at"]);
    for (const c of ["stage", "webhook_url", "pricing_tier", "qa_retries", "queued_at"]) t.dropColumn(c);
  });
}
