// Webhooks: the Standard Webhooks signature (a published test vector, and the deliveries a receiver gets),
// retries with the same webhook-id, and SSRF refusal before any connection.
import { createServer, type IncomingMessage } from "node:http";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import t from "tap";
import { sign, verify, webhookHeaders } from "../../server/webhooks/signing.js";
import { isForbiddenAddress, resolveSafe } from "../../server/webhooks/ssrf.js";
import { sendWebhook } from "../../server/webhooks/deliverer.js";
import { openEmbedded } from "../helpers/server.js";
import { SMALL, finished, startJobServer, waitForJob } from "../helpers/jobs.js";
import { within } from "../helpers/within.js";

const SECRET = "whsec_" + Buffer.from("k".repeat(32)).toString("base64");

t.test("signature: the Standard Webhooks test vector", async (t) => {
  // From standard-webhooks/standard-webhooks (libraries' shared test case).
  const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const msgId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
  const ts = 1614265330;
  const body = '{"test": 2432232314}';
  t.equal(sign(secret, msgId, ts, body), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  const h = webhookHeaders(secret, msgId, ts, body);
  t.ok(verify(secret, h, body, ts));
  t.ok(verify(secret, { ...h, "webhook-signature": `v1,bm90IGl0 ${h["webhook-signature"]}` }, body, ts), "one of several signatures (rotation)");
  t.notOk(verify(secret, h, body + " ", ts), "tampered body");
  t.notOk(verify("whsec_" + Buffer.from("another key entirely").toString("base64"), h, body, ts), "wrong secret");
  t.notOk(verify(secret, h, body, ts + 301), "timestamp outside the tolerance");
  t.notOk(verify(secret, { ...h, "webhook-id": undefined }, body, ts), "missing header");
});

t.test("SSRF: internal addresses are refused before any connection", async (t) => {
  for (const a of ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "fe80::1", "fd00:ec2::254", "::ffff:127.0.0.1", "::ffff:a9fe:a9fe", "224.0.0.1"]) {
    t.ok(isForbiddenAddress(a), `${a} refused`);
  }
  for (const a of ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "2002:808:808::1"]) t.notOk(isForbiddenAddress(a), `${a} allowed`);
  // Issue 27 item 6: IPv6 forms that embed a loopback or private IPv4 address, as the URL parser writes them.
  for (const host of ["[::127.0.0.1]", "[::ffff:0:7f00:1]", "[64:ff9b:1::7f00:1]", "[2002:7f00:1::]", "[2002:a00:1::1]", "[::ffff:0:a9fe:a9fe]",
    "[64:ff9b:1:ffff::c0a8:101]", "[2001:0:4136:e378:8000:63bf:80ff:fffe]", "[::10.0.0.1]", "[0:0:0:0:0:ffff:127.0.0.1]", "[2001:2::1]"]) {
    const a = new URL(`http://${host}/`).hostname.replace(/^\[|\]$/g, "");
    t.ok(isForbiddenAddress(a), `${host} (${a}) refused`);
    await t.rejects(resolveSafe(new URL(`http://${host}/hook`), false), /loopback|private/, `${host}: resolveSafe refuses it`);
  }
  await t.rejects(resolveSafe(new URL("http://localhost/x"), false), /loopback|private/, "a name that resolves to loopback");
  await t.rejects(resolveSafe(new URL("ftp://example.com/"), false), /scheme/);
  await t.rejects(resolveSafe(new URL("https://user:pw@example.com/"), false), /credentials/);

  // A listener on loopback counts connections: a delivery to it must never connect.
  let connections = 0;
  const srv = createServer((_req, res) => res.end("ok"));
  srv.on("connection", () => connections++);
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  t.teardown(() => new Promise<void>((r) => srv.close(() => r())));
  const port = (srv.address() as AddressInfo).port;
  const opts = { allowPrivate: false, timeoutMs: 1000, scheduleScale: 1 };
  for (const url of [`http://127.0.0.1:${port}/hook`, `http://localhost:${port}/hook`, `http://[::ffff:127.0.0.1]:${port}/hook`]) {
    const out = await sendWebhook({ url, message_id: "msg_x", payload: {} }, SECRET, opts);
    t.equal(out.delivered, false);
    t.match(out.error, /refused/, url);
    t.equal(out.retry, false, "a refused target is not retried");
  }
  t.equal(connections, 0, "no connection was made");
});

t.test("redirects are never followed: a 3xx is a failed delivery and its target gets no request", async (t) => {
  let targetHits = 0;
  const target = createServer((_req, res) => {
    targetHits++;
    res.end("ok");
  });
  await new Promise<void>((r) => target.listen(0, "127.0.0.1", r));
  const targetPort = (target.address() as AddressInfo).port;
  const redirector = createServer((req, res) => {
    res.writeHead(req.url === "/307" ? 307 : 302, { location: `http://127.0.0.1:${targetPort}/internal` });
    res.end();
  });
  await new Promise<void>((r) => redirector.listen(0, "127.0.0.1", r));
  t.teardown(async () => {
    await new Promise<void>((r) => target.close(() => r()));
    await new Promise<void>((r) => redirector.close(() => r()));
  });
  const port = (redirector.address() as AddressInfo).port;
  // allowPrivate: the redirector itself is on loopback; what is checked is that the Location is not followed.
  for (const path of ["/302", "/307"]) {
    const out = await sendWebhook({ url: `http://127.0.0.1:${port}${path}`, message_id: "msg_r", payload: {} }, SECRET, { allowPrivate: true, timeoutMs: 2000, scheduleScale: 1 });
    t.equal(out.delivered, false, `${path}: not delivered`);
    t.equal(out.statusCode, Number(path.slice(1)));
    t.match(out.error, /HTTP 3/);
  }
  t.equal(targetHits, 0, "the redirect target was never requested");
});

t.test("a slow endpoint: the timeout bounds the whole exchange, not each idle gap", async (t) => {
  // Sends its status line one byte every 100 ms: never idle, never done. An idle timeout never fires on it.
  const srv = createNetServer((sock) => {
    const line = "HTTP/1.1 200 OK\r\nX-Pad: " + "a".repeat(200) + "\r\n\r\n";
    let i = 0;
    const drip = setInterval(() => i < line.length && sock.write(line[i++]!), 100);
    sock.on("close", () => clearInterval(drip));
    sock.on("error", () => {});
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  t.teardown(() => new Promise<void>((r) => srv.close(() => r())));
  const port = (srv.address() as AddressInfo).port;
  const send = sendWebhook({ url: `http://127.0.0.1:${port}/hook`, message_id: "msg_slow", payload: {} }, SECRET,
    { allowPrivate: true, timeoutMs: 500, scheduleScale: 1 });
  const r = await within(send, 15_000);
  if (r.outcome !== "settled") return t.fail("sendWebhook still pending after 15 s with a 500 ms timeout");
  const out = r.value!;
  t.equal(out.delivered, false);
  t.match(out.error, /timed out after 500 ms/);
  t.equal(out.retry, true, "a timeout is retried on the schedule");
});

t.test("a response body is not read: an endless one does not hold the connection", async (t) => {
  let closed!: () => void;
  const serverSawClose = new Promise<void>((r) => (closed = r));
  const srv = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    const chunk = setInterval(() => res.write("x".repeat(1024)), 10);
    res.on("close", () => (clearInterval(chunk), closed()));
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  t.teardown(() => new Promise<void>((r) => (srv.closeAllConnections(), srv.close(() => r()))));
  const port = (srv.address() as AddressInfo).port;
  const out = await sendWebhook({ url: `http://127.0.0.1:${port}/hook`, message_id: "msg_stream", payload: {} }, SECRET,
    { allowPrivate: true, timeoutMs: 500, scheduleScale: 1 });
  t.same(out, { delivered: true, statusCode: 200, error: null, retry: false });
  t.equal((await within(serverSawClose, 15_000)).outcome, "settled", "the endpoint saw the connection closed (not drained forever)");
});

t.test("deliveries: signed, retried with the same webhook-id, on completion and failure", async (t) => {
  const got: Array<{ headers: IncomingMessage["headers"]; body: string }> = [];
  let failNext = 1;
  const receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      got.push({ headers: req.headers, body });
      if (failNext > 0) {
        failNext--;
        res.statusCode = 500;
      }
      res.end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  const tdb = await openEmbedded();
  // The receiver is on loopback, so this server allows private targets (test-only; refused in production).
  const ts = await startJobServer(tdb.db, { WEBHOOK_ALLOW_PRIVATE: "true" }, { stepMs: 5 });
  t.teardown(async () => {
    await ts.close();
    await tdb.stop();
    await new Promise<void>((r) => receiver.close(() => r()));
  });
  const u = await ts.client.user();
  const secret = (await ts.client.get("/api/v1/webhooks/secret", { token: u.access })).body.secret as string;
  t.match(secret, /^whsec_/);
  const id = (await ts.client.post("/api/v1/videos/generate", { ...SMALL, webhook_url: hook }, { token: u.access })).body.id as string;
  await waitForJob(ts.client, u.access, id, finished);
  const deadline = Date.now() + 20_000;
  while (got.length < 2 && Date.now() < deadline) {
    await ts.server.pool.tick();
    await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(got.length, 2, "a failed delivery (500) and its retry");
  const [first, second] = got as [(typeof got)[0], (typeof got)[0]];
  t.equal(first.headers["webhook-id"], second.headers["webhook-id"], "the retry keeps the webhook-id");
  for (const g of got) {
    const h = { "webhook-id": String(g.headers["webhook-id"]), "webhook-timestamp": String(g.headers["webhook-timestamp"]), "webhook-signature": String(g.headers["webhook-signature"]) };
    t.ok(verify(secret, h, g.body), "the signature verifies with the user's secret");
  }
  const payload = JSON.parse(second.body);
  t.equal(payload.type, "job.completed");
  t.equal(payload.data.id, id);
  t.equal(payload.data.status, "completed");
  const audit = await tdb.db.knex("audit_logs").where({ action: "videos.generate", resource_id: id }).first();
  t.equal(audit.details.body.webhook_url, "[REDACTED]", "the webhook URL (it may hold a token) is not in the audit log");
  t.notMatch(ts.logs.text(), /\/hook/, "nor in the logs");
  const row = await tdb.db.knex("webhook_deliveries").where({ job_id: id }).first();
  t.equal(row.status, "delivered");
  t.equal(row.attempts, 2);

  // A job submitted with an internal webhook target on a server that refuses them: 422 at submission.
  const strictDb = await openEmbedded();
  const strict = await startJobServer(strictDb.db, {}, { stepMs: 5 });
  t.teardown(async () => {
    await strict.close();
    await strictDb.stop();
  });
  const s = await strict.client.user();
  const refused = await strict.client.post("/api/v1/videos/generate", { ...SMALL, webhook_url: "http://169.254.169.254/latest/meta-data/" }, { token: s.access });
  t.equal(refused.status, 422);
  t.match(refused.body.detail, /webhook_url/);
});
