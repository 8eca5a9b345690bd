// Pricing tiers (price per GPU-second in micro-units of the account currency) and volume discounts.
// Money is always an integer number of micro-units; rounding happens once, per job.
export interface PricingTier {
  id: string;
  name: string;
  description: string;
  /** micro-units per GPU-second */
  price_per_gpu_second_micros: number;
  /** added to the job's priority in the queue */
  priority_boost: number;
}

export const PRICING_TIERS: readonly PricingTier[] = [
  { id: "batch", name: "Batch", description: "Runs when the queue has room; lowest price", price_per_gpu_second_micros: 600, priority_boost: -10 },
  { id: "standard", name: "Standard", description: "Default queue priority", price_per_gpu_second_micros: 1000, priority_boost: 0 },
  { id: "priority", name: "Priority", description: "Claimed before standard and batch jobs", price_per_gpu_second_micros: 1800, priority_boost: 10 },
];
export const TIER_IDS = ["batch", "standard", "priority"] as const;
export type TierId = (typeof TIER_IDS)[number];

export function tier(id: string): PricingTier {
  const t = PRICING_TIERS.find((x) => x.id === id);
  if (!t) throw new Error(`unknown pricing tier ${id}`);
  return t;
}

export const costMicros = (gpuSeconds: number, tierId: string) => Math.round(gpuSeconds * tier(tierId).price_per_gpu_second_micros);

/** Volume discount on an invoice's subtotal: the rate of the highest bracket reached applies to the whole. */
export const VOLUME_DISCOUNTS: readonly { from_micros: number; percent: number }[] = [
  { from_micros: 100_000_000, percent: 5 }, // 100 units
  { from_micros: 1_000_000_000, percent: 10 }, // 1,000 units
  { from_micros: 10_000_000_000, percent: 15 }, // 10,000 units
];

export function volumeDiscount(subtotalMicros: number): { percent: number; amount_micros: number } {
  let percent = 0;
  for (const b of VOLUME_DISCOUNTS) if (subtotalMicros >= b.from_micros) percent = b.percent;
  return { percent, amount_micros: Math.round((subtotalMicros * percent) / 100) };
}
