// Keeps actual spending within a user's monthly budget (issue 27 item 5). Admission (planner.overBudget) checks
// estimates: the month's charges plus the estimates of unfinished jobs plus the new one. Estimates can be wrong,
// so two guards act on actual cost:
//   - while a job runs, its worker stops it at the next progress report once its cost so far passes its
//     allowance (the budget left after this month's charges and the other unfinished jobs' reservations);
//   - at completion, the charge is capped at what is left of the budget (under the user's budget lock), so a
//     last step that overshot between two reports cannot take spending past the budget either.
import type { Knex } from "knex";
import type { BillingRepository } from "../repositories/billingRepository.js";

type Db = Knex | Knex.Transaction;

export function monthStartUtc(now = new Date()): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}

/** What job `jobId` may still cost its user: Infinity without a budget. */
export async function jobAllowance(db: Db, billing: BillingRepository, userId: string, jobId: string): Promise<number> {
  const limit = await billing.budget(userId, db);
  if (limit === undefined) return Infinity;
  const spent = await billing.spentSince(userId, monthStartUtc(), db);
  const r = await db("jobs")
    .where({ user_id: userId })
    .whereIn("status", ["planning", "approved", "processing", "qa_check", "finalizing"])
    .whereNot({ id: jobId })
    .sum({ s: "estimated_cost_micros" })
    .first();
  return Math.max(0, limit - spent - Number(r?.s ?? 0));
}

/** The charge for `costMicros`, capped at what is left of the user's budget this month (call under its lock). */
export async function cappedCharge(trx: Knex.Transaction, billing: BillingRepository, userId: string, costMicros: number): Promise<number> {
  const limit = await billing.budget(userId, trx);
  if (limit === undefined) return costMicros;
  const spent = await billing.spentSince(userId, monthStartUtc(), trx);
  return Math.max(0, Math.min(costMicros, limit - spent));
}
