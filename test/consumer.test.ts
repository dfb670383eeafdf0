/**
 * Consumer integration tests: what `read`, `readBatch`, async iteration and
 * `stream()` hand out (every message exactly once, in partition order, bytes
 * intact), read timeouts and aborts, message fields, commits and restarts,
 * assignments, seek, pause/resume, offsets queries, partition EOF, and misuse.
 *
 * Runs on both tiers (see test/helpers/cluster.ts): librdkafka's mock cluster by
 * default, a real Kafka broker with KAFKA_BOOTSTRAP set. Where the two differ
 * (`offsetsForTimes`: the mock answers no timestamp query), the test asserts what
 * each tier does, chosen with `clusterKind()`.
 *
 * Most tests assign partitions (no group join: the mock takes about 3 s per join);
 * commits use a `group.id` with `assign()`, and one restart test subscribes.
 *
 *   bun test --timeout 120000 test/consumer.test.ts
 *   deno test -A --v8-flags=--expose-gc test/consumer.test.ts
 *   KAFKA_BOOTSTRAP=127.0.0.1:9092 bun test --timeout 120000 test/consumer.test.ts
 *
 * @module
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  ClosedError,
  ConfigError,
  Consumer,
  type ConsumerOptions,
  KafkaError,
  type Message,
  OFFSET,
  type PartitionEof,
  Producer,
  type ProducerMessage,
  type RebalanceEvent,
} from "../src/mod.ts";
import type { ClientConfig } from "../src/producer.ts";
import { clusterKind, clusterLabel, type TestCluster, testCluster } from "./helpers/cluster.ts";
import { sleep } from "./helpers/runtime.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);
const bytes = (u: Uint8Array | null | undefined) => (u === null || u === undefined ? u : Array.from(u));
const uuid = () => crypto.randomUUID();

/** Reads until `n` messages arrived (readBatch), failing with what arrived when `timeoutMs` passes first. */
async function readN(c: Consumer, n: number, timeoutMs = 20_000, maxMessages = 10_000): Promise<Message[]> {
  const out: Message[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < n) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    const batch = await c.readBatch({ maxMessages: Math.min(maxMessages, n - out.length), timeoutMs: left });
    out.push(...batch);
  }
  assert.equal(out.length, n, `read ${out.length} of ${n} messages within ${timeoutMs} ms`);
  return out;
}

/** Waits until `check()` holds (a test helper may poll; the library may not). */
async function eventually(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`not within ${timeoutMs} ms: ${what}`);
    await sleep(10);
  }
}

const offsetsOf = (ms: readonly Message[]) => ms.map((m) => m.offset);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => BigInt(from + i));
const byPartition = (ms: readonly Message[], p: number) => ms.filter((m) => m.partition === p);

describe(`Consumer (${clusterLabel()})`, () => {
  let cluster: TestCluster;
  let bootstrap: string;
  let producer: Producer;
  const open: Consumer[] = [];

  /** A consumer closed at the end of the file if the test did not close it. */
  const consumer = (config: ClientConfig = {}, options?: ConsumerOptions): Consumer => {
    const c = new Consumer({ "bootstrap.servers": bootstrap, "auto.offset.reset": "earliest", ...config }, options);
    open.push(c);
    return c;
  };
  const grouped = (config: ClientConfig = {}, options?: ConsumerOptions) =>
    consumer({ "group.id": `g-${uuid()}`, "enable.auto.commit": false, ...config }, options);

  const newTopic = async (partitions: number): Promise<string> => {
    const t = `t-${uuid()}`;
    await cluster.createTopic(t, { partitions });
    return t;
  };

  /** Produces `msgs` (one sendMulti) and asserts every one was delivered. */
  const produce = async (msgs: ProducerMessage[]) => {
    const res = await producer.sendMulti(msgs);
    const failed = res.findIndex((r) => r.status !== "fulfilled");
    assert.equal(
      failed,
      -1,
      failed >= 0 ? `message ${failed}: ${String((res[failed] as PromiseRejectedResult).reason)}` : "",
    );
    return res.map((r) => (r as PromiseFulfilledResult<{ offset: bigint; partition: number }>).value);
  };
  /** `count` messages "v<i>" to one partition. */
  const fill = (topic: string, partition: number, count: number, from = 0) =>
    produce(Array.from({ length: count }, (_, i) => ({ topic, partition, value: `v${from + i}` })));

  before(async () => {
    cluster = await testCluster();
    bootstrap = cluster.bootstrapServers;
    producer = new Producer({ "bootstrap.servers": bootstrap, "linger.ms": 5 });
  });

  after(async () => {
    await Promise.allSettled(open.map((c) => c.close()));
    await producer?.close();
    await cluster?.close();
  });

  // 1 -----------------------------------------------------------------------------
  it("round trip: 100,000 messages over 4 partitions, each read once, in partition order, bytes intact", async () => {
    const topic = await newTopic(4);
    const N = 100_000;
    const P = 4;
    const valueOf = (seq: number) => {
      const v = new Uint8Array(32);
      new DataView(v.buffer).setUint32(0, seq);
      for (let j = 4; j < v.length; j++) v[j] = (seq * 31 + j * 7) & 0xff;
      return v;
    };
    const CHUNK = 10_000;
    for (let start = 0; start < N; start += CHUNK) {
      await produce(
        Array.from({ length: CHUNK }, (_, i) => {
          const seq = start + i;
          return { topic, partition: seq % P, key: `key-${seq}`, value: valueOf(seq) };
        }),
      );
    }

    const c = consumer();
    await c.assign(Array.from({ length: P }, (_, partition) => ({ topic, partition, offset: 0n })));
    const got = await readN(c, N, 60_000);
    // Nothing beyond the N messages.
    assert.deepEqual(await c.readBatch({ maxMessages: 100, timeoutMs: 300 }), []);

    const per: number[][] = Array.from({ length: P }, () => []);
    const seen = new Set<number>();
    let bad = 0;
    for (const m of got) {
      assert.equal(m.topic, topic);
      const v = m.value!;
      const seq = new DataView(v.buffer, v.byteOffset, v.byteLength).getUint32(0);
      assert.ok(!seen.has(seq), `message ${seq} read twice`);
      seen.add(seq);
      // The partition's messages come in offset order, offsets 0, 1, 2, … with no gap.
      const list = per[m.partition];
      assert.equal(m.offset, BigInt(list.length), `partition ${m.partition}: offset after ${list.length} messages`);
      list.push(seq);
      if (m.keyText() !== `key-${seq}` || bytes(v)!.join() !== bytes(valueOf(seq))!.join()) bad++;
    }
    assert.equal(bad, 0, "messages with a wrong key or value");
    assert.equal(seen.size, N);
    // Per partition, the values show the produced order.
    for (let p = 0; p < P; p++) {
      assert.equal(per[p].length, N / P);
      assert.ok(per[p].every((seq, i) => seq === p + i * P), `partition ${p} out of produced order`);
    }
    await c.close();
  });

  it("concurrent reads share the stream: each message goes to exactly one read, in read order", async () => {
    const topic = await newTopic(1);
    await fill(topic, 0, 10);
    const c = consumer();
    await c.assign([{ topic, partition: 0, offset: 0n }]);
    const [a, b, batch] = await Promise.all([
      c.read({ timeoutMs: 10_000 }),
      c.read({ timeoutMs: 10_000 }),
      c.readBatch({ maxMessages: 3, timeoutMs: 10_000 }),
    ]);
    assert.ok(a && b && batch.length > 0);
    const first = [a, b, ...batch];
    assert.deepEqual(offsetsOf(first), range(0, first.length));
    const rest = await readN(c, 10 - first.length, 10_000);
    assert.deepEqual(offsetsOf([...first, ...rest]), range(0, 10));
    await c.close();
  });

  // 2 -----------------------------------------------------------------------------
  it("read timeout: read() resolves null and readBatch() [] at their timeouts, without holding the loop", async () => {
    const topic = await newTopic(1);
    const c = consumer();
    await c.assign([{ topic, partition: 0, offset: 0n }]);

    let timerAt = -1;
    const t0 = performance.now();
    setTimeout(() => (timerAt = performance.now()), 10);
    const m = await c.read({ timeoutMs: 500 });
    const readAt = performance.now();
    assert.equal(m, null);
    assert.ok(timerAt > 0 && timerAt < readAt, "the 10 ms timer fired before the read resolved");
    assert.ok(readAt - t0 >= 490, `read resolved after ${readAt - t0} ms, before its 500 ms timeout`);

    timerAt = -1;
    const t1 = performance.now();
    setTimeout(() => (timerAt = performance.now()), 10);
    const batch = await c.readBatch({ maxMessages: 100, timeoutMs: 400 });
    const batchAt = performance.now();
    assert.deepEqual(batch, []);
    assert.ok(timerAt > 0 && timerAt < batchAt, "the 10 ms timer fired before readBatch resolved");
    assert.ok(batchAt - t1 >= 390, `readBatch resolved after ${batchAt - t1} ms, before its 400 ms timeout`);

    // timeoutMs 0: whatever is there now, else null at once.
    assert.equal(await c.read({ timeoutMs: 0 }), null);
    await c.close();

    // readTimeoutMs is the default timeout.
    const d = consumer({}, { readTimeoutMs: 300 });
    await d.assign([{ topic, partition: 0, offset: 0n }]);
    const t2 = performance.now();
    assert.equal(await d.read(), null);
    assert.ok(performance.now() - t2 >= 290, "read() without timeoutMs waits readTimeoutMs");
    // A message arriving while a read waits resolves it at once, with that message.
    const waiting = d.read({ timeoutMs: 20_000 });
    await fill(topic, 0, 1);
    const got = await waiting;
    assert.equal(got?.text(), "v0");
    await d.close();
  });

  // 3 -----------------------------------------------------------------------------
  it("abort: an aborted signal rejects at once, aborting a waiting read rejects with the reason, nothing is lost", async () => {
    const topic = await newTopic(1);
    await fill(topic, 0, 1);
    const c = consumer();
    await c.assign([{ topic, partition: 0, offset: 0n }]);
    assert.equal((await c.read({ timeoutMs: 10_000 }))?.offset, 0n);

    // Already aborted: rejects with the reason, and takes nothing.
    const reason = new Error("already stopped");
    await assert.rejects(c.read({ signal: AbortSignal.abort(reason) }), (e) => e === reason);
    await assert.rejects(c.readBatch({ maxMessages: 5, signal: AbortSignal.abort(reason) }), (e) => e === reason);
    // Without a reason, the signal's default reason (an AbortError DOMException).
    await assert.rejects(c.read({ signal: AbortSignal.abort() }), (e) => (e as Error).name === "AbortError");

    // Aborting a read that waits.
    const ac = new AbortController();
    const stop = new Error("user stop");
    const t0 = performance.now();
    const waiting = c.read({ timeoutMs: 30_000, signal: ac.signal });
    setTimeout(() => ac.abort(stop), 50);
    await assert.rejects(waiting, (e) => e === stop);
    assert.ok(performance.now() - t0 < 25_000, "the abort, not the timeout, ended the read");

    // A batch read too.
    const ac2 = new AbortController();
    const batch = c.readBatch({ maxMessages: 10, timeoutMs: 30_000, signal: ac2.signal });
    ac2.abort("plain reason");
    await assert.rejects(batch, (e) => e === "plain reason");

    // The consumer still works: the next message is the next offset.
    await fill(topic, 0, 2, 1);
    const next = await c.read({ timeoutMs: 10_000 });
    assert.equal(next?.offset, 1n);
    assert.equal(next?.text(), "v1");

    // A signal aborted after its read resolved changes nothing.
    const ac3 = new AbortController();
    const done = await c.read({ timeoutMs: 10_000, signal: ac3.signal });
    assert.equal(done?.offset, 2n);
    ac3.abort(new Error("late"));
    await fill(topic, 0, 1, 3);
    assert.equal((await c.read({ timeoutMs: 10_000 }))?.offset, 3n);
    await c.close();
  });

  // 4 -----------------------------------------------------------------------------
  it("message fields: topic, partition, offset, key, value, tombstone, headers, timestamps, text/json helpers", async () => {
    const topic = await newTopic(2);
    const T = 1_650_000_000_123;
    const before = Date.now();
    await produce([
      {
        topic,
        partition: 1,
        key: "k-1",
        value: JSON.stringify({ a: 1, b: ["x"] }),
        headers: [["h", "1"], ["x", utf8("y")], ["h", "2"], ["n", null], ["h", ""]],
        timestamp: T,
      },
      { topic, partition: 1, key: "gone", value: null, timestamp: T + 1 },
      { topic, partition: 1, value: "not json {", headers: [] },
      { topic, partition: 1, key: "", value: "" },
      { topic, partition: 1, key: new Uint8Array([0, 255, 0]), value: new Uint8Array([1, 0, 2]) },
    ]);
    const afterSend = Date.now();
    const c = consumer();
    await c.assign([{ topic, partition: 1, offset: 0n }]);
    const [m0, m1, m2, m3, m4] = await readN(c, 5, 10_000);

    assert.equal(m0.topic, topic);
    assert.equal(m0.partition, 1);
    assert.equal(typeof m0.offset, "bigint");
    assert.deepEqual(offsetsOf([m0, m1, m2, m3, m4]), range(0, 5));
    assert.deepEqual(bytes(m0.key), bytes(utf8("k-1")));
    assert.equal(m0.keyText(), "k-1");
    assert.equal(m0.text(), '{"a":1,"b":["x"]}');
    assert.deepEqual(m0.json(), { a: 1, b: ["x"] });
    assert.deepEqual(m0.headers.map(([k, v]) => [k, bytes(v)]), [
      ["h", [49]],
      ["x", [121]],
      ["h", [50]],
      ["n", null],
      ["h", []],
    ]);
    assert.deepEqual(bytes(m0.header("h")), [49], "header() gives the first of repeated names");
    assert.equal(m0.header("n"), null, "a header without value");
    assert.equal(m0.header("missing"), undefined);
    // The CreateTime set on produce, on both tiers (the mock's LogAppendTime 1234 is only in delivery reports).
    assert.equal(m0.timestamp, T);
    assert.equal(m0.timestampType, "CreateTime");
    assert.equal(m1.timestamp, T + 1);

    // A tombstone: key kept, value null.
    assert.equal(m1.keyText(), "gone");
    assert.equal(m1.value, null);
    assert.equal(m1.text(), "");
    assert.throws(() => m1.json(), SyntaxError);

    // No key, no headers, not JSON; no timestamp given means the send time, as CreateTime.
    assert.equal(m2.key, null);
    assert.equal(m2.keyText(), null);
    assert.deepEqual(m2.headers, []);
    assert.equal(m2.header("h"), undefined);
    assert.equal(m2.timestampType, "CreateTime");
    assert.ok(m2.timestamp >= before && m2.timestamp <= afterSend, `timestamp ${m2.timestamp}`);
    assert.throws(
      () => m2.json(),
      (e) => e instanceof SyntaxError && e.message.includes(`${topic}[1]@2`) && /not JSON/.test(e.message),
    );

    // Empty key and value are empty, not null.
    assert.deepEqual(bytes(m3.key), []);
    assert.equal(m3.keyText(), "");
    assert.deepEqual(bytes(m3.value), []);
    assert.equal(m3.text(), "");

    // Binary bytes intact.
    assert.deepEqual(bytes(m4.key), [0, 255, 0]);
    assert.deepEqual(bytes(m4.value), [1, 0, 2]);
    assert.equal(m4.zeroCopy, false, "a small value is a copy");
    await c.close();
    // Copied messages outlive their consumer.
    assert.equal(m0.text(), '{"a":1,"b":["x"]}');
    assert.deepEqual(bytes(m4.value), [1, 0, 2]);
  });

  it("large values: zero-copy views with bytes intact, copied out at close, detached by release()", async () => {
    const topic = await newTopic(1);
    const big = (seed: number) => Uint8Array.from({ length: 200_000 }, (_, i) => (i * seed + (i >> 8)) & 0xff);
    await produce([0, 1, 2].map((i) => ({ topic, partition: 0, value: big(i + 3) })));

    const c = consumer();
    await c.assign([{ topic, partition: 0, offset: 0n }]);
    const [a, b, d] = await readN(c, 3, 10_000);
    for (const [m, seed] of [[a, 3], [b, 4], [d, 5]] as const) {
      assert.equal(m.zeroCopy, true);
      assert.ok(m.value!.every((x, i) => x === ((i * seed + (i >> 8)) & 0xff)), `value of offset ${m.offset}`);
    }
    const view = b.value!;
    b.release();
    assert.equal(b.zeroCopy, false);
    assert.equal(view.length, 0, "a view kept past release() is detached");
    assert.throws(() => b.value, ClosedError);
    b.release(); // idempotent
    await c.close();
    // close() copied the values still held.
    assert.equal(a.zeroCopy, false);
    assert.equal(a.value!.length, 200_000);
    assert.ok(a.value!.every((x, i) => x === ((i * 3 + (i >> 8)) & 0xff)));

    // copyThreshold: Infinity copies everything.
    const e = consumer({}, { copyThreshold: Infinity });
    await e.assign([{ topic, partition: 0, offset: 2n }]);
    const m = await e.read({ timeoutMs: 10_000 });
    assert.equal(m?.zeroCopy, false);
    assert.ok(m!.value!.every((x, i) => x === ((i * 5 + (i >> 8)) & 0xff)));
    await e.close();
  });

  // 5 -----------------------------------------------------------------------------
  it("async iteration: for-await with break, messages({ signal }), stream(); nothing skipped between them", async () => {
    const topic = await newTopic(1);
    await fill(topic, 0, 20);
    const c = consumer();
    await c.assign([{ topic, partition: 0, offset: 0n }]);

    const loop: Message[] = [];
    for await (const m of c) {
      loop.push(m);
      if (loop.length === 5) break;
    }
    assert.deepEqual(offsetsOf(loop), range(0, 5));
    // Leaving the loop took nothing more: the next read is the next message.
    assert.equal((await c.read({ timeoutMs: 10_000 }))?.offset, 5n);

    // messages({ signal }): the loop ends without an error when the signal aborts while it waits.
    const ac = new AbortController();
    const viaSignal: Message[] = [];
    for await (const m of c.messages({ signal: ac.signal })) {
      viaSignal.push(m);
      if (m.offset === 19n) setTimeout(() => ac.abort(new Error("enough")), 100);
    }
    assert.deepEqual(offsetsOf(viaSignal), range(6, 20));
    await fill(topic, 0, 10, 20);

    // A Web ReadableStream: read a few, cancel; the consumer goes on from the next one.
    const reader = c.stream().getReader();
    const fromStream: bigint[] = [];
    for (let i = 0; i < 3; i++) {
      const { value, done } = await reader.read();
      assert.equal(done, false);
      fromStream.push(value!.offset);
    }
    await reader.cancel();
    assert.deepEqual(fromStream, range(20, 23));
    assert.equal((await c.read({ timeoutMs: 10_000 }))?.offset, 23n);

    // Cancelling a stream whose read waits (nothing left after offset 29) ends that read as done.
    const rest = await readN(c, 6, 10_000);
    assert.deepEqual(offsetsOf(rest), range(24, 30));
    const r2 = c.stream().getReader();
    const pending = r2.read();
    await sleep(50);
    await r2.cancel();
    assert.deepEqual(await pending, { done: true, value: undefined });
    await fill(topic, 0, 1, 30);
    assert.equal((await c.read({ timeoutMs: 10_000 }))?.offset, 30n, "the cancelled stream took nothing");

    // The loop ends when the consumer is closed while it waits.
    const ended: Message[] = [];
    const loopDone = (async () => {
      for await (const m of c) ended.push(m);
      return "ended";
    })();
    await sleep(100);
    await c.close();
    assert.equal(await loopDone, "ended");
    assert.deepEqual(ended, []);
  });

  // 6 -----------------------------------------------------------------------------
  it("manual commits: commit(message), commit() of stored offsets, explicit offsets, nothing new → []", async () => {
    const topic = await newTopic(1);
    await fill(topic, 0, 20);
    const tp = { topic, partition: 0 };
    const c = grouped();
    await c.assign([tp]);
    const first = await readN(c, 3, 10_000, 1);
    assert.deepEqual(offsetsOf(first), range(0, 3));

    // commit(message) commits its offset + 1 (the next to read).
    assert.deepEqual(await c.commit(first[2]), [{ ...tp, offset: 3n }]);
    assert.deepEqual(await c.committed(), [{ ...tp, offset: 3n }]);
    assert.deepEqual(await c.committed([tp], { timeoutMs: 10_000 }), [{ ...tp, offset: 3n }]);

    // commit(): the offsets stored for every message handed out.
    const more = await readN(c, 2, 10_000, 1);
    assert.deepEqual(offsetsOf(more), [3n, 4n]);
    assert.deepEqual(await c.commit(), [{ ...tp, offset: 5n }]);
    assert.deepEqual(await c.committed(), [{ ...tp, offset: 5n }]);
    // Nothing new since: [].
    assert.deepEqual(await c.commit(), []);

    // Explicit offsets, and a list of messages.
    assert.deepEqual(await c.commit([{ ...tp, offset: 8n }]), [{ ...tp, offset: 8n }]);
    assert.deepEqual(await c.committed(), [{ ...tp, offset: 8n }]);
    const m5 = await c.read({ timeoutMs: 10_000 });
    assert.equal(m5?.offset, 5n);
    assert.deepEqual(await c.commit([m5!]), [{ ...tp, offset: 6n }]);
    assert.deepEqual(await c.committed(), [{ ...tp, offset: 6n }]);
    await c.close();

    // A partition nobody committed: offset undefined.
    const other = await newTopic(1);
    const d = grouped();
    assert.deepEqual(await d.committed([{ topic: other, partition: 0 }]), [{
      topic: other,
      partition: 0,
      offset: undefined,
    }]);
    await d.close();
  });

  it("storeOffsets with enable.auto.offset.store=false: only stored offsets are committed", async () => {
    const topic = await newTopic(1);
    await fill(topic, 0, 10);
    const tp = { topic, partition: 0 };
    const c = grouped({ "enable.auto.offset.store": false });
    await c.assign([tp]);
    const got = await readN(c, 5, 10_000);
    // Reading stored nothing.
    assert.deepEqual(await c.commit(), []);
    c.storeOffsets([got[2]]);
    assert.deepEqual(await c.commit(), [{ ...tp, offset: 3n }]);
    assert.deepEqual(await c.committed(), [{ ...tp, offset: 3n }]);
    c.storeOffsets([{ ...tp, offset: 5n }]);
    assert.deepEqual(await c.commit(), [{ ...tp, offset: 5n }]);
    assert.deepEqual(await c.committed(), [{ ...tp, offset: 5n }]);
    assert.deepEqual(await c.commit(), []);
    assert.throws(() => c.storeOffsets([{ ...tp, offset: 5 as unknown as bigint }]), /offset must be a bigint/);
    await c.close();

    // With automatic offset store on, librdkafka refuses explicit stores.
    const d = grouped();
    await d.assign([tp]);
    assert.throws(
      () => d.storeOffsets([{ ...tp, offset: 1n }]),
      (e) => e instanceof KafkaError && e.name === "_INVALID_ARG",
    );
    await d.close();
  });

  // 7 -----------------------------------------------------------------------------
  it("restart with manual commits: the next member of the group continues at the committed offsets", async () => {
    const topic = await newTopic(3);
    const N = 300;
    await produce(Array.from({ length: N }, (_, i) => ({ topic, partition: i % 3, value: `m${i}` })));
    const group = `g-${uuid()}`;
    const config = { "group.id": group, "enable.auto.commit": false };

    const rebalances: RebalanceEvent[] = [];
    const c1 = consumer(config, { topics: [topic] });
    c1.on("rebalance", (e) => rebalances.push(e));
    const part1 = await readN(c1, 130, 30_000, 10);
    const committed = await c1.commit();
    assert.equal(rebalances[0]?.type, "assign");
    assert.deepEqual(rebalances[0].partitions.map((p) => p.partition).sort(), [0, 1, 2]);
    // What was committed is, per partition, one past the last message read.
    for (const p of [0, 1, 2]) {
      const mine = byPartition(part1, p);
      const at = committed.find((t) => t.partition === p)?.offset;
      assert.equal(at, mine.length === 0 ? undefined : mine[mine.length - 1].offset + 1n, `partition ${p}`);
    }
    await c1.close();

    const c2 = consumer(config, { topics: [topic] });
    const part2 = await readN(c2, N - 130, 30_000);
    assert.equal(await c2.read({ timeoutMs: 500 }), null, "no message beyond the rest");
    for (const p of [0, 1, 2]) {
      const first = byPartition(part2, p)[0];
      const at = committed.find((t) => t.partition === p)?.offset ?? 0n;
      if (first) assert.equal(first.offset, at, `partition ${p} continues at the committed offset`);
    }
    const all = [...part1, ...part2].map((m) => m.text());
    assert.equal(new Set(all).size, N, "no duplicate");
    assert.deepEqual([...all].sort(), Array.from({ length: N }, (_, i) => `m${i}`).sort(), "no loss");
    await c2.close();
  });

  // 8 -----------------------------------------------------------------------------
  it("assign with offsets (no group.id), assignment(), replace, unassign; subscribe without group.id rejects", async () => {
    const topic = await newTopic(2);
    await fill(topic, 0, 5);
    await fill(topic, 1, 5, 100);
    const c = consumer();
    assert.deepEqual(c.assignment(), []);
    await c.assign([{ topic, partition: 0, offset: 2n }, { topic, partition: 1, offset: 4n }]);
    const sorted = (tps: { topic: string; partition: number }[]) => [...tps].sort((x, y) => x.partition - y.partition);
    assert.deepEqual(sorted(c.assignment()), [{ topic, partition: 0 }, { topic, partition: 1 }]);
    const got = await readN(c, 4, 10_000);
    assert.deepEqual(offsetsOf(byPartition(got, 0)), [2n, 3n, 4n]);
    assert.deepEqual(byPartition(got, 1).map((m) => [m.offset, m.text()]), [[4n, "v104"]]);

    // Special offsets: BEGINNING, END.
    await c.assign([{ topic, partition: 0, offset: OFFSET.BEGINNING }]);
    assert.deepEqual(c.assignment(), [{ topic, partition: 0 }]);
    assert.equal((await c.read({ timeoutMs: 10_000 }))?.offset, 0n);
    await c.assign([{ topic, partition: 1, offset: OFFSET.END }]);
    assert.deepEqual(c.assignment(), [{ topic, partition: 1 }]);
    assert.equal(await c.read({ timeoutMs: 500 }), null, "END: only new messages");
    await fill(topic, 1, 1, 105);
    const fresh = await c.read({ timeoutMs: 10_000 });
    assert.deepEqual([fresh?.partition, fresh?.offset, fresh?.text()], [1, 5n, "v105"]);

    await c.unassign();
    assert.deepEqual(c.assignment(), []);
    await fill(topic, 1, 1, 106);
    assert.equal(await c.read({ timeoutMs: 500 }), null, "nothing after unassign");

    // Without group.id: subscribe and commit reject with ConfigError naming group.id.
    await assert.rejects(c.subscribe([topic]), (e) => e instanceof ConfigError && e.key === "group.id");
    await assert.rejects(c.commit(), (e) => e instanceof ConfigError && e.key === "group.id");
    await assert.rejects(c.subscribe([]), TypeError);
    await assert.rejects(c.assign([{ topic, partition: -1 }]), /partitions\[0\]\.partition/);
    await assert.rejects(c.assign([{ topic: "", partition: 0 }]), /partitions\[0\]\.topic/);
    await c.close();
  });

  it("unassign drops messages already fetched: nothing of an unassigned partition is handed out", async () => {
    const topic = await newTopic(2);
    await fill(topic, 0, 20);
    await fill(topic, 1, 20);
    const c = consumer();
    await c.assign([{ topic, partition: 0, offset: 0n }, { topic, partition: 1, offset: 0n }]);
    // One read lets librdkafka fetch (and this library pick up) more than it hands out.
    assert.ok(await c.read({ timeoutMs: 10_000 }));
    await sleep(200);
    await c.unassign();
    const after = await c.readBatch({ maxMessages: 100, timeoutMs: 500 });
    assert.deepEqual(after.map((m) => `${m.partition}@${m.offset}`), [], "messages after unassign()");

    // Replacing the assignment drops what was fetched for the partition left out.
    await c.assign([{ topic, partition: 0, offset: 0n }, { topic, partition: 1, offset: 0n }]);
    assert.ok(await c.read({ timeoutMs: 10_000 }));
    await sleep(200);
    await c.assign([{ topic, partition: 1, offset: 10n }]);
    const rest = await readN(c, 10, 10_000);
    assert.deepEqual(rest.map((m) => `${m.partition}@${m.offset}`), range(10, 20).map((o) => `1@${o}`));
    await c.close();
  });

  // 9 -----------------------------------------------------------------------------
  it("seek back and forward: the next read returns the sought offset", async () => {
    const topic = await newTopic(1);
    await fill(topic, 0, 20);
    const c = consumer();
    const tp = { topic, partition: 0 };
    await c.assign([{ ...tp, offset: 0n }]);
    assert.deepEqual(offsetsOf(await readN(c, 5, 10_000, 1)), range(0, 5));
    await sleep(100); // let later messages be fetched: seek must drop them

    c.seek({ ...tp, offset: 0n });
    assert.equal((await c.read({ timeoutMs: 10_000 }))?.offset, 0n);
    assert.equal((await c.read({ timeoutMs: 10_000 }))?.offset, 1n);
    c.seek({ ...tp, offset: 15n });
    assert.deepEqual(offsetsOf(await readN(c, 5, 10_000)), range(15, 20));
    c.seek({ ...tp, offset: OFFSET.BEGINNING });
    assert.equal((await c.read({ timeoutMs: 10_000 }))?.offset, 0n);
    c.seek({ ...tp, offset: 7n });
    assert.equal((await c.read({ timeoutMs: 10_000 }))?.offset, 7n);
    assert.deepEqual(c.position(), [{ ...tp, offset: 8n }]);

    // Bad arguments name the field.
    assert.throws(
      () => c.seek({ ...tp, offset: 3 as unknown as bigint }),
      (e) => e instanceof TypeError && /offset/.test(e.message),
    );
    assert.throws(
      () => c.seek({ topic: "", partition: 0, offset: 0n }),
      (e) => e instanceof TypeError && /topic/.test(e.message),
    );
    assert.throws(
      () => c.seek({ topic, partition: -1, offset: 0n }),
      (e) => e instanceof TypeError && /partition/.test(e.message),
    );
    assert.throws(
      () => c.seek({ topic, partition: 1.5, offset: 0n }),
      (e) => e instanceof TypeError && /partition/.test(e.message),
    );
    assert.throws(() => c.seek(null as unknown as { topic: string; partition: number; offset: bigint }), TypeError);
    // The consumer goes on after refused seeks.
    assert.equal((await c.read({ timeoutMs: 10_000 }))?.offset, 8n);
    await c.close();
  });

  it("pause/resume: a paused partition hands out nothing while others go on, then resumes with no gap or duplicate", async () => {
    const topic = await newTopic(2);
    const N = 200;
    await fill(topic, 0, N);
    await fill(topic, 1, N, 1000);
    const c = consumer();
    const p0 = { topic, partition: 0 };
    const p1 = { topic, partition: 1 };
    await c.assign([{ ...p0, offset: 0n }, { ...p1, offset: 0n }]);

    const before: Message[] = [];
    while (byPartition(before, 0).length < 5) {
      const b = await c.readBatch({ maxMessages: 3, timeoutMs: 10_000 });
      assert.ok(b.length > 0, "messages before the pause");
      before.push(...b);
    }
    await sleep(100); // more of partition 0 is fetched and queued: pause must not lose it
    c.pause([p0]);
    const paused: Message[] = [];
    while (byPartition(before, 1).length + byPartition(paused, 1).length < N) {
      const b = await c.readBatch({ maxMessages: 50, timeoutMs: 10_000 });
      assert.ok(b.length > 0, "partition 1 goes on while partition 0 is paused");
      paused.push(...b);
    }
    assert.equal(await c.read({ timeoutMs: 500 }), null, "nothing while paused");
    assert.deepEqual(byPartition(paused, 0).map((m) => m.offset), [], "messages of the paused partition");

    c.resume([p0]);
    const p0Before = byPartition(before, 0);
    const resumed = await readN(c, N - p0Before.length, 10_000);
    assert.ok(resumed.every((m) => m.partition === 0));
    assert.equal(resumed[0].offset, p0Before[p0Before.length - 1].offset + 1n, "resumed where it was");
    assert.deepEqual(offsetsOf([...p0Before, ...resumed]), range(0, N), "partition 0: no gap, no duplicate");
    assert.deepEqual(offsetsOf([...byPartition(before, 1), ...byPartition(paused, 1)]), range(0, N), "partition 1");
    assert.equal(await c.read({ timeoutMs: 300 }), null);
    await c.close();
  });

  // 10 ----------------------------------------------------------------------------
  it("position, lag, watermarkOffsets (queried and cached), offsetsForTimes", async () => {
    const topic = await newTopic(2);
    const T0 = 1_700_000_000_000;
    await produce(
      Array.from({ length: 10 }, (_, i) => ({ topic, partition: 0, value: `t${i}`, timestamp: T0 + i * 1000 })),
    );
    const p0 = { topic, partition: 0 };
    const p1 = { topic, partition: 1 };
    const c = consumer();

    // Cached watermarks before any fetch: unknown.
    assert.deepEqual(await c.watermarkOffsets(topic, 0, { cached: true }), { low: undefined, high: undefined });
    await c.assign([{ ...p0, offset: 0n }, { ...p1, offset: 0n }]);
    assert.deepEqual(c.position(), [{ ...p0, offset: undefined }, { ...p1, offset: undefined }]);
    assert.deepEqual(c.lag(), [{ ...p0, lag: undefined }, { ...p1, lag: undefined }]);

    assert.deepEqual(offsetsOf(await readN(c, 4, 10_000, 1)), range(0, 4));
    assert.deepEqual(c.position([p0]), [{ ...p0, offset: 4n }]);
    assert.deepEqual(c.lag([p0]), [{ ...p0, lag: 6n }]);
    assert.deepEqual(await c.watermarkOffsets(topic, 0), { low: 0n, high: 10n });
    assert.deepEqual(await c.watermarkOffsets(topic, 1, { timeoutMs: 10_000 }), { low: 0n, high: 0n });
    assert.deepEqual(await c.watermarkOffsets(topic, 0, { cached: true }), { low: 0n, high: 10n });

    await readN(c, 6, 10_000);
    assert.deepEqual(c.position([p0]), [{ ...p0, offset: 10n }]);
    assert.deepEqual(c.lag([p0]), [{ ...p0, lag: 0n }]);
    // A new message: the lag grows once a fetch has seen it, and falls to 0 when it is read.
    await produce([{ topic, partition: 0, value: "t10", timestamp: T0 + 10_000 }]);
    const m10 = await c.read({ timeoutMs: 10_000 });
    assert.equal(m10?.offset, 10n);
    assert.deepEqual(c.lag([p0]), [{ ...p0, lag: 0n }]);

    const found = await c.offsetsForTimes([
      { ...p0, timestamp: T0 + 2500 },
      { ...p0, timestamp: T0 - 60_000 },
      { ...p1, timestamp: T0 },
    ]);
    if (clusterKind() === "kafka") {
      assert.deepEqual(found, [{ ...p0, offset: 3n }, { ...p0, offset: 0n }, { ...p1, offset: undefined }]);
      const future = await c.offsetsForTimes([{ ...p0, timestamp: T0 + 3_600_000 }], { timeoutMs: 10_000 });
      assert.deepEqual(future, [{ ...p0, offset: undefined }]);
    } else {
      // librdkafka's mock answers a ListOffsets by timestamp with -1 (only EARLIEST/LATEST are implemented).
      assert.deepEqual(found, [{ ...p0, offset: undefined }, { ...p0, offset: undefined }, {
        ...p1,
        offset: undefined,
      }]);
    }
    await c.close();
  });

  // 11 ----------------------------------------------------------------------------
  it("enable.partition.eof: one eof event per partition end, with the next offset, and no error", async () => {
    const topic = await newTopic(2);
    await fill(topic, 0, 3);
    const c = consumer({ "enable.partition.eof": true });
    const eofs: PartitionEof[] = [];
    const errors: unknown[] = [];
    c.on("eof", (e) => eofs.push(e));
    c.on("error", (e) => errors.push(e));
    await c.assign([{ topic, partition: 0, offset: 0n }, { topic, partition: 1, offset: 0n }]);
    assert.deepEqual(offsetsOf(await readN(c, 3, 10_000)), range(0, 3));
    await eventually(() => eofs.length >= 2, 10_000, "eof of both partitions");
    // An eof is not a message.
    assert.equal(await c.read({ timeoutMs: 300 }), null);
    const key = (e: PartitionEof) => `${e.topic}[${e.partition}]@${e.offset}`;
    assert.deepEqual(eofs.map(key).sort(), [`${topic}[0]@3`, `${topic}[1]@0`]);

    // More messages, then the end again: one more eof for that partition.
    await fill(topic, 0, 2, 3);
    assert.deepEqual(offsetsOf(await readN(c, 2, 10_000)), [3n, 4n]);
    await eventually(() => eofs.length >= 3, 10_000, "eof after the new messages");
    assert.equal(key(eofs[2]), `${topic}[0]@5`);
    await sleep(200);
    assert.equal(eofs.length, 3, "exactly one eof per end reached");
    assert.deepEqual(errors, []);
    await c.close();
  });

  // 12 ----------------------------------------------------------------------------
  it("close: idempotent, pending reads reject with ClosedError, every later call throws or rejects ClosedError", async () => {
    const topic = await newTopic(1);
    const c = grouped();
    await c.assign([{ topic, partition: 0, offset: 0n }]);
    const pendingRead = c.read({ timeoutMs: Infinity });
    const pendingBatch = c.readBatch({ maxMessages: 10, timeoutMs: 60_000 });
    const streamReader = c.stream().getReader();
    const pendingStream = streamReader.read();
    await sleep(50);
    const first = c.close();
    const second = c.close();
    assert.equal(c.closed, true);
    await assert.rejects(pendingRead, ClosedError);
    await assert.rejects(pendingBatch, ClosedError);
    await Promise.all([first, second]);
    await c.close(); // again, after it finished
    assert.deepEqual(await pendingStream, { done: true, value: undefined });

    const tp = { topic, partition: 0 };
    await assert.rejects(c.read(), ClosedError);
    await assert.rejects(c.readBatch({ maxMessages: 1 }), ClosedError);
    await assert.rejects(c.commit(), ClosedError);
    await assert.rejects(c.commit([{ ...tp, offset: 1n }]), ClosedError);
    await assert.rejects(c.committed([tp]), ClosedError);
    await assert.rejects(c.assign([tp]), ClosedError);
    await assert.rejects(c.unassign(), ClosedError);
    await assert.rejects(c.subscribe([topic]), ClosedError);
    await assert.rejects(c.unsubscribe(), ClosedError);
    await assert.rejects(c.watermarkOffsets(topic, 0), ClosedError);
    await assert.rejects(c.offsetsForTimes([{ ...tp, timestamp: 0 }]), ClosedError);
    assert.throws(() => c.seek({ ...tp, offset: 0n }), ClosedError);
    assert.throws(() => c.pause([tp]), ClosedError);
    assert.throws(() => c.resume([tp]), ClosedError);
    assert.throws(() => c.position([tp]), ClosedError);
    assert.throws(() => c.lag([tp]), ClosedError);
    assert.throws(() => c.storeOffsets([{ ...tp, offset: 1n }]), ClosedError);
    const iterated: Message[] = [];
    for await (const m of c) iterated.push(m);
    assert.deepEqual(iterated, []);
    assert.deepEqual(await c.stream().getReader().read(), { done: true, value: undefined });
  });

  it("misuse: bad read options, maxMessages, unknown options and properties", async () => {
    const topic = await newTopic(1);
    await fill(topic, 0, 1);
    const c = consumer();
    await c.assign([{ topic, partition: 0, offset: 0n }]);
    for (const maxMessages of [0, -1, 1.5, NaN, undefined, "5"]) {
      await assert.rejects(
        c.readBatch({ maxMessages } as unknown as { maxMessages: number }),
        (e) => e instanceof TypeError && /maxMessages/.test(e.message),
        `maxMessages ${String(maxMessages)}`,
      );
    }
    for (const timeoutMs of [-1, NaN, "100"]) {
      await assert.rejects(
        c.read({ timeoutMs } as unknown as { timeoutMs: number }),
        (e) => e instanceof TypeError && /timeoutMs/.test(e.message),
        `timeoutMs ${String(timeoutMs)}`,
      );
    }
    // None of this took the message.
    assert.equal((await c.read({ timeoutMs: 10_000 }))?.offset, 0n);
    await c.close();

    assert.throws(
      () => new Consumer({ "bootstrap.servers": bootstrap }, { topic: [topic] } as unknown as ConsumerOptions),
      (e) => e instanceof TypeError && /"topic"/.test(e.message),
    );
    assert.throws(
      () => new Consumer({ "bootstrap.servers": bootstrap }, { readTimeoutMs: -5 }),
      (e) => e instanceof TypeError && /readTimeoutMs/.test(e.message),
    );
    assert.throws(
      () => new Consumer({ "bootstrap.servers": bootstrap, "no.such.property": "1" }),
      (e) => e instanceof ConfigError && e.key === "no.such.property",
    );
  });
});
