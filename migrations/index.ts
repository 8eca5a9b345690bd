// The ordered list of migrations. Listed here (not discovered from the folder) so knex finds them the same way
// under tsx (migrations/*.ts) and from the compiled build (dist/migrations/*.js). Never rename or reorder a
// released entry: the name is what knex records in knex_migrations.
import type { Knex } from "knex";
import * as m0001 from "./0001_users_and_auth.js";
import * as m0002 from "./0002_projects_and_presets.js";
import * as m0003 from "./0003_audit_usage_limits_errors.js";
import * as m0004 from "./0004_jobs_and_billing.js";
import * as m0005 from "./0005_job_runtime.js";
import * as m0006 from "./0006_api_usage_retention.js";
import * as m0007 from "./0007_revoked_sessions.js";
import * as m0008 from "./0008_job_eta.js";

export interface Migration {
  name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

export const migrations: readonly Migration[] = [
  { name: "0001_users_and_auth", ...m0001 },
  { name: "0002_projects_and_presets", ...m0002 },
  { name: "0003_audit_usage_limits_errors", ...m0003 },
  { name: "0004_jobs_and_billing", ...m0004 },
  { name: "0005_job_runtime", ...m0005 },
  { name: "0006_api_usage_retention", ...m0006 },
  { name: "0007_revoked_sessions", ...m0007 },
  { name: "0008_job_eta", ...m0008 },
];
