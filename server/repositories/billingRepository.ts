// billing_transactions (charges written in the completion transaction; unique per job and kind), budgets and
// device_profiles (the cost model's measured throughput per device).
import type { Knex } from "knex";
import type { DeviceProfile } from "../billing/costModel.js";

type Db = Knex | Knex.Transaction;

export interface BillingRow {
  id: string;
  user_id: string;
  job_id: string | null;
  kind: "charge" | "refund" | "credit" | "adjustment";
  amount_micros: number;
  description: string | null;
  created_at: Date;
}

export class BillingRepository {
  constructor(private readonly db: Knex) {}

  async charge(trx: Db, t: { userId: string; jobId: string; amountMicros: number; description: string }): Promise<void> {
    await trx("billing_transactions").insert({ user_id: t.userId, job_id: t.jobId, kind: "charge", amount_micros: t.amountMicros, description: t.description });
  }

  /** Net amount (charges and adjustments minus refunds and credits, as stored signed) since `since`. */
  async spentSince(userId: string, since: Date, trx: Db = this.db): Promise<number> {
    const r = await trx("billing_transactions").where({ user_id: userId }).andWhere("created_at", ">=", since).sum({ s: "amount_micros" }).first();
    return Number(r?.s ?? 0);
  }

  /** Transactions of a period with their job's pipeline and GPU-seconds, oldest first. */
  linesForPeriod(userId: string, from: Date, to: Date): Promise<Array<BillingRow & { pipeline: string | null; gpu_seconds: number | null; pricing_tier: string | null }>> {
    return this.db("billing_transactions as b")
      .leftJoin("jobs as j", "j.id", "b.job_id")
      .where("b.user_id", userId)
      .andWhere("b.created_at", ">=", from)
      .andWhere("b.created_at", "<", to)
      .orderBy([{ column: "b.created_at" }, { column: "b.id" }])
      .limit(10_000)
      .select("b.*", this.db.raw("j.params->>'pipeline' as pipeline"), "j.gpu_seconds", "j.pricing_tier");
  }

  chargeForJob(jobId: string): Promise<BillingRow | undefined> {
    return this.db<BillingRow>("billing_transactions").where({ job_id: jobId, kind: "charge" }).first();
  }

  async budget(userId: string, trx: Db = this.db): Promise<number | undefined> {
    const r = (await trx("budgets").where({ user_id: userId }).first()) as { monthly_limit_micros: number } | undefined;
    return r ? Number(r.monthly_limit_micros) : undefined;
  }

  async setBudget(userId: string, limitMicros: number | null): Promise<void> {
    if (limitMicros === null) await this.db("budgets").where({ user_id: userId }).del();
    else await this.db("budgets").insert({ user_id: userId, monthly_limit_micros: limitMicros }).onConflict("user_id").merge({ monthly_limit_micros: limitMicros, updated_at: this.db.fn.now() });
  }

  async profile(device: string): Promise<DeviceProfile | undefined> {
    return (await this.db("device_profiles").where({ device }).first()) as DeviceProfile | undefined;
  }

  async anyProfile(): Promise<DeviceProfile | undefined> {
    return (await this.db("device_profiles").orderBy("measured_at", "desc").first()) as DeviceProfile | undefined;
  }

  async upsertProfile(p: DeviceProfile): Promise<void> {
    await this.db("device_profiles").insert(p).onConflict("device").merge({ ...p, measured_at: this.db.fn.now() });
  }
}
