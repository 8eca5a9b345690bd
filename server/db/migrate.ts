// Runs the migrations of migrations/index.ts through knex's migrator (up, down, status).
import type { Knex } from "knex";
import { migrations, type Migration } from "../../migrations/index.js";

const source: Knex.MigrationSource<Migration> = {
  getMigrations: async () => [...migrations],
  getMigrationName: (m) => m.name,
  getMigration: async (m) => ({ up: m.up, down: m.down }),
};

const config: Knex.MigratorConfig = { migrationSource: source, tableName: "knex_migrations" };

export async function migrateLatest(knex: Knex): Promise<string[]> {
  const [, applied] = (await knex.migrate.latest(config)) as [number, string[]];
  return applied;
}

export async function migrateRollback(knex: Knex, all = false): Promise<string[]> {
  const [, reverted] = (await knex.migrate.rollback(config, all)) as [number, string[]];
  return reverted;
}

export interface MigrationStatus {
  applied: string[];
  pending: string[];
}

export async function migrationStatus(knex: Knex): Promise<MigrationStatus> {
  const [done, pending] = (await knex.migrate.list(config)) as [Array<{ name: string } | string>, Migration[]];
  return {
    applied: done.map((d) => (typeof d === "string" ? d : d.name)),
    pending: pending.map((p) => p.name),
  };
}
