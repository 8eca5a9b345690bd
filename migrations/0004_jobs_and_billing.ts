// The durable job queue and its billing (used by the video-jobs issue): jobs, their state transitions,
// Idempotency-Key records and billing transactions. States as in ARCHITECTURE.md (Server / Jobs).
import type { Knex } from "knex";
import { createdAt, uuidPrimary } from "./helpers.js";

const JOB_STATES = [
  "received",
  "planning",
  "approved",
  "processing",
  "qa_check",
  "finalizing",
  "completed",
  "failed",
  "cancelled",
  "expired",
];
const inList = (values: string[]) => values.map((v) => `'${v}'`).join(", ");

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("jobs", (t) => {
    uuidPrimary(knex, t);
    t.uuid("user_id").notNullable().references("id").inTable("users").onDelete("CASCADE");
    t.uuid("project_id").references("id").inTable("projects").onDelete("SET NULL");
    t.uuid("api_key_id").references("id").inTable("api_keys").onDelete("SET NULL");
    t.text("status").notNullable().defaultTo("received");
    t.jsonb("params").notNullable();
    t.integer("progress").notNullable().defaultTo(0);
    t.integer("priority").notNullable().defaultTo(0);
    t.integer("attempt").notNullable().defaultTo(0); // fencing token: every settle checks it
    t.integer("max_attempts").notNullable().defaultTo(3);
    t.text("worker_id");
    t.timestamp("lease_expires_at", { useTz: true });
    t.timestamp("heartbeat_at", { useTz: true });
    t.timestamp("next_run_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp("cancel_requested_at", { useTz: true });
    t.text("error_code");
    t.text("error_message");
    t.jsonb("result");
    t.bigInteger("estimated_cost_micros");
    t.bigInteger("actual_cost_micros");
    t.double("gpu_seconds");
    createdAt(knex, t);
    t.timestamp("started_at", { useTz: true });
    t.timestamp("completed_at", { useTz: true });
    t.timestamp("expires_at", { useTz: true });
    t.check(`status in (${inList(JOB_STATES)})`, [], "jobs_status_check");
    t.check("progress between 0 and 100", [], "jobs_progress_check");
    t.index(["status", "next_run_at", "priority"]);
    t.index(["user_id", "created_at", "id"]);
  });
  await knex.schema.createTable("job_events", (t) => {
    t.bigIncrements("id").primary();
    t.uuid("job_id").notNullable().references("id").inTable("jobs").onDelete("CASCADE");
    t.text("from_status");
    t.text("to_status").notNullable();
    t.integer("attempt").notNullable().defaultTo(0);
    t.jsonb("details").notNullable().defaultTo("{}");
    createdAt(knex, t);
    t.index(["job_id", "id"]);
  });
  await knex.schema.createTable("idempotency_keys", (t) => {
    t.uuid("user_id").notNullable().references("id").inTable("users").onDelete("CASCADE");
    t.text("key").notNullable();
    t.text("fingerprint").notNullable(); // SHA-256 of method, path and body
    t.text("status").notNullable().defaultTo("in_progress");
    t.integer("response_code");
    t.jsonb("response_body");
    t.uuid("job_id").references("id").inTable("jobs").onDelete("SET NULL");
    createdAt(knex, t);
    t.timestamp("expires_at", { useTz: true }).notNullable();
    t.primary(["user_id", "key"]);
    t.check("status in ('in_progress', 'completed')", [], "idempotency_keys_status_check");
    t.index(["expires_at"]);
  });
  await knex.schema.createTable("billing_transactions", (t) => {
    uuidPrimary(knex, t);
    t.uuid("user_id").notNullable().references("id").inTable("users").onDelete("CASCADE");
    t.uuid("job_id").references("id").inTable("jobs").onDelete("SET NULL");
    t.text("kind").notNullable();
    t.bigInteger("amount_micros").notNullable(); // credits in micro-units; refunds and credits are negative charges
    t.text("description");
    createdAt(knex, t);
    t.check("kind in ('charge', 'refund', 'credit', 'adjustment')", [], "billing_transactions_kind_check");
    // One charge and one refund per job at most: retries and replays cannot bill twice.
    t.unique(["job_id", "kind"]);
    t.index(["user_id", "created_at"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("billing_transactions");
  await knex.schema.dropTable("idempotency_keys");
  await knex.schema.dropTable("job_events");
  await knex.schema.dropTable("jobs");
}
