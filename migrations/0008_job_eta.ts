// Jobs report when they are expected to finish: the worker writes the pipeline's ETA (from its work plan and the
// rate so far) as a time, and the API shows the seconds left. Null while queued, and for backends with no plan.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("jobs", (t) => {
    t.timestamp("eta_at", { useTz: true }).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("jobs", (t) => {
    t.dropColumn("eta_at");
  });
}
