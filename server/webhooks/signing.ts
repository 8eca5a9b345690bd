// Standard Webhooks (v1.0.0) symmetric signatures: HMAC-SHA256 over "{webhook-id}.{webhook-timestamp}.{body}",
// keyed with the base64-decoded part of a `whsec_` secret, sent as `webhook-signature: v1,<base64>`.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const SECRET_PREFIX = "whsec_";
export const DEFAULT_TOLERANCE_SECONDS = 300;

export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString("base64");
}

function keyOf(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error("webhook secrets start with whsec_");
  return Buffer.from(secret.slice(SECRET_PREFIX.length), "base64");
}

export function sign(secret: string, msgId: string, timestampSeconds: number, body: string): string {
  const mac = createHmac("sha256", keyOf(secret)).update(`${msgId}.${timestampSeconds}.${body}`).digest("base64");
  return `v1,${mac}`;
}

export function webhookHeaders(secret: string, msgId: string, timestampSeconds: number, body: string): Record<string, string> {
  return {
    "webhook-id": msgId,
    "webhook-timestamp": String(timestampSeconds),
    "webhook-signature": sign(secret, msgId, timestampSeconds, body),
  };
}

/** What a receiver does: constant-time comparison against each listed v1 signature, within a time tolerance. */
export function verify(secret: string, headers: Record<string, string | undefined>, body: string, nowSeconds = Math.floor(Date.now() / 1000), tolerance = DEFAULT_TOLERANCE_SECONDS): boolean {
  const id = headers["webhook-id"];
  const ts = headers["webhook-timestamp"];
  const sigs = headers["webhook-signature"];
  if (!id || !ts || !sigs || !/^\d+$/.test(ts)) return false;
  if (Math.abs(nowSeconds - Number(ts)) > tolerance) return false;
  const expected = Buffer.from(sign(secret, id, Number(ts), body).slice(3), "base64");
  for (const part of sigs.split(" ")) {
    const [version, value] = part.split(",");
    if (version !== "v1" || !value) continue;
    const given = Buffer.from(value, "base64");
    if (given.length === expected.length && timingSafeEqual(given, expected)) return true;
  }
  return false;
}
