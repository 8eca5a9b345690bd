// Invoices for a period (per-job lines, volume discount, totals) and budgets.
import type { Principal } from "../http/context.js";
import { forbidden } from "../http/problem.js";
import { volumeDiscount } from "../billing/pricing.js";
import type { BillingRepository } from "../repositories/billingRepository.js";

export class BillingService {
  constructor(private readonly repo: BillingRepository) {}

  async invoice(who: Principal, input: { from: string; to: string; user_id?: string }) {
    const userId = input.user_id ?? who.user.id;
    if (userId !== who.user.id && who.user.role !== "admin") throw forbidden("Only administrators can invoice another user");
    const from = new Date(input.from);
    const to = new Date(input.to);
    const rows = await this.repo.linesForPeriod(userId, from, to);
    const lines = rows.map((r) => ({
      transaction_id: r.id,
      job_id: r.job_id,
      kind: r.kind,
      description: r.description,
      pipeline: r.pipeline,
      tier: r.pricing_tier,
      gpu_seconds: r.gpu_seconds === null ? null : Number(r.gpu_seconds),
      amount_micros: Number(r.amount_micros),
      created_at: new Date(r.created_at).toISOString(),
    }));
    const subtotal = lines.reduce((s, l) => s + l.amount_micros, 0);
    const gpu = lines.reduce((s, l) => s + (l.kind === "charge" ? (l.gpu_seconds ?? 0) : 0), 0);
    const discount = volumeDiscount(Math.max(0, subtotal));
    return {
      user_id: userId,
      period: { from: from.toISOString(), to: to.toISOString() },
      lines,
      jobs_charged: lines.filter((l) => l.kind === "charge").length,
      gpu_seconds: Number(gpu.toFixed(3)),
      subtotal_micros: subtotal,
      discount_percent: discount.percent,
      discount_micros: discount.amount_micros,
      total_micros: subtotal - discount.amount_micros,
    };
  }

  async budget(userId: string) {
    const monthStart = new Date();
    monthStart.setUTCDate(1);
    monthStart.setUTCHours(0, 0, 0, 0);
    const limit = await this.repo.budget(userId);
    const spent = await this.repo.spentSince(userId, monthStart);
    return { monthly_limit_micros: limit ?? null, spent_this_month_micros: spent, period_start: monthStart.toISOString() };
  }

  setBudget(userId: string, limit: number | null) {
    return this.repo.setBudget(userId, limit);
  }
}
