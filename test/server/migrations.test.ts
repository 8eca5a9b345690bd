// Migrations up, all the way down, and up again, on the embedded database and on a real PostgreSQL server.
import t from "tap";
import { migrateLatest, migrateRollback, migrationStatus } from "../../server/db/migrate.js";
import { migrations } from "../../migrations/index.js";
import { DATABASES } from "../helpers/server.js";

const TABLES = [
  "users",
  "api_keys",
  "refresh_tokens",
  "projects",
  "presets",
  "audit_logs",
  "api_usage",
  "rate_limit_counters",
  "error_logs",
  "jobs",
  "job_events",
  "idempotency_keys",
  "billing_transactions",
  "job_results",
  "webhook_secrets",
  "webhook_deliveries",
  "workers",
  "device_profiles",
  "budgets",
  "uploads",
];

for (const { name, open } of DATABASES) {
  t.test(`migrations on ${name}`, async (t) => {
    const tdb = await open();
    t.teardown(() => tdb.stop());
    t.comment(tdb.note);
    const knex = tdb.db.knex;
    const tables = async () =>
      (await knex("information_schema.tables").where({ table_schema: "public" }).pluck("table_name")) as string[];

    t.same(await migrationStatus(knex), { applied: [], pending: migrations.map((m) => m.name) }, "fresh database: all pending");
    t.same(await migrateLatest(knex), migrations.map((m) => m.name), "latest applies every migration");
    const up = await tables();
    for (const table of TABLES) t.ok(up.includes(table), `${table} exists`);
    t.same((await migrationStatus(knex)).pending, [], "nothing pending");
    t.same(await migrateLatest(knex), [], "latest again is a no-op");

    // The schema's constraints are real: a bad role and a second charge for one job are refused.
    await t.rejects(knex("users").insert({ email: "x@y.z", password_hash: "h", role: "root" }), /users_role_check/);
    const [u] = await knex("users").insert({ email: "a@b.c", password_hash: "h" }).returning("id");
    const [j] = await knex("jobs").insert({ user_id: u.id, params: JSON.stringify({ pipeline: "distilled" }) }).returning("id");
    await knex("billing_transactions").insert({ user_id: u.id, job_id: j.id, kind: "charge", amount_micros: 5 });
    await t.rejects(knex("billing_transactions").insert({ user_id: u.id, job_id: j.id, kind: "charge", amount_micros: 5 }), /unique/i);
    t.equal(await knex("users").where({ id: u.id }).del(), 1, "delete returns the row count (embedded dialect fix)");
    t.equal(Number((await knex("jobs").count({ n: "*" }).first())?.n), 0, "jobs cascade with their user");

    const reverted = await migrateRollback(knex, true);
    t.same(reverted, migrations.map((m) => m.name).reverse(), "rollback --all reverts every migration, newest first");
    const down = await tables();
    for (const table of TABLES) t.notOk(down.includes(table), `${table} dropped`);

    t.same(await migrateLatest(knex), migrations.map((m) => m.name), "up again after down");
    t.ok((await tables()).includes("billing_transactions"));
    t.same(await migrateRollback(knex), migrations.map((m) => m.name).reverse(), "rollback undoes the last batch");
  });
}
