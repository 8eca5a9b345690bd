// api_usage gets a row per authenticated request; housekeeping now deletes rows past API_USAGE_RETENTION_DAYS.
// That delete selects by created_at alone, which the (user_id, created_at) index cannot serve.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("api_usage", (t) => {
    t.index(["created_at"], "api_usage_created_at_index");
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("api_usage", (t) => {
    t.dropIndex(["created_at"], "api_usage_created_at_index");
  });
}
