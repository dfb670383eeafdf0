/**
 * Failover on a real Apache Kafka broker (scripts/kafka.sh): what the producer does
 * when its broker is SIGKILLed.
 *
 *  - The broker comes back: with `enable.idempotence=true` every send of a
 *    100,000-message run settles (all resolve), and the topic holds each message
 *    exactly once, in order per partition.
 *  - The broker never comes back: every pending send rejects with `_MSG_TIMED_OUT`
 *    once `message.timeout.ms` passes, and `close()` returns, both bounded.
 *  - A group consumer (auto-commit on) closes while the broker is dead: close
 *    settles within its timeout + CLOSE_MARGIN_MS, rejecting with `_TIMED_OUT`, and
 *    the commit issued before it settles too.
 *  - A transactional producer: `initTransactions` and `commitTransaction` reject
 *    with a retriable error at their timeout while the broker is frozen (SIGSTOP:
 *    connected, answering nothing), the event loop's timers keep firing meanwhile,
 *    and both succeed when called again once it goes on (SIGCONT); the committed
 *    message is then read by a read_committed consumer.
 *
 * The file runs its own broker, one per runtime (Bun: port base 29092, run dir
 * .cache/kafka/run-failover-bun; Deno: 29102, run-failover-deno), so it never
 * disturbs the shared one; it kills and restarts it with `scripts/kafka.sh kill` and
 * `start`. It needs Java and Maven, like every real-broker test, and fails (does not
 * skip) without them.
 *
 *   bun test test/failover.test.ts
 *   deno test -A --v8-flags=--expose-gc test/failover.test.ts
 *
 * @module
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type ClientConfig,
  CLOSE_MARGIN_MS,
  Consumer,
  currentLimits,
  type DeliveryReport,
  KafkaError,
  type LogEntry,
  OFFSET,
  Producer,
} from "../src/mod.ts";
import { OwnBroker } from "./helpers/broker.ts";
import { readBack, text } from "./helpers/readback.ts";
import { runtime, sleep } from "./helpers/runtime.ts";

// One broker per runtime, so a Bun run and a Deno run of this file can overlap.
const broker = new OwnBroker(`failover-${runtime}`, runtime === "bun" ? 29092 : 29102, (s) => report(s));
const BOOTSTRAP = broker.bootstrap;
const PARTITIONS = 4; // the broker's num.partitions for auto-created topics

/** Keeps librdkafka's logs and error events out of stderr, counted for the report. */
function quiet(p: Producer) {
  const seen = { errors: new Map<string, number>(), fatal: [] as KafkaError[], logs: 0 };
  p.on("error", (e) => {
    seen.errors.set(e.name, (seen.errors.get(e.name) ?? 0) + 1);
    if (e.fatal) seen.fatal.push(e);
  });
  p.on("log", (_: LogEntry) => void seen.logs++);
  return seen;
}

const ms = (t0: number) => Math.round(performance.now() - t0);
// deno-lint-ignore no-console -- the figures the failover runs are judged by
const report = (s: string) => console.log(`[failover ${runtime}] ${s}`);

broker.start();

describe("failover on a real broker (SIGKILL)", () => {
  after(() => broker.release());

  it("idempotent: 100,000 sends across a kill and restart all settle, each message stored once, in order", {
    timeout: 120_000,
  }, async () => {
    const N = 100_000;
    const CHUNK = 1_000;
    const topic = `failover-${crypto.randomUUID()}`;
    const p = new Producer({
      "bootstrap.servers": BOOTSTRAP,
      "enable.idempotence": true,
      "message.timeout.ms": 120_000,
      "linger.ms": 5,
      // Reconnect quickly once the broker is back (librdkafka's default backs off to 10 s).
      "reconnect.backoff.max.ms": 500,
    });
    const seen = quiet(p);
    try {
      // Creates the topic (auto-created with PARTITIONS partitions) before the run.
      await p.send({ topic, value: "warm-up" });

      const reports: Array<DeliveryReport | undefined> = new Array(N);
      const failures = new Map<string, number>();
      let resolved = 0, rejected = 0;
      let killAt = 0, killedAt = 0, startedAt = 0, firstAfterStart = 0, lastSettled = 0;
      let issued = 0, issuedAtDeath = 0, resolvedAtDeath = 0, resolvedAtStart = 0;
      let chain: Promise<void> | undefined;
      // Fails the wait below at once if kill or start fails (else it would wait for message.timeout.ms).
      const broke = Promise.withResolvers<never>();
      broke.promise.catch(() => {});
      const onSettled = () => {
        lastSettled = performance.now();
        // Kill once a quarter has been delivered: the rest is in flight, queued, or sent while it is down.
        if (chain === undefined && resolved >= N / 4) {
          killAt = performance.now();
          chain = broker.run("kill").then((out) => {
            killedAt = performance.now();
            issuedAtDeath = issued;
            resolvedAtDeath = resolved;
            report(out);
            return broker.run("start");
          }).then((out) => {
            startedAt = performance.now();
            resolvedAtStart = resolved;
            report(out);
          });
          chain.catch(broke.reject);
        }
        if (startedAt > 0 && firstAfterStart === 0) firstAfterStart = performance.now();
      };

      const t0 = performance.now();
      const sends: Promise<void>[] = [];
      for (let seq = 0; seq < N; seq++) {
        issued++;
        sends.push(
          p.send({ topic, value: `${seq}` }).then((r) => {
            reports[seq] = r;
            resolved++;
            onSettled();
          }, (e: unknown) => {
            const name = e instanceof KafkaError ? e.name : String(e);
            failures.set(name, (failures.get(name) ?? 0) + 1);
            rejected++;
            onSettled();
          }),
        );
        // Paced: about 5 s of sending, so messages are sent before the kill and while the broker is down.
        if (seq % CHUNK === CHUNK - 1) await sleep(40);
      }
      const sentMs = ms(t0);
      await Promise.race([Promise.all(sends), broke.promise]);
      const settledMs = ms(t0);
      assert.ok(chain !== undefined, "the broker was killed during the run");
      await chain; // the restart finished (it did, or nothing after the kill could have been delivered)

      report(
        `(a) ${N} sends issued in ${sentMs} ms; all settled at ${settledMs} ms: ${resolved} resolved, ` +
          `${rejected} rejected ${JSON.stringify(Object.fromEntries(failures))}`,
      );
      report(
        `(a) kill at ${Math.round(killAt - t0)} ms (dead ${Math.round(killedAt - killAt)} ms later), ` +
          `restart ready ${Math.round(startedAt - killedAt)} ms after the kill; first report after it ` +
          `${Math.round(firstAfterStart - startedAt)} ms, last report ${
            Math.round(lastSettled - startedAt)
          } ms after it`,
      );
      report(
        `(a) when the broker died ${issuedAtDeath} sends were issued and ${resolvedAtDeath} resolved; ` +
          `${resolvedAtStart - resolvedAtDeath} resolved between its death and its restart`,
      );
      report(`(a) error events ${JSON.stringify(Object.fromEntries(seen.errors))}, ${seen.logs} log lines`);
      assert.equal(resolved + rejected, N, "every send settled");
      assert.equal(rejected, 0, `with idempotence and a long message.timeout.ms all resolve: ${[...failures]}`);
      assert.deepEqual(seen.fatal.map((e) => e.message), [], "no fatal error");

      // Read everything back: the warm-up message plus N, and nothing more.
      const tr = performance.now();
      const got = await readBack(BOOTSTRAP, topic, {
        partitions: PARTITIONS,
        count: N + 1,
        timeoutMs: 60_000,
        quietMs: 1_000,
      });
      report(`(a) read back ${got.length} messages in ${ms(tr)} ms`);

      const count = new Uint32Array(N);
      const lastSeq = new Array<number>(PARTITIONS).fill(-1);
      const lastOffset = new Array<bigint>(PARTITIONS).fill(-1n);
      let duplicates = 0, outOfOrder = 0, misplaced = 0, implicit = 0;
      for (const m of got) {
        const v = text(m.value)!;
        if (v === "warm-up") continue;
        const seq = Number(v);
        assert.ok(Number.isInteger(seq) && seq >= 0 && seq < N, `unexpected value "${v}"`);
        if (count[seq]++ > 0) duplicates++;
        assert.ok(m.offset > lastOffset[m.partition], "the consumer reads a partition in offset order");
        lastOffset[m.partition] = m.offset;
        if (seq <= lastSeq[m.partition]) outOfOrder++;
        lastSeq[m.partition] = seq;
        const r = reports[seq];
        // librdkafka may ack a retried message without its offset (-1001n, "acked by a later
        // batch's success"): then only its partition can be checked.
        if (r?.offset === OFFSET.INVALID) implicit++;
        if (r && (r.partition !== m.partition || (r.offset !== OFFSET.INVALID && r.offset !== m.offset))) misplaced++;
      }
      let missing = 0;
      for (let seq = 0; seq < N; seq++) if (reports[seq] && count[seq] === 0) missing++;
      const perPartition = [0, 1, 2, 3].map((q) => got.filter((m) => m.partition === q).length);
      report(
        `(a) per partition ${JSON.stringify(perPartition)}; duplicates ${duplicates}, missing ${missing}, ` +
          `out of order ${outOfOrder}, report/offset mismatches ${misplaced}, acked without offset ${implicit}`,
      );
      assert.equal(duplicates, 0, "no message stored twice");
      assert.equal(missing, 0, "every delivered message is in the topic");
      assert.equal(outOfOrder, 0, "sequence numbers increase along each partition");
      assert.equal(misplaced, 0, "each delivery report names the partition and offset the message is at");
    } finally {
      const tc = performance.now();
      await p.close({ timeoutMs: 10_000 });
      report(`(a) close ${ms(tc)} ms`);
    }
  });

  it(
    "transactions on a frozen broker: init and commit reject (retriable) at their timeout while timers fire, then succeed",
    {
      timeout: 120_000,
    },
    async () => {
      report(await broker.run("start")); // running, unless the test before failed
      const topic = `failover-tx-${crypto.randomUUID()}`;
      const warm = new Producer({ "bootstrap.servers": BOOTSTRAP });
      await warm.send({ topic, partition: 0, value: "first" }); // creates the topic
      await warm.close();
      let ticks = 0;
      const timer = setInterval(() => ticks++, 10);
      const name = (e: unknown) => (e instanceof KafkaError ? `${e.name} (retriable ${e.retriable})` : String(e));
      try {
        const p = new Producer({
          "bootstrap.servers": BOOTSTRAP,
          "transactional.id": `failover-${crypto.randomUUID()}`,
          "log_level": 0,
        });
        quiet(p);
        broker.freeze(true);
        let at = ticks;
        const init = await p.initTransactions({ timeoutMs: 3_000 }).then(() => undefined, (e) => e);
        broker.freeze(false);
        report(`(d) initTransactions, broker frozen: ${name(init)}; ${ticks - at} ticks of 10 ms meanwhile`);
        assert.ok(init instanceof KafkaError && init.retriable, `a retriable KafkaError, got ${name(init)}`);
        // A loop blocked for the 3 s would have run this timer once at most.
        assert.ok(ticks - at >= 50, `the loop ran only ${ticks - at} ticks while initTransactions waited`);
        await p.initTransactions({ timeoutMs: 60_000 }); // called again after a retriable error

        await p.beginTransaction();
        await p.send({ topic, partition: 0, value: "in the transaction" });
        broker.freeze(true);
        at = ticks;
        const commit = await p.commitTransaction({ timeoutMs: 3_000 }).then(() => undefined, (e) => e);
        broker.freeze(false);
        report(`(d) commitTransaction, broker frozen: ${name(commit)}; ${ticks - at} ticks of 10 ms meanwhile`);
        assert.ok(commit instanceof KafkaError && commit.retriable, `a retriable KafkaError, got ${name(commit)}`);
        assert.ok(ticks - at >= 50, `the loop ran only ${ticks - at} ticks while commitTransaction waited`);
        await p.commitTransaction({ timeoutMs: 60_000 }); // resumes the commit
        assert.equal(p.inTransaction, false);
        await p.close();

        const c = new Consumer({ "bootstrap.servers": BOOTSTRAP, "isolation.level": "read_committed", "log_level": 0 });
        c.on("error", () => {});
        await c.assign([{ topic, partition: 0, offset: OFFSET.BEGINNING }]);
        const got: string[] = [];
        const until = Date.now() + 30_000;
        while (got.length < 2 && Date.now() < until) {
          const m = await c.read({ timeoutMs: 1_000 });
          if (m) got.push(m.text());
        }
        await c.close();
        assert.deepEqual(
          got,
          ["first", "in the transaction"],
          "the committed transaction is visible to read_committed",
        );
      } finally {
        clearInterval(timer);
        broker.freeze(false);
      }
    },
  );

  it("broker never comes back: pending sends reject with _MSG_TIMED_OUT after message.timeout.ms; close returns", {
    timeout: 60_000,
  }, async () => {
    const TIMEOUT_MS = 3_000;
    const AFTER_KILL = 1_000; // sends per producer once the broker is dead
    const topic = `failover-dead-${crypto.randomUUID()}`;
    // librdkafka times out messages already moved to a broker's transmit queue only
    // when that broker's thread wakes up, and while the broker is down it sleeps for
    // the reconnect backoff (up to reconnect.backoff.max.ms, 10 s by default): the
    // next-timeout of the transmit queue is never recorded as a wake-up (still so in
    // 2.12, rd_kafka_broker_toppar_msgq_scan). So a rejection may come that much after
    // message.timeout.ms; the bound allows it, plus 1 s of librdkafka's scan interval
    // and 1 s of slack. With a short backoff the bound is tight.
    const configs: Array<{ name: string; conf: ClientConfig; lateMs: number }> = [
      { name: "plain", conf: {}, lateMs: 10_000 + 2_000 },
      { name: "idempotent", conf: { "enable.idempotence": true }, lateMs: 10_000 + 2_000 },
      {
        name: "idempotent, backoff 500 ms",
        conf: { "enable.idempotence": true, "reconnect.backoff.max.ms": 500 },
        lateMs: 500 + 2_000,
      },
    ];
    type Outcome = { ok: boolean; name?: string; sentAt: number; at: number };
    const runs = configs.map(({ name, conf, lateMs }) => {
      const p = new Producer({
        "bootstrap.servers": BOOTSTRAP,
        "message.timeout.ms": TIMEOUT_MS,
        "linger.ms": 5,
        ...conf,
      });
      const outcomes: Outcome[] = [];
      const sends: Promise<void>[] = [];
      const send = (value: string) => {
        const sentAt = performance.now();
        sends.push(
          p.send({ topic, value }).then(
            () => void outcomes.push({ ok: true, sentAt, at: performance.now() }),
            (e: unknown) =>
              void outcomes.push({
                ok: false,
                name: e instanceof KafkaError ? e.name : String(e),
                sentAt,
                at: performance.now(),
              }),
          ),
        );
      };
      return { name, lateMs, p, seen: quiet(p), outcomes, sends, send };
    });
    try {
      // Every producer knows the topic and its leader before the broker goes.
      for (const r of runs) await r.p.send({ topic, value: "warm-up" });

      // Keep sending while the kill happens, so messages are in flight or queued at the
      // moment the broker dies; then more once it is surely dead.
      const tKill = performance.now();
      let killed = false;
      const kill = broker.run("kill").then((out) => {
        killed = true;
        report(out);
      });
      let during = 0;
      while (!killed && during < 50_000) {
        for (let i = 0; i < 100; i++, during++) for (const r of runs) r.send(`during-${during}`);
        await sleep(5);
      }
      await kill;
      const killMs = ms(tKill);
      for (let i = 0; i < AFTER_KILL; i++) for (const r of runs) r.send(`after-${i}`);
      const total = during + AFTER_KILL;

      for (const r of runs) {
        // Bounded: every send settles by message.timeout.ms + the allowance after the last one.
        const deadline = performance.now() + TIMEOUT_MS + r.lateMs;
        const all = Promise.all(r.sends).then(() => "settled" as const);
        const hung = sleep(deadline - performance.now()).then(() => "hung" as const);
        const outcome = await Promise.race([all, hung]);
        const ok = r.outcomes.filter((o) => o.ok);
        const bad = r.outcomes.filter((o) => !o.ok);
        const names = new Map<string, number>();
        for (const o of bad) names.set(o.name!, (names.get(o.name!) ?? 0) + 1);
        const waits = bad.map((o) => o.at - o.sentAt);
        const minWait = waits.length ? Math.round(waits.reduce((m, w) => Math.min(m, w), Infinity)) : -1;
        const maxWait = waits.length ? Math.round(waits.reduce((m, w) => Math.max(m, w), -Infinity)) : -1;
        const last = r.outcomes.length
          ? Math.round(r.outcomes.reduce((m, o) => Math.max(m, o.at), -Infinity) - tKill)
          : -1;
        report(
          `(b) ${r.name}: ${outcome}; ${r.outcomes.length}/${total} settled (${during} sent during the kill, ` +
            `${AFTER_KILL} after): ${ok.length} resolved, ${bad.length} rejected ` +
            `${JSON.stringify(Object.fromEntries(names))}, ${minWait}-${maxWait} ms after their send; ` +
            `last settled ${last} ms after the kill started (kill took ${killMs} ms); ` +
            `error events ${JSON.stringify(Object.fromEntries(r.seen.errors))}`,
        );
        assert.equal(outcome, "settled", `${r.name}: every send settled (${r.outcomes.length} of ${total})`);
        assert.equal(r.outcomes.length, total);
        assert.ok(bad.length >= AFTER_KILL, `${r.name}: at least the sends after the kill rejected`);
        for (const [n, c] of names) assert.equal(n, "_MSG_TIMED_OUT", `${r.name}: ${c} rejected with ${n}`);
        // Not before message.timeout.ms (librdkafka counts from enqueue), not long after.
        assert.ok(minWait >= TIMEOUT_MS - 50, `${r.name}: no rejection before message.timeout.ms (${minWait} ms)`);
        assert.ok(maxWait <= TIMEOUT_MS + r.lateMs, `${r.name}: rejected within ${TIMEOUT_MS + r.lateMs} ms`);
        assert.deepEqual(r.seen.fatal.map((e) => e.message), [], `${r.name}: no fatal error`);
      }

      // close() with nothing pending, the broker still gone: bounded.
      for (const r of runs) {
        const tc = performance.now();
        await r.p.close({ timeoutMs: 5_000 });
        const closeMs = ms(tc);
        report(`(b) ${r.name}: close ${closeMs} ms`);
        assert.ok(closeMs < 5_000, `${r.name}: close returned in ${closeMs} ms`);
      }

      // close() with sends pending on the dead broker: it purges them and returns.
      const p = new Producer({ "bootstrap.servers": BOOTSTRAP, "message.timeout.ms": 60_000 });
      quiet(p);
      const pending = Array.from({ length: 1_000 }, (_, i) => p.send({ topic, value: `late-${i}` }));
      const settled = Promise.allSettled(pending);
      const tc = performance.now();
      await p.close({ timeoutMs: 1_000 });
      const closeMs = ms(tc);
      const results = await settled;
      const names = new Set(results.map((r) => r.status === "rejected" ? (r.reason as KafkaError).name : "resolved"));
      report(`(b) close({ timeoutMs: 1000 }) with 1000 sends pending: ${closeMs} ms, outcomes ${[...names]}`);
      assert.deepEqual([...names], ["_PURGE_QUEUE"]);
      assert.ok(closeMs < 1_000 + 5_000, `close with pending sends returned in ${closeMs} ms`);
    } finally {
      for (const r of runs) await r.p.close({ timeoutMs: 1_000 });
    }
  });

  it("a group consumer's close while the broker is dead is bounded; the pending commit and the close reject", {
    timeout: 120_000,
  }, async () => {
    report(await broker.run("start")); // the test before left it dead
    const topic = `failover-group-${crypto.randomUUID()}`;
    const p = new Producer({ "bootstrap.servers": BOOTSTRAP });
    quiet(p);
    for (let i = 0; i < 10; i++) await p.send({ topic, value: `m${i}` });
    await p.close();
    const base = currentLimits().openClients;
    // Auto-commit on (the default): librdkafka's close commits the stored offset, and
    // that commit is what waited for the dead coordinator (and destroy with it).
    const c = new Consumer({
      "bootstrap.servers": BOOTSTRAP,
      "group.id": `failover-${crypto.randomUUID()}`,
      "auto.offset.reset": "earliest",
      "log_level": 0,
    }, { topics: [topic] });
    c.on("error", () => {});
    const m = await c.read({ timeoutMs: 60_000 });
    assert.ok(m !== null, "read a message before the kill");
    report(await broker.run("kill"));
    const name = (e: unknown) => (e instanceof KafkaError ? e.name : String(e));
    const commit = c.commit().then(() => "resolved", (e) => `rejected ${name(e)}`);
    const t0 = performance.now();
    const closed = await Promise.race([
      c.close({ timeoutMs: 2_000 }).then(() => "resolved", (e) => `rejected ${name(e)}`),
      sleep(30_000).then(() => "hung"),
    ]);
    const closeMs = ms(t0);
    const committed = await Promise.race([commit, sleep(1_000).then(() => "hung")]);
    report(`(c) group consumer close, broker dead: ${closed} in ${closeMs} ms; commit ${committed}`);
    assert.equal(closed, "rejected _TIMED_OUT", "close gave up on the group and said so");
    assert.ok(closeMs <= 2_000 + CLOSE_MARGIN_MS + 250, `close settled in ${closeMs} ms`);
    assert.match(committed, /^rejected /, "the commit issued before close settled");
    assert.equal(currentLimits().openClients, base, "the consumer's slot was given back");
  });
});
