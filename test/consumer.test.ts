/**
 * Consumer integration tests, reading: what `read`, `readBatch`, async iteration
 * and `stream()` hand out (every message exactly once, in partition order, bytes
 * intact), read timeouts and aborts, message fields, close and misuse. Commits,
 * assignments, seek, pause and offsets queries are in consumer_offsets.test.ts.
 *
 * Runs on both tiers (see test/helpers/cluster.ts): librdkafka's mock cluster by
 * default, a real Kafka broker with KAFKA_BOOTSTRAP set (testCluster() in
 * helpers/consume.ts).
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
  ErrorCode,
  KafkaError,
  type Message,
} from "../src/mod.ts";
import { clusterLabel } from "./helpers/cluster.ts";
import { sleep } from "./helpers/runtime.ts";
import { bytes, ConsumerFixture, offsetsOf, range, readN, utf8 } from "./helpers/consume.ts";

describe(`Consumer: reading (${clusterLabel()})`, () => {
  const fx = new ConsumerFixture();
  const { consumer, grouped, newTopic, produce, fill } = fx;
  let bootstrap: string;

  before(async () => {
    await fx.setUp();
    ({ bootstrap } = fx);
  });

  after(() => fx.tearDown());

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

  it("a fatal error rejects waiting and later reads with it, emits error with fatal, and close() still returns", async () => {
    const topic = await newTopic(1);
    const c = consumer({}, { assignment: [{ topic, partition: 0, offset: 0n }] });
    const errors: KafkaError[] = [];
    c.on("error", (e) => errors.push(e));
    const waiting = c.read({ timeoutMs: 30_000 });
    const batch = c.readBatch({ maxMessages: 10, timeoutMs: 30_000 });
    c.testFatalError(ErrorCode.FENCED_INSTANCE_ID, "fenced for a test");
    for (const p of [waiting, batch]) {
      await assert.rejects(p, (e: unknown) => e instanceof KafkaError && e.fatal && e.name === "FENCED_INSTANCE_ID");
    }
    await assert.rejects(c.read({ timeoutMs: 10 }), (e: unknown) => e instanceof KafkaError && e.fatal);
    assert.equal(errors.filter((e) => e.fatal).length, 1, "one fatal error event");
    assert.match(errors.find((e) => e.fatal)!.message, /fenced for a test/);
    const t0 = performance.now();
    await c.close({ timeoutMs: 10_000 });
    assert.ok(performance.now() - t0 < 10_000, "close does not wait for a group it cannot leave");
    assert.equal(c.closed, true);
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
