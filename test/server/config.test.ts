// Configuration: defaults, validation messages, production refusals, generated secrets kept across starts.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { resolveSecrets, secretsFile } from "../../server/bootstrap/secrets.js";
import { ConfigError, loadConfig } from "../../server/config.js";

const strong = "k3J9x-Qp2Lm8Zr4Tv6Yb1Nc5Wd7Hs0Fg_Ae";
const errorsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
    return [];
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.problems;
  }
};

t.test("defaults need no configuration", async (t) => {
  const c = loadConfig({});
  t.match(c, { env: "development", host: "127.0.0.1", port: 8080, databaseUrl: undefined, bcryptCost: 12, corsOrigins: [], registrationOpen: true });
  t.match(c.dataDir, /\.aiprod-data$/);
  t.equal(loadConfig({ AIPROD_DATA_DIR: "/srv/aiprod" }).dataDir, "/srv/aiprod");
});

t.test("clear messages for invalid values", async (t) => {
  t.match(errorsOf({ PORT: "eighty" }).join("\n"), /^PORT: /m);
  t.match(errorsOf({ DATABASE_URL: "mysql://x" }).join(), /DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL/);
  t.match(errorsOf({ CORS_ORIGINS: "*" }).join(), /CORS_ORIGINS: '\*' is not accepted/);
  t.match(errorsOf({ CORS_ORIGINS: "https://app.example.com,ftp:nope" }).join(), /'ftp:nope' is not an origin/);
  t.same(loadConfig({ CORS_ORIGINS: "https://a.example, http://localhost:3000" }).corsOrigins, ["https://a.example", "http://localhost:3000"]);
  t.match(errorsOf({ JWT_SECRET: "short" }).join(), /JWT_SECRET: too weak/);
  t.equal(errorsOf({ PORT: "x", BODY_LIMIT_BYTES: "1" }).length, 2, "every problem at once");
});

t.test("bcrypt cost: at least 12, lower only with NODE_ENV=test", async (t) => {
  t.match(errorsOf({ BCRYPT_COST: "10" }).join(), /BCRYPT_COST: must be at least 12/);
  t.match(errorsOf({ NODE_ENV: "production", BCRYPT_COST: "4", JWT_SECRET: strong, API_KEY_PEPPER: strong + "x" }).join(), /BCRYPT_COST/);
  t.equal(loadConfig({ NODE_ENV: "test", BCRYPT_COST: "4" }).bcryptCost, 4);
  t.match(errorsOf({ NODE_ENV: "test", BCRYPT_COST: "3" }).join(), /BCRYPT_COST/);
});

t.test("production refuses weak or missing secrets", async (t) => {
  const missing = errorsOf({ NODE_ENV: "production" });
  t.match(missing.join("\n"), /JWT_SECRET: production needs a strong secret \(missing\)/);
  t.match(missing.join("\n"), /API_KEY_PEPPER: production needs a strong secret \(missing\)/);
  t.match(errorsOf({ NODE_ENV: "production", JWT_SECRET: "a".repeat(64), API_KEY_PEPPER: strong }).join(), /JWT_SECRET.*too few distinct characters/);
  t.match(errorsOf({ NODE_ENV: "production", JWT_SECRET: strong, API_KEY_PEPPER: strong, ADMIN_PASSWORD: "admin" }).join(), /ADMIN_PASSWORD/);
  t.equal(loadConfig({ NODE_ENV: "production", JWT_SECRET: strong, API_KEY_PEPPER: strong + "y" }).env, "production");
});

t.test("generated secrets are kept in the data directory (0600) and reused", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "aiprod-cfg-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const c = loadConfig({ AIPROD_DATA_DIR: dir });
  const first = resolveSecrets(c);
  t.equal(first.generatedSecrets, true);
  t.ok(first.jwtSecret.length >= 48 && first.apiKeyPepper !== first.jwtSecret);
  t.equal(statSync(secretsFile(dir)).mode & 0o777, 0o600);
  const second = resolveSecrets(c);
  t.equal(second.generatedSecrets, false);
  t.equal(second.jwtSecret, first.jwtSecret, "same secret after a restart");
  const given = resolveSecrets(loadConfig({ AIPROD_DATA_DIR: dir, JWT_SECRET: strong, API_KEY_PEPPER: strong + "z" }));
  t.equal(given.jwtSecret, strong, "configured secrets win");
});

t.test("JOB_TIER_QUOTAS: per-tier job quotas as JSON, with a default for the priority tier (issue 27 item 3)", async (t) => {
  t.same(loadConfig({}).jobs.tierQuotas, { priority: { queued: 5, running: 1, gpu_seconds_per_day: 3600 } });
  t.same(loadConfig({ JOB_TIER_QUOTAS: '{"batch":{"queued":100}}' }).jobs.tierQuotas, { batch: { queued: 100 } });
  t.throws(() => loadConfig({ JOB_TIER_QUOTAS: "{nope" }), /JOB_TIER_QUOTAS: must be JSON/);
  t.throws(() => loadConfig({ JOB_TIER_QUOTAS: '{"gold":{"queued":1}}' }), /JOB_TIER_QUOTAS/);
});
