// Issue 27 item 2: a failed query's data never reaches the logs. Before the fix, a failed sign-up logged the new
// user's bcrypt hash and email (knex's message carried the SQL with its bound values, the PostgreSQL error's
// detail quoted the row, PGlite attached the parameters). The whole suite's logs are checked too
// (test/helpers/logGuard.ts, on every startTestServer).
import t from "tap";
import { migrateLatest } from "../../server/db/migrate.js";
import { createLogger } from "../../server/logger.js";
import { safeError, scrubText } from "../../server/safeError.js";
import { DATABASES, LogCapture } from "../helpers/server.js";
import { logLeaks } from "../helpers/logGuard.js";

const EMAIL = "ada.lovelace@example.com";
const HASH = "$2b$12$abcdefghijklmnopqrstuuN0pQrStUvWxYz0123456789ABCDEFGH";

for (const { name, open } of DATABASES) {
  t.test(`a failed insert on ${name} is logged without its values`, async (t) => {
    const tdb = await open();
    t.teardown(() => tdb.stop());
    await migrateLatest(tdb.db.knex);
    const insert = () => tdb.db.knex("users").insert({ email: EMAIL, password_hash: HASH, role: "user", display_name: "Ada Lovelace" });
    await insert();
    const err = await insert().then(
      () => undefined,
      (e: unknown) => e,
    );
    t.ok(err, "the second insert fails (unique email)");
    const raw = JSON.stringify({ message: (err as Error).message, ...(err as object) });
    t.comment(`raw error ${raw.includes(EMAIL) || raw.includes(HASH) ? "carries" : "does not carry"} the values`);
    const logs = new LogCapture();
    const logger = createLogger("info", logs);
    logger.error({ err }, "unhandled error");
    logger.flush();
    await new Promise((r) => setImmediate(r));
    const text = logs.text();
    t.notOk(text.includes(EMAIL), "no email in the log line");
    t.notOk(text.includes("$2b$12$"), "no password hash in the log line");
    t.notOk(text.includes("Ada Lovelace"), "no display name in the log line");
    t.same(logLeaks(logs.lines), [], "the suite's log guard finds nothing");
    const line = JSON.parse(logs.lines[0] as string);
    t.equal(line.err.code, "23505", "the SQLSTATE stays");
    t.match(line.err.message, /duplicate key|unique/i, "the kind of failure stays");
    t.equal(line.err.detail, undefined, "no detail (it quotes the row)");
    const stored = safeError(err);
    t.notOk(JSON.stringify(stored).includes(EMAIL), "what error_logs stores has no email either");
  });
}

t.test("scrubText removes values PostgreSQL quotes and credential-shaped strings", async (t) => {
  t.equal(scrubText('Key (email)=(ada@example.com) already exists.'), "Key (email)=([value]) already exists.");
  t.equal(scrubText('invalid input syntax for type uuid: "not-a-uuid"'), 'invalid input syntax for type uuid: "[value]"');
  t.notMatch(scrubText(`token rt_${"a".repeat(43)} and key aip_0123456789ab_${"b".repeat(43)}`), /rt_a|aip_0/);
  t.notMatch(scrubText("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"), /eyJ/);
  t.equal(scrubText("insert into users (email) values ($1) - duplicate key"), "insert into users (email) values ($1) - duplicate key", "placeholders stay");
});
