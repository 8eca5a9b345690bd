// Cost estimates: work model (billing/costModel.ts) x device profile -> GPU-seconds -> price per tier.
import { DEFAULT_PROFILE, type DeviceProfile, estimateWork, gpuSeconds, promptTokens, type WorkEstimate } from "../billing/costModel.js";
import { costMicros, PRICING_TIERS } from "../billing/pricing.js";
import type { BillingRepository } from "../repositories/billingRepository.js";
import type { GenerationParams } from "../schemas/generationParams.js";

export interface CostEstimate {
  work: WorkEstimate;
  device: string;
  profile_measured: boolean;
  gpu_seconds: number;
  tier: string;
  cost_micros: number;
  by_tier: Array<{ tier: string; cost_micros: number }>;
}

export class CostService {
  constructor(private readonly billing: BillingRepository) {}

  async profileFor(device?: string): Promise<{ profile: DeviceProfile; measured: boolean }> {
    const p = (device ? await this.billing.profile(device) : undefined) ?? (await this.billing.anyProfile());
    return p ? { profile: { ...p, transformer_tflops: Number(p.transformer_tflops), vae_tflops: Number(p.vae_tflops), overhead_seconds: Number(p.overhead_seconds) }, measured: true } : { profile: DEFAULT_PROFILE, measured: false };
  }

  async estimate(params: GenerationParams, tier: string, device?: string): Promise<CostEstimate> {
    const work = estimateWork(params, promptTokens(params.prompt));
    const { profile, measured } = await this.profileFor(device);
    const secs = gpuSeconds(work, profile);
    return {
      work,
      device: profile.device,
      profile_measured: measured,
      gpu_seconds: Number(secs.toFixed(3)),
      tier,
      cost_micros: costMicros(secs, tier),
      by_tier: PRICING_TIERS.map((t) => ({ tier: t.id, cost_micros: costMicros(secs, t.id) })),
    };
  }
}
