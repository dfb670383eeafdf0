/**
 * The gateway (examples/gateway.ts) under load while its broker is down for ten
 * seconds: it keeps answering, every answer a documented one (`202 delivered`,
 * `202 queued`, or `503` with `Retry-After`), none later than `ackTimeoutMs` plus a
 * margin; after the broker is back it delivers again, and the topic then holds
 * every message that got a 202 exactly once and none that got a 503.
 *
 * The file runs its own broker, one per runtime (Bun: port base 29112, Deno: 29122),
 * so it never disturbs the shared one; it kills it with `scripts/kafka.sh kill`
 * (SIGKILL) and starts it again with `start` ten seconds later. Real broker only.
 *
 *   bun test --timeout 300000 test/gateway_outage.test.ts
 *   deno test -A --v8-flags=--expose-gc test/gateway_outage.test.ts
 *
 * @module
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { AdminClient } from "../src/mod.ts";
import { startGateway } from "../examples/gateway.ts";
import { OwnBroker } from "./helpers/broker.ts";
import { readBack, text } from "./helpers/readback.ts";
import { runtime, sleep } from "./helpers/runtime.ts";
import { waitForLeaders } from "./helpers/topics.ts";

// deno-lint-ignore no-console -- the figures the outage run is judged by
const report = (s: string) => console.log(`[gateway outage ${runtime}] ${s}`);
const broker = new OwnBroker(`gateway-outage-${runtime}`, runtime === "bun" ? 29112 : 29122, report);
broker.start();

const ACK_TIMEOUT_MS = 2_000;
const CLIENTS = 8;
const PARTITIONS = 3;

interface Answer {
  id: string;
  status: number;
  kind: string; // delivered | queued | the error name
  ms: number;
  at: number;
}

describe("gateway: the broker stops for 10 s under load", () => {
  after(() => broker.release());

  it("keeps answering (202 or 503 + Retry-After, never a hang); afterwards every 202 is in the topic exactly once", {
    timeout: 240_000,
  }, async () => {
    const topic = `outage-${crypto.randomUUID().slice(0, 8)}`;
    const admin = new AdminClient({ "bootstrap.servers": broker.bootstrap });
    const [created] = await admin.createTopics([{ name: topic, partitions: PARTITIONS, replicationFactor: 1 }]);
    assert.equal(created.error, undefined);
    await waitForLeaders(admin, topic, PARTITIONS, Date.now() + 30_000);
    await admin.close();

    const logs: string[] = [];
    const gw = startGateway({
      bootstrap: broker.bootstrap,
      port: 0,
      ackTimeoutMs: ACK_TIMEOUT_MS,
      log: (l) => logs.push(l),
      // Reconnect quickly once the broker is back (librdkafka's default backs off to 10 s).
      producerConfig: { "reconnect.backoff.max.ms": 1_000 },
    });
    const answers: Answer[] = [];
    const transport: string[] = [];
    let stop = false;
    const t0 = performance.now();
    const now = () => performance.now() - t0;
    // Closed-loop clients: each sends, waits for the answer, sends the next; every
    // fourth client uses ?async=1. A 503 is retried after a short pause (with a new
    // id: the old one was refused, so it must never appear in the topic).
    const client = async (c: number) => {
      for (let seq = 0; !stop; seq++) {
        const id = `c${c}-${seq}`;
        const start = now();
        try {
          const res = await fetch(`${gw.url}/topics/${topic}${c % 4 === 3 ? "?async=1" : ""}`, {
            method: "POST",
            body: id,
            signal: AbortSignal.timeout(ACK_TIMEOUT_MS + 10_000),
          });
          const body = await res.json();
          if (res.status === 503) assert.ok(Number(res.headers.get("retry-after")) > 0, "a 503 has Retry-After");
          answers.push({
            id,
            status: res.status,
            kind: res.status === 202 ? body.status : body.error,
            ms: now() - start,
            at: start,
          });
          if (res.status === 503) await sleep(100);
        } catch (e) {
          transport.push(`${id}: ${(e as Error).name}: ${(e as Error).message}`);
        }
      }
    };
    const clients = Array.from({ length: CLIENTS }, (_, c) => client(c));

    await sleep(3_000);
    const killAt = now();
    report(await broker.run("kill"));
    await sleep(10_000);
    const startAt = now();
    report(await broker.run("start"));
    const upAt = now();
    // Serve on until delivered 202s have come back for a few seconds.
    let recoveredAt = 0;
    while (now() - upAt < 60_000) {
      const first = answers.find((a) => a.at > upAt && a.kind === "delivered");
      if (first) {
        recoveredAt = first.at;
        if (now() - recoveredAt > 3_000) break;
      }
      await sleep(200);
    }
    stop = true;
    await Promise.all(clients);
    await gw.close(); // delivers what is still queued

    const count = (f: (a: Answer) => boolean) => answers.filter(f).length;
    const during = answers.filter((a) => a.at >= killAt && a.at < startAt);
    const kinds = new Map<string, number>();
    for (const a of answers) kinds.set(`${a.status} ${a.kind}`, (kinds.get(`${a.status} ${a.kind}`) ?? 0) + 1);
    report(
      `${answers.length} answers: ${[...kinds].map(([k, n]) => `${k} ×${n}`).join(", ")}; ` +
        `kill at ${Math.round(killAt)} ms, start at ${Math.round(startAt)}, up at ${Math.round(upAt)}, ` +
        `first delivery after at ${Math.round(recoveredAt)}; slowest answer ${
          Math.round(answers.reduce((m, a) => Math.max(m, a.ms), 0))
        } ms`,
    );

    assert.deepEqual(transport, [], "every request got an HTTP answer");
    assert.ok(recoveredAt > 0, "deliveries resumed after the broker came back");
    assert.ok(during.length > CLIENTS, `it kept answering during the outage (${during.length} answers)`);
    assert.ok(count((a) => a.status === 503 && a.at >= killAt) > 0, "503s while the broker was down");
    for (const a of answers) {
      assert.ok(
        (a.status === 202 && (a.kind === "delivered" || a.kind === "queued")) ||
          (a.status === 503 && (a.kind === "brokers_down" || a.kind === "_QUEUE_FULL")),
        `a documented answer: ${JSON.stringify(a)}`,
      );
      assert.ok(a.ms < ACK_TIMEOUT_MS + 3_000, `no hang: ${JSON.stringify(a)}`);
    }

    const accepted = new Set(answers.filter((a) => a.status === 202).map((a) => a.id));
    const got = await readBack(broker.bootstrap, topic, {
      partitions: PARTITIONS,
      count: accepted.size,
      timeoutMs: 60_000,
      quietMs: 2_000, // more than accepted.size would be a duplicate or a refused one
    });
    const stored = new Map<string, number>();
    for (const m of got) stored.set(text(m.value)!, (stored.get(text(m.value)!) ?? 0) + 1);
    const dupes = [...stored].filter(([, n]) => n > 1);
    const refused = [...stored.keys()].filter((id) => !accepted.has(id));
    const missing = [...accepted].filter((id) => !stored.has(id));
    report(`${accepted.size} accepted, ${got.length} stored, ${count((a) => a.status === 503)} refused`);
    assert.deepEqual(dupes, [], "no message stored twice");
    assert.deepEqual(refused, [], "no message that got a 503 was stored");
    assert.deepEqual(missing, [], "every 202 is in the topic");
  });
});
