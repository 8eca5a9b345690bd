// Access tokens: JWT signed with HS256 only (the algorithm is pinned on verify, so `alg: none` and algorithm
// confusion are refused), typed at+jwt (RFC 9068) so no other token kind passes as one, with iss, aud and exp
// checked. Refresh tokens and API keys are opaque random strings stored as hashes.
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { SignJWT, errors as joseErrors, jwtVerify } from "jose";

export const ACCESS_TOKEN_TTL_S = 15 * 60;
export const REFRESH_TOKEN_TTL_S = 7 * 24 * 60 * 60;
/** Tolerated clock difference between issuer and verifier (RFC 8725 practice: at most a minute). */
export const CLOCK_TOLERANCE_S = 60;
const ALG = "HS256";
const TYP = "at+jwt";

export interface AccessClaims {
  sub: string;
  jti: string;
  /** The session (refresh-token family) the token belongs to: logging it out revokes the token. */
  sid: string;
}

export class AccessTokens {
  private readonly key: Uint8Array;

  constructor(secret: string, private readonly issuer: string, private readonly audience: string) {
    this.key = new TextEncoder().encode(secret);
  }

  sign(userId: string, sessionId: string, nowS = Math.floor(Date.now() / 1000)): Promise<string> {
    return new SignJWT({ sid: sessionId })
      .setProtectedHeader({ alg: ALG, typ: TYP })
      .setSubject(userId)
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setIssuedAt(nowS)
      .setExpirationTime(nowS + ACCESS_TOKEN_TTL_S)
      .setJti(randomUUID())
      .sign(this.key);
  }

  /** The claims of a valid token, or the reason it is not valid (never thrown to the client as is). */
  async verify(token: string): Promise<{ ok: true; claims: AccessClaims } | { ok: false; reason: string }> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: [ALG],
        issuer: this.issuer,
        audience: this.audience,
        typ: TYP,
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ["sub", "exp", "iat", "jti", "sid"],
      });
      if (typeof payload.sid !== "string") return { ok: false, reason: "claim_sid" };
      return { ok: true, claims: { sub: payload.sub as string, jti: payload.jti as string, sid: payload.sid } };
    } catch (e) {
      if (e instanceof joseErrors.JWTExpired) return { ok: false, reason: "expired" };
      if (e instanceof joseErrors.JWSSignatureVerificationFailed) return { ok: false, reason: "bad_signature" };
      if (e instanceof joseErrors.JOSEAlgNotAllowed) return { ok: false, reason: "algorithm_not_allowed" };
      if (e instanceof joseErrors.JWTClaimValidationFailed) return { ok: false, reason: `claim_${e.claim}` };
      return { ok: false, reason: "malformed" };
    }
  }
}

export const sha256Hex = (s: string) => createHash("sha256").update(s).digest("hex");

export function newRefreshToken(): { token: string; hash: string } {
  const token = `rt_${randomBytes(32).toString("base64url")}`;
  return { token, hash: sha256Hex(token) };
}

// API keys: aip_<prefix: 12 hex>_<secret: 32 random bytes, base64url>. The prefix finds the row (one indexed
// lookup); the secret is compared as HMAC-SHA-256 with the server's pepper. A slow KDF is not needed for
// 256-bit random secrets, and would cost tens of milliseconds on every request.
const API_KEY_RE = /^aip_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export class ApiKeyCodec {
  private readonly pepper: Buffer;

  constructor(pepper: string) {
    this.pepper = Buffer.from(pepper, "utf8");
  }

  generate(): { key: string; prefix: string; secretHash: string; last4: string } {
    const prefix = randomBytes(6).toString("hex");
    const secret = randomBytes(32).toString("base64url");
    const key = `aip_${prefix}_${secret}`;
    return { key, prefix, secretHash: this.hash(secret), last4: key.slice(-4) };
  }

  parse(key: string): { prefix: string; secret: string } | undefined {
    const m = API_KEY_RE.exec(key);
    return m ? { prefix: m[1] as string, secret: m[2] as string } : undefined;
  }

  hash(secret: string): string {
    return createHmac("sha256", this.pepper).update(secret).digest("hex");
  }

  matches(secret: string, storedHash: string): boolean {
    const a = Buffer.from(this.hash(secret), "hex");
    const b = Buffer.from(storedHash, "hex");
    return a.length === b.length && timingSafeEqual(a, b);
  }
}

export const looksLikeApiKey = (s: string) => s.startsWith("aip_");
