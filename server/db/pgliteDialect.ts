// knex dialect for the embedded database: PGlite (PostgreSQL compiled to WebAssembly) in-process.
// Built on knex-pglite, with one fix: knex-pglite reports a query's command as its knex method name ("DEL",
// "COUNTER"), so knex's postgres response handling returned the raw result of `del()` and `increment()` instead
// of the affected row count. Here the command is the SQL verb, as the pg driver reports it.
import ClientPgLite from "knex-pglite";

type ClientCtor = new (config: unknown) => {
  processResponse(obj: QueryObject, runner: unknown): unknown;
};
interface QueryObject {
  method?: string;
  response: { affectedRows?: number; rows: unknown[]; command?: string };
  [k: string]: unknown;
}

const COMMANDS: Record<string, string> = {
  select: "SELECT",
  first: "SELECT",
  pluck: "SELECT",
  insert: "INSERT",
  update: "UPDATE",
  counter: "UPDATE",
  del: "DELETE",
};

const Base = ClientPgLite as unknown as ClientCtor;

class PgliteClient extends Base {
  override processResponse(obj: QueryObject, runner: unknown): unknown {
    // Ask the grandparent (knex's postgres client) directly, with the command it expects.
    const pgProcess = (Object.getPrototypeOf(Base.prototype) as { processResponse: (o: unknown, r: unknown) => unknown })
      .processResponse;
    const command = (obj.method && COMMANDS[obj.method]) ?? obj.method?.toUpperCase() ?? "";
    const response = { ...obj.response, rowCount: obj.response.affectedRows, command };
    return pgProcess.call(this, { ...obj, response }, runner);
  }
}

/** The knex `client` for the embedded database (pool of exactly one connection, as PGlite is single-session). */
export const PgliteKnexClient = PgliteClient as unknown as typeof ClientPgLite;
