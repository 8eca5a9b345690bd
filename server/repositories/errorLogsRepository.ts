// error_logs table: unexpected (5xx) errors with their stack, kept server side.
import type { Knex } from "knex";

export interface ErrorLogInsert {
  request_id: string;
  user_id: string | null;
  method: string;
  route: string;
  status: number;
  code: string;
  message: string;
  stack: string | null;
}

export class ErrorLogsRepository {
  constructor(private readonly db: Knex) {}

  async insert(row: ErrorLogInsert): Promise<void> {
    await this.db("error_logs").insert(row);
  }
}
