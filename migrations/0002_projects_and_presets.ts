// Per-user resources: projects and generation presets (params validated by server/schemas/generationParams.ts).
import type { Knex } from "knex";
import { createdAt, uuidPrimary } from "./helpers.js";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("projects", (t) => {
    uuidPrimary(knex, t);
    t.uuid("user_id").notNullable().references("id").inTable("users").onDelete("CASCADE");
    t.text("name").notNullable();
    t.text("description");
    createdAt(knex, t);
    t.timestamp("updated_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(["user_id", "created_at", "id"]);
  });
  await knex.schema.createTable("presets", (t) => {
    uuidPrimary(knex, t);
    t.uuid("user_id").notNullable().references("id").inTable("users").onDelete("CASCADE");
    t.text("name").notNullable();
    t.text("description");
    t.jsonb("params").notNullable();
    t.boolean("is_public").notNullable().defaultTo(false);
    createdAt(knex, t);
    t.index(["user_id", "created_at", "id"]);
    t.index(["is_public", "created_at", "id"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("presets");
  await knex.schema.dropTable("projects");
}
