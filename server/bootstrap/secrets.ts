// Secrets that were not configured are generated once and kept in <data dir>/secrets.json (mode 0600), so
// tokens and API keys stay valid across restarts. Production never gets here without strong secrets (config.ts).
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type ServerConfig, secretWeakness } from "../config.js";

export type ResolvedConfig = ServerConfig & { jwtSecret: string; apiKeyPepper: string };

interface StoredSecrets {
  jwt_secret: string;
  api_key_pepper: string;
}

export function secretsFile(dataDir: string): string {
  return join(dataDir, "secrets.json");
}

export function resolveSecrets(config: ServerConfig): ResolvedConfig & { generatedSecrets: boolean } {
  if (config.jwtSecret && config.apiKeyPepper) {
    return { ...config, jwtSecret: config.jwtSecret, apiKeyPepper: config.apiKeyPepper, generatedSecrets: false };
  }
  const file = secretsFile(config.dataDir);
  let stored: StoredSecrets | undefined;
  if (existsSync(file)) {
    stored = JSON.parse(readFileSync(file, "utf8")) as StoredSecrets;
    if (secretWeakness(stored.jwt_secret) || secretWeakness(stored.api_key_pepper)) {
      throw new Error(`${file} holds a weak or missing secret; remove the file to generate new ones`);
    }
  }
  let generated = false;
  if (!stored) {
    stored = { jwt_secret: randomBytes(48).toString("base64url"), api_key_pepper: randomBytes(48).toString("base64url") };
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(file, JSON.stringify(stored, null, 2) + "\n", { mode: 0o600, flag: "wx" });
    chmodSync(file, 0o600);
    generated = true;
  }
  return {
    ...config,
    jwtSecret: config.jwtSecret ?? stored.jwt_secret,
    apiKeyPepper: config.apiKeyPepper ?? stored.api_key_pepper,
    generatedSecrets: generated,
  };
}
