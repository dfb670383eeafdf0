/**
 * Consumer memory: zero-copy messages (views on librdkafka's memory), their release
 * by `release()`, `using`, `close()` and the garbage collector, the `maxHeldBytes`
 * limit, copy mode, the batch read path under load, and a consumer dropped without
 * `close()` (FinalizationRegistry, in a child process).
 *
 * The consumers here assign partitions (no `group.id`), so there is no group join.
 * Each test closes its consumers, and `close()` copies out what is still held, so
 * `currentLimits().heldBytes` is back at its start value between tests.
 *
 * Runs on both tiers (see test/helpers/cluster.ts):
 *
 *   bun test --timeout 120000 test/consumer_memory.test.ts
 *   deno test -A --v8-flags=--expose-gc test/consumer_memory.test.ts
 *
 * @module
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  ClosedError,
  configure,
  Consumer,
  currentLimits,
  LimitError,
  type Message,
  Producer,
  type ProducerMessage,
} from "../src/mod.ts";
import { clusterLabel, type TestCluster } from "./helpers/cluster.ts";
import { ConsumerFixture } from "./helpers/consume.ts";
import { forceGc, runScript, sleep } from "./helpers/runtime.ts";

const held = () => currentLimits().heldBytes;

/** A value of `size` (>= 4) bytes that encodes its own index: u32 LE index, then a pattern of the index. */
function payload(i: number, size: number): Uint8Array {
  const b = new Uint8Array(size);
  new DataView(b.buffer).setUint32(0, i, true);
  for (let j = 4; j < size; j++) b[j] = (i * 31 + j * 7) & 255;
  return b;
}

/** The index a value encodes; throws naming the first wrong byte. */
function indexOf(v: Uint8Array | null, size: number): number {
  if (v === null || v.length !== size) throw new Error(`value of ${v?.length} bytes, expected ${size}`);
  const i = v[0] | (v[1] << 8) | (v[2] << 16) | (v[3] << 24);
  for (let j = 4; j < size; j++) {
    if (v[j] !== ((i * 31 + j * 7) & 255)) throw new Error(`message ${i}: byte ${j} is ${v[j]}`);
  }
  return i >>> 0;
}

describe(`Consumer memory (${clusterLabel()})`, () => {
  // testCluster() (mock or real broker) and an idempotent producer, from the shared fixture.
  const fx = new ConsumerFixture();
  const open = fx.open;
  let cluster: TestCluster;
  let bootstrap: string;
  let producer: Producer;

  before(async () => {
    await fx.setUp();
    ({ cluster, bootstrap, producer } = fx);
  });

  after(() => fx.tearDown());

  async function newTopic(partitions: number): Promise<string> {
    const t = `mem-${crypto.randomUUID()}`;
    await cluster.createTopic(t, { partitions });
    return t;
  }

  /** Sends `count` values of `size` bytes (index i to partition i % partitions), in slices. */
  async function fill(topic: string, partitions: number, count: number, size: number): Promise<void> {
    for (let from = 0; from < count; from += 20_000) {
      const n = Math.min(20_000, count - from);
      const msgs: ProducerMessage[] = Array.from({ length: n }, (_, k) => {
        const i = from + k;
        return { topic, partition: i % partitions, value: payload(i, size) };
      });
      const res = await producer.sendMulti(msgs);
      const failed = res.find((r) => r.status === "rejected");
      if (failed) throw (failed as PromiseRejectedResult).reason;
    }
  }

  /** A consumer of partitions 0…partitions-1 of `topic` from offset 0, with no group. */
  function reader(topic: string, partitions: number, copyThreshold?: number): Consumer {
    const c = new Consumer({ "bootstrap.servers": bootstrap, "auto.offset.reset": "earliest" }, {
      assignment: Array.from({ length: partitions }, (_, partition) => ({ topic, partition, offset: 0n })),
      ...(copyThreshold === undefined ? {} : { copyThreshold }),
    });
    open.push(c);
    return c;
  }

  async function readOne(c: Consumer): Promise<Message> {
    const m = await c.read({ timeoutMs: 15_000 });
    assert.ok(m !== null, "a message arrived");
    return m;
  }

  it("copyThreshold 0: values are views that release(), `using` and heldBytes account for", async () => {
    const topic = await newTopic(1);
    const K = 1024;
    await producer.sendMulti([
      { topic, value: payload(0, K) },
      { topic, value: payload(1, K) },
      { topic, value: payload(2, K) },
      { topic, value: payload(3, K) },
      { topic, value: null },
      { topic, value: "" },
    ]);
    const c = reader(topic, 1, 0);
    const h0 = held();

    const m0 = await readOne(c);
    assert.equal(m0.zeroCopy, true);
    assert.equal(m0.offset, 0n);
    const view = m0.value!;
    assert.equal(indexOf(view, K), 0);
    assert.equal(held(), h0 + K, "the held bytes count the value");
    const sub = view.subarray(100, 200);
    const text = m0.text(); // decoding works while held
    assert.equal(text.length > 0, true);
    m0.release();
    assert.equal(view.length, 0, "a view taken before release is detached");
    assert.equal(sub.length, 0, "and so is a subarray of it");
    assert.equal(view[0], undefined);
    assert.equal(m0.zeroCopy, false);
    assert.throws(() => m0.value, ClosedError);
    assert.throws(() => m0.text(), ClosedError);
    assert.equal(held(), h0, "release gives the bytes back");
    m0.release(); // idempotent
    assert.equal(held(), h0);
    assert.equal(m0.offset, 0n, "metadata stays readable");

    let inBlock: Uint8Array;
    {
      using m1 = await readOne(c);
      assert.equal(m1.zeroCopy, true);
      inBlock = m1.value!;
      assert.equal(indexOf(inBlock, K), 1);
      assert.equal(held(), h0 + K);
    }
    assert.equal(inBlock.length, 0, "`using` released it at the end of the block");
    assert.equal(held(), h0);

    const m2 = await readOne(c);
    const m3 = await readOne(c);
    assert.equal(held(), h0 + 2 * K, "two held messages count twice");
    assert.equal(indexOf(m3.value, K), 3);
    m3.release();
    assert.equal(indexOf(m2.value, K), 2, "releasing one leaves the other intact");
    m2.release();
    assert.equal(held(), h0);

    const tombstone = await readOne(c);
    assert.equal(tombstone.value, null);
    assert.equal(tombstone.zeroCopy, false);
    tombstone.release();
    assert.equal(tombstone.value, null, "a tombstone stays null after release");
    const empty = await readOne(c);
    assert.deepEqual(empty.value, new Uint8Array(0));
    assert.equal(empty.zeroCopy, false);
    assert.equal(held(), h0);
    await c.close();
  });

  it("copy mode (copyThreshold Infinity) and the default threshold (16 KiB)", async () => {
    const topic = await newTopic(1);
    const big = 70 * 1024;
    await producer.sendMulti([{ topic, value: payload(0, 1024) }, { topic, value: payload(1, big) }]);
    const h0 = held();

    const copying = reader(topic, 1, Infinity);
    const a = await readOne(copying);
    const b = await readOne(copying);
    for (const m of [a, b]) assert.equal(m.zeroCopy, false);
    assert.equal(held(), h0, "copies hold no native bytes");
    assert.equal(indexOf(a.value, 1024), 0);
    assert.equal(indexOf(b.value, big), 1);
    const v = b.value!;
    b.release(); // a no-op for a copy
    assert.equal(v.length, big);
    assert.equal(indexOf(b.value, big), 1);
    await copying.close();

    const defaults = reader(topic, 1);
    const small = await readOne(defaults);
    const large = await readOne(defaults);
    assert.equal(small.zeroCopy, false, "1 KiB is copied");
    assert.equal(large.zeroCopy, true, "70 KiB is a view");
    assert.equal(held(), h0 + big);
    assert.equal(indexOf(large.value, big), 1);
    large.release();
    assert.equal(held(), h0);
    await defaults.close();
  });

  it("close() with zero-copy messages still held returns promptly and leaves copies", async () => {
    const topic = await newTopic(1);
    const K = 4096;
    await fill(topic, 1, 5, K);
    const c = reader(topic, 1, 0);
    const h0 = held();
    const msgs: Message[] = [];
    for (let i = 0; i < 5; i++) msgs.push(await readOne(c));
    const views = msgs.map((m) => m.value!);
    assert.ok(msgs.every((m) => m.zeroCopy));
    assert.equal(held(), h0 + 5 * K);

    const t0 = performance.now();
    await c.close({ timeoutMs: 30_000 });
    const ms = performance.now() - t0;
    assert.ok(ms < 10_000, `close returned well within its timeout (${ms.toFixed(0)} ms)`);

    assert.equal(held(), h0, "close gave every held byte back");
    msgs.forEach((m, i) => {
      assert.equal(m.zeroCopy, false);
      assert.equal(views[i].length, 0, "views taken before close are detached");
      assert.equal(indexOf(m.value, K), i, "the value is now a copy with the same bytes");
      m.release(); // a no-op now
      assert.equal(indexOf(m.value, K), i);
    });
    await assert.rejects(c.read({ timeoutMs: 10 }), ClosedError);
  });

  it("maxHeldBytes: a read at the limit rejects with LimitError and takes nothing", async () => {
    const topic = await newTopic(1);
    const K = 1024;
    await fill(topic, 1, 10, K);
    const c = reader(topic, 1, 0);
    const before = currentLimits();
    const limit = before.heldBytes + 2 * K + K / 2;
    configure({ maxHeldBytes: limit });
    try {
      const got: Message[] = [];
      let next = 0n;
      const take = async () => {
        const m = await readOne(c);
        assert.equal(m.offset, next, "messages in order, none skipped");
        assert.equal(indexOf(m.value, K), Number(next));
        next++;
        got.push(m);
        return m;
      };
      await take();
      await take();
      await take(); // below the limit when it began: taken, and now the limit is reached
      assert.ok(got.every((m) => m.zeroCopy));
      assert.ok(held() >= limit);
      for (const attempt of [c.read({ timeoutMs: 1000 }), c.readBatch({ maxMessages: 5, timeoutMs: 1000 })]) {
        await assert.rejects(attempt, (e: unknown) => {
          assert.ok(e instanceof LimitError, String(e));
          assert.equal(e.limit, "maxHeldBytes");
          assert.equal(e.value, limit);
          return true;
        });
      }
      got.shift()!.release();
      const m = await take();
      assert.equal(m.offset, next - 1n, "after a release the next read returns the next message");

      // A batch stops making views once the limit is reached: the rest are copies.
      for (const g of got.splice(0)) g.release();
      let acc = held();
      const rest: Message[] = [];
      while (next < 10n) {
        const batch = await c.readBatch({ maxMessages: 10, timeoutMs: 5_000 });
        assert.ok(batch.length > 0, `offsets ${next}…9 arrive`);
        for (const b of batch) {
          assert.equal(b.offset, next++);
          assert.equal(indexOf(b.value, K), Number(b.offset));
          assert.equal(b.zeroCopy, acc < limit, `offset ${b.offset}: a view only while below the limit`);
          if (b.zeroCopy) acc += K;
          rest.push(b);
        }
      }
      assert.equal(held(), acc);
      assert.ok(rest.some((b) => b.zeroCopy) && rest.some((b) => !b.zeroCopy), "views first, then copies");
      for (const b of rest) b.release();
    } finally {
      configure({ maxHeldBytes: before.maxHeldBytes });
    }
    await c.close();
  });

  it("the garbage collector frees dropped zero-copy messages (20k × 1 KiB)", async () => {
    const P = 8;
    const N = 20_000;
    const K = 1024;
    const topic = await newTopic(P);
    await fill(topic, P, N, K);
    const c = reader(topic, P, 0);
    const h0 = held();

    // Read and drop in a function of its own, so no frame of the test keeps a message.
    const consume = async () => {
      const seen = new Uint8Array(N);
      let count = 0;
      let peak = 0;
      while (count < N) {
        const batch = await c.readBatch({ maxMessages: 1000, timeoutMs: 15_000 });
        if (batch.length === 0) throw new Error(`only ${count} of ${N} messages arrived`);
        for (const m of batch) {
          if (!m.zeroCopy) throw new Error(`offset ${m.offset} was copied`);
          const i = indexOf(m.value, K);
          if (seen[i]++) throw new Error(`message ${i} read twice`);
        }
        count += batch.length;
        peak = Math.max(peak, held() - h0);
      }
      return { count, peak };
    };
    const { count, peak } = await consume();
    assert.equal(count, N);
    assert.ok(peak >= K, `dropped messages were held until collected (peak ${peak} bytes)`);
    for (let i = 0; i < 100 && held() !== h0; i++) {
      forceGc();
      await sleep(20); // FinalizationRegistry callbacks run in later tasks
    }
    assert.equal(held(), h0, "every dropped message was freed");
    await c.close();
  });

  it("readBatch of 200k messages in 10k batches, three times in one process, every byte intact", async () => {
    const P = 8;
    const N = 200_000;
    const SIZE = 24;
    const topic = await newTopic(P);
    await fill(topic, P, N, SIZE);

    let largest = 0;
    /** Reads all N messages once; checks every byte, offsets per partition from 0, each index once. */
    const readAll = async (c: Consumer, release: boolean) => {
      const seen = new Uint8Array(N);
      const nextOffset = new Array<bigint>(P).fill(0n);
      let count = 0;
      while (count < N) {
        const batch = await c.readBatch({ maxMessages: 10_000, timeoutMs: 15_000 });
        if (batch.length === 0) throw new Error(`only ${count} of ${N} messages arrived`);
        assert.ok(batch.length <= 10_000);
        largest = Math.max(largest, batch.length);
        for (const m of batch) {
          const i = indexOf(m.value, SIZE);
          assert.equal(m.topic, topic);
          assert.equal(m.partition, i % P, `message ${i} on its partition`);
          assert.equal(m.offset, nextOffset[m.partition], `partition ${m.partition} in order`);
          nextOffset[m.partition]++;
          assert.equal(seen[i]++, 0, `message ${i} once`);
          if (release) m.release();
        }
        count += batch.length;
      }
      assert.equal(count, N);
      assert.deepEqual(await c.readBatch({ maxMessages: 10, timeoutMs: 200 }), [], "nothing more");
    };

    const first = reader(topic, P);
    await readAll(first, false);
    // Again on the same consumer, after seeking every partition back to the start.
    for (let partition = 0; partition < P; partition++) first.seek({ topic, partition, offset: 0n });
    await readAll(first, false);
    await first.close();
    // And a fresh consumer whose values are all views, released one by one.
    const h0 = held();
    const third = reader(topic, P, 0);
    await readAll(third, true);
    assert.equal(held(), h0);
    await third.close();
    assert.ok(largest > 1, `batches of more than one message (largest ${largest})`);
  });

  it("a read keeps its consumer alive: the GC never closes a consumer under a pending read", async () => {
    const topic = await newTopic(1);
    const openAtStart = currentLimits().openClients;
    // Only the read's promise leaves this function: nothing in the test holds the consumer.
    const pendingRead = () => {
      const c = new Consumer({ "bootstrap.servers": bootstrap }, { assignment: [{ topic, partition: 0, offset: 0n }] });
      return c.read({ timeoutMs: 1_500 });
    };
    const reads = [pendingRead(), pendingRead()];
    const settled = Promise.allSettled(reads);
    let done = false;
    void settled.then(() => (done = true));
    while (!done) {
      forceGc();
      await sleep(20);
    }
    // The topic is empty: each read resolves null at its timeout; a consumer closed under it would reject it.
    assert.deepEqual(await settled, [{ status: "fulfilled", value: null }, { status: "fulfilled", value: null }]);
    // With nothing pending any more, the dropped consumers are collected and closed.
    const deadline = Date.now() + 10_000;
    while (currentLimits().openClients > openAtStart && Date.now() < deadline) {
      forceGc();
      await sleep(20);
    }
    assert.equal(currentLimits().openClients, openAtStart, "both dropped consumers were closed by the registry");
  });

  it("a consumer dropped without close() is closed by the FinalizationRegistry, and the process ends", () => {
    const r = runScript(new URL("./fixtures/consumer_drop_without_close.ts", import.meta.url), {}, 30_000);
    assert.equal(r.signal, null, `killed by ${r.signal} after ${r.ms.toFixed(0)} ms: ${r.stdout} ${r.stderr}`);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /zero-copy: true true/);
    assert.match(r.stdout, /open after use: 2/);
    assert.match(r.stdout, /held after use: 4096/);
    assert.match(r.stdout, /open after gc: 0/);
    assert.match(r.stdout, /held after gc: 0/);
    assert.match(r.stdout, /kept: zeroCopy=false offset=1 intact=true/, "the kept message's value was copied out");
    assert.match(r.stdout, /done/);
  });
});
