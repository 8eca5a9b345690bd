// Logout revokes the session's access tokens (stateless JWTs, otherwise valid until they expire): the session id
// (the refresh-token family, the token's `sid` claim) is listed here until the last access token it could have
// issued has expired; housekeeping deletes the row after that. Shared by every instance on the database.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("revoked_sessions", (t) => {
    t.uuid("session_id").primary();
    t.timestamp("expires_at", { useTz: true }).notNullable();
    t.index(["expires_at"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("revoked_sessions");
}
