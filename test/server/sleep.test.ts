// The worker's idle wait (server/util/sleep.ts): ends on time or on abort, and leaves no abort listener on the
// long-lived signal it shares across polls (the worker used to leak one per poll).
import { getEventListeners } from "node:events";
import t from "tap";
import { sleep } from "../../server/util/sleep.js";

t.test("a finished sleep removes its abort listener", async (t) => {
  const stop = new AbortController();
  for (let i = 0; i < 50; i++) await sleep(1, stop.signal);
  t.equal(getEventListeners(stop.signal, "abort").length, 0, "no listener left after 50 polls");
});

t.test("an abort ends the sleep at once", async (t) => {
  const stop = new AbortController();
  const started = Date.now();
  const pending = sleep(60_000, stop.signal);
  t.equal(getEventListeners(stop.signal, "abort").length, 1, "one listener while sleeping");
  stop.abort();
  await pending;
  t.ok(Date.now() - started < 30_000, "returned long before its 60 s timer");
  t.equal(getEventListeners(stop.signal, "abort").length, 0);
});

t.test("an already aborted signal returns without waiting or listening", async (t) => {
  const stop = new AbortController();
  stop.abort();
  await sleep(60_000, stop.signal);
  t.equal(getEventListeners(stop.signal, "abort").length, 0);
});

t.test("without a signal it is a plain timer", async (t) => {
  const started = Date.now();
  await sleep(20);
  t.ok(Date.now() - started >= 15, "waited about its time");
});
