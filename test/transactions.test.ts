// tiers: mock kafka
/**
 * Transactions: a producer with `transactional.id` (init, begin, send, commit,
 * abort, the consumer's offsets in the transaction, the `transaction(fn)` helper),
 * what consumers of each `isolation.level` then read, fencing, misuse, close.
 *
 * Runs on both tiers. librdkafka's mock cluster accepts the transactional protocol
 * but keeps no transaction state in its log: EndTxn writes no control record and its
 * fetches report no aborted transactions, so a read_committed consumer reads
 * aborted records there too; it answers TxnOffsetCommit but stores no offset; and a second producer
 * with the same `transactional.id` does not fence the first. Those behaviours are
 * asserted on the real broker only, and the mock suite asserts what the mock does.
 *
 *   bun test test/transactions.test.ts
 *   KAFKA_BOOTSTRAP=127.0.0.1:9092 bun test test/transactions.test.ts
 *
 * @module
 */
import { execFile } from "node:child_process";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { CLOSE_MARGIN_MS, ConfigError, Consumer, KafkaError, MockCluster, OFFSET, Producer } from "../src/mod.ts";
import { clusterKind, clusterLabel, type TestCluster, testCluster } from "./helpers/cluster.ts";
import { readN, uuid } from "./helpers/consume.ts";

const dec = new TextDecoder();
const text = (v: Uint8Array | null) => (v === null ? null : dec.decode(v));

/** The values of partition 0 of `topic` as kcat (its own librdkafka) reads them with `isolation.level`. */
function kcatValues(bootstrap: string, topic: string, isolation: string): Promise<string[]> {
  const args = ["-b", bootstrap, "-C", "-t", topic, "-p", "0", "-o", "beginning", "-e", "-q"];
  args.push("-X", `isolation.level=${isolation}`, "-X", "log_level=3", "-f", "%s\n");
  return new Promise((resolve, reject) => {
    execFile("kcat", args, { timeout: 30_000, encoding: "utf8" }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kcat ${args.join(" ")}: ${err.message} ${stderr}`));
      else resolve(String(stdout).split("\n").filter((l) => l !== ""));
    });
  });
}

/** Asserts a rejection with a KafkaError of this name whose message mentions `hint`. */
async function rejectsKafka(p: Promise<unknown>, name: string, hint?: RegExp): Promise<KafkaError> {
  const e = await p.then(() => undefined, (err) => err);
  assert.ok(e instanceof KafkaError, `expected KafkaError ${name}, got ${e}`);
  assert.equal(e.name, name, e.message);
  if (hint) assert.match(e.message, hint);
  return e;
}

describe(`Transactions (${clusterLabel()})`, () => {
  let cluster: TestCluster;
  let bootstrap: string;
  const open: { close(o?: { timeoutMs?: number }): Promise<void> }[] = [];
  const own = <T extends { close(o?: { timeoutMs?: number }): Promise<void> }>(c: T): T => (open.push(c), c);
  const newTopic = async (partitions = 1) => {
    const t = `tx-${uuid()}`;
    await cluster.createTopic(t, { partitions });
    return t;
  };
  const txProducer = (extra: Record<string, string | number> = {}) =>
    own(new Producer({ "bootstrap.servers": bootstrap, "transactional.id": `tid-${uuid()}`, ...extra }));
  /** Every value of partition 0 up to and including the value `last`, as a consumer of `isolation` reads it. */
  const readUntil = async (topic: string, last: string, isolation: string): Promise<string[]> => {
    const c = own(new Consumer({ "bootstrap.servers": bootstrap, "isolation.level": isolation }));
    await c.assign([{ topic, partition: 0, offset: OFFSET.BEGINNING }]);
    const got: string[] = [];
    const until = Date.now() + 20_000;
    while (got.at(-1) !== last) {
      assert.ok(Date.now() < until, `${isolation}: no "${last}" within 20 s; read ${got.join(",")}`);
      const m = await c.read({ timeoutMs: 1_000 });
      if (m) got.push(text(m.value)!);
    }
    await c.close();
    return got;
  };

  before(async () => {
    cluster = await testCluster();
    bootstrap = cluster.bootstrapServers;
  });

  after(async () => {
    await Promise.allSettled(open.map((c) => c.close({ timeoutMs: 10_000 })));
    await cluster?.close();
  });

  it("commit: every send settles with its report, and read_committed reads the batch in order", async () => {
    const topic = await newTopic();
    const p = txProducer();
    await p.initTransactions({ timeoutMs: 30_000 });
    await p.beginTransaction();
    assert.equal(p.inTransaction, true);
    const multi = p.sendMulti(Array.from({ length: 10 }, (_, i) => ({ topic, value: `m${i}` })));
    const one = p.send({ topic, value: "last" });
    await p.commitTransaction({ timeoutMs: 30_000 });
    assert.equal(p.inTransaction, false);
    const results = await multi;
    assert.deepEqual(results.map((r) => r.status), Array(10).fill("fulfilled"));
    const offsets = results.map((r) => (r as PromiseFulfilledResult<{ offset: bigint }>).value.offset);
    assert.deepEqual(offsets, Array.from({ length: 10 }, (_, i) => BigInt(i)));
    assert.equal((await one).offset, 10n);
    const want = [...Array.from({ length: 10 }, (_, i) => `m${i}`), "last"];
    assert.deepEqual(await readUntil(topic, "last", "read_committed"), want);
  });

  it("commit right after a big sendMulti (handed to librdkafka in slices): every message is in the transaction", async () => {
    const topic = await newTopic(2);
    const p = txProducer();
    await p.initTransactions();
    await p.beginTransaction();
    const results = p.sendMulti(Array.from({ length: 20_000 }, (_, i) => ({ topic, value: `v${i}` })));
    await p.commitTransaction(); // the slices not yet handed over when it was called are delivered first
    const rs = await results;
    const failed = rs.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
    assert.equal(failed.length, 0, failed.slice(0, 3).map((r) => String(r.reason)).join("; "));
  });

  it("abort: what reached the log is marked aborted, never read by read_committed", async () => {
    const topic = await newTopic();
    const p = txProducer();
    await p.initTransactions();
    await p.beginTransaction();
    for (let i = 0; i < 3; i++) await p.send({ topic, value: `aborted${i}` }); // on the log
    await p.abortTransaction();
    assert.equal(p.inTransaction, false);
    await p.transaction((tx) => {
      tx.send({ topic, value: "marker" });
    });
    const committed = await readUntil(topic, "marker", "read_committed");
    const uncommitted = await readUntil(topic, "marker", "read_uncommitted");
    assert.deepEqual(uncommitted, ["aborted0", "aborted1", "aborted2", "marker"]);
    if (clusterKind() === "kafka") {
      assert.deepEqual(committed, ["marker"], "a read_committed consumer never gets aborted records");
      // And another client agrees (kcat, with Debian's librdkafka).
      assert.deepEqual(await kcatValues(bootstrap, topic, "read_committed"), ["marker"]);
      assert.deepEqual(await kcatValues(bootstrap, topic, "read_uncommitted"), uncommitted);
    } else {
      // The mock writes no abort marker: read_committed reads what was aborted (see the module comment).
      assert.deepEqual(committed, uncommitted);
    }
  });

  it("transaction(fn): commits and returns fn's value; aborts and rethrows when fn throws or a send fails", async () => {
    const topic = await newTopic();
    const p = txProducer();
    const value = await p.transaction(async (tx) => {
      const r = await tx.send({ topic, value: "one" }); // initTransactions() was done by the helper
      return `at ${r.offset}`;
    });
    assert.equal(value, "at 0");

    const boom = new Error("boom");
    const thrown = await p.transaction(async (tx) => {
      await tx.send({ topic, value: "thrown-away" });
      throw boom;
    }).then(() => undefined, (e) => e);
    assert.equal(thrown, boom, "the callback's own error is rethrown");
    assert.equal(p.inTransaction, false, "and the transaction was aborted");

    // A send the callback does not await fails (no partition 7): the helper aborts and rejects with it.
    const failed = await p.transaction((tx) => {
      tx.send({ topic, value: "ok" });
      tx.send({ topic, partition: 7, value: "nowhere" });
    }).then(() => undefined, (e) => e);
    assert.ok(failed instanceof KafkaError, String(failed));
    assert.equal(failed.name, "_UNKNOWN_PARTITION", failed.message);
    assert.equal(p.inTransaction, false);

    await p.transaction((tx) => {
      tx.send({ topic, value: "marker" });
    });
    const committed = await readUntil(topic, "marker", "read_uncommitted");
    assert.equal(committed[0], "one");
    if (clusterKind() === "kafka") {
      assert.deepEqual(await readUntil(topic, "marker", "read_committed"), ["one", "marker"]);
    }
  });

  it("sendOffsetsToTransaction: the consumer's progress is committed with the transaction", async () => {
    const input = await newTopic();
    const output = await newTopic();
    const plain = own(new Producer({ "bootstrap.servers": bootstrap }));
    await plain.sendMulti(Array.from({ length: 6 }, (_, i) => ({ topic: input, value: `in${i}` })));
    const group = `g-${uuid()}`;
    const c = own(
      new Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": false,
      }, { topics: [input] }),
    );
    const p = txProducer();
    await p.initTransactions();

    // The mock answers TxnOffsetCommit without storing anything (see the module comment).
    const committed = async () => (await c.committed(undefined, { timeoutMs: 10_000 })).map((t) => t.offset);
    const expect = (offset: bigint) => (clusterKind() === "kafka" ? [offset] : [undefined]);

    // Positions (what the consumer handed out) by default.
    const first = await readN(c, 4, 20_000, 4);
    await p.transaction(async (tx) => {
      for (const m of first) tx.send({ topic: output, value: `out-${text(m.value)}` });
      await tx.sendOffsets(c);
    });
    assert.deepEqual(await committed(), expect(4n));

    // Messages stand for their offset + 1.
    const rest = await readN(c, 2, 20_000, 2);
    await p.beginTransaction();
    await p.sendOffsetsToTransaction(c, [rest[0]]);
    await p.commitTransaction();
    assert.deepEqual(await committed(), expect(5n));

    // Aborted: the group's offset stays.
    await p.beginTransaction();
    await p.sendOffsetsToTransaction(c, [{ topic: input, partition: 0, offset: 6n }]);
    await p.abortTransaction();
    assert.deepEqual(await committed(), expect(5n));

    // Checked before anything is sent: a negative offset, a consumer without a group.
    await p.beginTransaction();
    await assert.rejects(p.sendOffsetsToTransaction(c, [{ topic: input, partition: 0, offset: -1n }]), RangeError);
    const lone = own(new Consumer({ "bootstrap.servers": bootstrap }));
    await lone.assign([{ topic: input, partition: 0, offset: OFFSET.BEGINNING }]);
    await readN(lone, 1, 20_000, 1);
    const noGroup = await p.sendOffsetsToTransaction(lone).then(() => undefined, (e) => e);
    assert.ok(noGroup instanceof ConfigError && noGroup.key === "group.id", String(noGroup));
    await p.commitTransaction();
  });

  it("misuse: each call refused with a clear error and no side effect; the producer still works", async () => {
    const topic = await newTopic();
    const plain = own(new Producer({ "bootstrap.servers": bootstrap }));
    const noTid = await plain.initTransactions().then(() => undefined, (e) => e);
    assert.ok(noTid instanceof ConfigError && noTid.key === "transactional.id", String(noTid));
    await plain.send({ topic, value: "plain still sends" });

    assert.throws(
      () => new Consumer({ "bootstrap.servers": bootstrap, "transactional.id": "x" }),
      (e: unknown) => e instanceof ConfigError && e.key === "transactional.id",
    );

    const p = txProducer();
    await rejectsKafka(p.send({ topic, value: "early" }), "_STATE", /initTransactions/);
    await rejectsKafka(p.beginTransaction(), "_STATE", /initTransactions/);
    await rejectsKafka(p.commitTransaction(), "_STATE", /initTransactions/);
    await assert.rejects(p.initTransactions({ timeoutMs: -1 }), /initTransactions: timeoutMs/);
    await assert.rejects(p.initTransactions({ timeoutMs: Infinity }), TypeError, "transactional calls are bounded");

    const init = p.initTransactions();
    await rejectsKafka(p.initTransactions(), "_CONFLICT", /initTransactions is still running/);
    await init;
    await rejectsKafka(p.initTransactions(), "_STATE", /already/);
    await rejectsKafka(p.commitTransaction(), "_STATE", /no transaction is open/);
    await rejectsKafka(p.abortTransaction(), "_STATE", /no transaction is open/);
    await rejectsKafka(p.send({ topic, value: "outside" }), "_STATE", /beginTransaction/);

    await p.beginTransaction();
    await rejectsKafka(p.beginTransaction(), "_STATE", /already open/);
    await assert.rejects(p.sendOffsetsToTransaction({ position: () => [] }), TypeError);
    await assert.rejects(p.sendOffsetsToTransaction(plain as never), TypeError);
    const sent = p.send({ topic, value: "inside" });
    const commit = p.commitTransaction();
    await rejectsKafka(p.commitTransaction(), "_CONFLICT", /commitTransaction is still running/);
    await rejectsKafka(p.send({ topic, value: "while committing" }), "_STATE", /ending/);
    await commit;
    assert.equal((await sent).topic, topic);
    await rejectsKafka(p.commitTransaction(), "_STATE", /no transaction is open/);
    await p.transaction((tx) => {
      tx.send({ topic, value: "after all that" });
    });
  });

  it("close() with a transaction open aborts it; every send settles and close resolves", async () => {
    const topic = await newTopic();
    const p = txProducer();
    await p.initTransactions();
    await p.beginTransaction();
    const sends = Array.from({ length: 50 }, (_, i) => p.send({ topic, value: `closing${i}` }));
    await p.close({ timeoutMs: 15_000 });
    const outcomes = await Promise.allSettled(sends);
    assert.equal(outcomes.length, 50);
    assert.equal(p.closed, true);
    const other = txProducer();
    await other.transaction((tx) => {
      tx.send({ topic, value: "marker" });
    });
    if (clusterKind() === "kafka") {
      assert.deepEqual(await readUntil(topic, "marker", "read_committed"), ["marker"]);
    }
  });

  if (clusterKind() === "kafka") {
    it("fencing: a newer producer with the same transactional.id makes the older one fail, fatally, for good", async () => {
      const topic = await newTopic();
      const tid = `tid-${uuid()}`;
      const old = own(new Producer({ "bootstrap.servers": bootstrap, "transactional.id": tid }));
      const errors: KafkaError[] = [];
      old.on("error", (e) => errors.push(e));
      await old.transaction((tx) => {
        tx.send({ topic, value: "old" });
      });
      const newer = own(new Producer({ "bootstrap.servers": bootstrap, "transactional.id": tid }));
      await newer.initTransactions();
      const fenced = await old.transaction(async (tx) => {
        await tx.send({ topic, value: "old again" });
      }).then(() => undefined, (e) => e);
      assert.ok(fenced instanceof KafkaError && fenced.fatal, `expected a fatal KafkaError, got ${fenced}`);
      assert.equal(fenced.name, "_FENCED", fenced.message);
      for (const later of [old.beginTransaction(), old.send({ topic, value: "x" }), old.commitTransaction()]) {
        const e = await later.then(() => undefined, (err) => err);
        assert.ok(e instanceof KafkaError && e.fatal && e.name === "_FENCED", String(e));
      }
      assert.ok(errors.some((e) => e.fatal), "the error listener saw the fatal error");
      await newer.transaction((tx) => {
        tx.send({ topic, value: "newer" });
      });
      assert.deepEqual(await readUntil(topic, "newer", "read_committed"), ["old", "newer"]);
    });
  }

  if (clusterKind() === "kafka") {
    it("transaction markers: position, lag and commits step over them; an idle consumer closed after a transaction arrived loses none of it", async () => {
      // Offsets: a0 a1 a2 [commit 3] | b0 b1 b2 [commit 7] | x0 x1 [abort 10] | c0 [commit 12]
      const topic = await newTopic();
      const tp = { topic, partition: 0 };
      const group = `g-${uuid()}`;
      const p = txProducer();
      await p.initTransactions();
      const txn = (tag: string, n: number, abort = false) =>
        p.transaction(async (tx) => {
          await Promise.all(Array.from({ length: n }, (_, i) => tx.send({ topic, partition: 0, value: `${tag}${i}` })));
          if (abort) throw new Error("abort on purpose");
        }).catch((e) => {
          if (!abort) throw e;
        });
      const member = () =>
        own(new Consumer({ "bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest" }));
      const values = (ms: { value: Uint8Array | null }[]) => ms.map((m) => text(m.value));
      /** Waits until `c`'s position is `at` (a marker is passed when the queue is served, right behind its batch). */
      const reaches = async (c: Consumer, at: bigint) => {
        const until = Date.now() + 10_000;
        while (c.position()[0]?.offset !== at) {
          assert.ok(Date.now() < until, `position ${at}, not ${c.position()[0]?.offset}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      };

      // Fetched before any read asks (so taken from librdkafka's queue, marker after them).
      await txn("a", 3);
      const c1 = member();
      await c1.assign([tp]);
      await new Promise((r) => setTimeout(r, 1_000));
      assert.deepEqual(values(await readN(c1, 3, 20_000, 3)), ["a0", "a1", "a2"]);
      await reaches(c1, 4n); // past the commit marker
      assert.deepEqual(c1.lag(), [{ ...tp, lag: 0n }]);
      assert.deepEqual(await c1.commit(), [{ ...tp, offset: 4n }]);

      // A transaction arrives while nobody reads; the consumer closes without reading it.
      await txn("b", 3);
      const until = Date.now() + 20_000;
      while (c1.lag()[0]?.lag !== 4n) {
        assert.ok(Date.now() < until, `the consumer to see transaction b (lag ${c1.lag()[0]?.lag})`);
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.deepEqual(c1.position(), [{ ...tp, offset: 4n }], "nothing of b was handed out");
      await c1.close();

      // The group's next member reads all of b, then steps over the aborted x and its marker.
      await txn("x", 2, true);
      await txn("c", 1);
      const c2 = member();
      assert.deepEqual(await c2.committed([tp]), [{ ...tp, offset: 4n }], "close committed the position, not past b");
      await c2.assign([tp]);
      assert.deepEqual(values(await readN(c2, 4, 20_000)), ["b0", "b1", "b2", "c0"]);
      await reaches(c2, 13n);
      assert.deepEqual(c2.lag(), [{ ...tp, lag: 0n }]);
      assert.deepEqual(await c2.commit(), [{ ...tp, offset: 13n }]);
      assert.equal(await c2.read({ timeoutMs: 300 }), null, "aborted records are never handed out");
    });

    it("a transaction past transaction.timeout.ms: the broker aborts it; the commit and every later call reject, fatally", async () => {
      const topic = await newTopic();
      const p = txProducer({ "transaction.timeout.ms": 2_000 });
      await p.initTransactions();
      await p.beginTransaction();
      await p.send({ topic, value: "expired" });
      // scripts/kafka.sh's broker looks for expired transactions every second (Kafka's default: 10 s).
      await new Promise((r) => setTimeout(r, 4_000));
      const e = await p.commitTransaction({ timeoutMs: 10_000 }).then(() => undefined, (err) => err);
      // The broker bumped the epoch to abort it: librdkafka reports this instance as fenced (KIP-588 not in librdkafka).
      assert.ok(e instanceof KafkaError && e.fatal, `expected a fatal KafkaError, got ${e}`);
      assert.equal(e.name, "_FENCED", e.message);
      await rejectsKafka(p.abortTransaction(), "_FENCED");
      await rejectsKafka(p.send({ topic, value: "after" }), "_FENCED");
      const other = txProducer();
      await other.transaction((tx) => {
        tx.send({ topic, value: "marker" });
      });
      assert.deepEqual(await readUntil(topic, "marker", "read_committed"), ["marker"]);
    });
  }

  if (clusterKind() === "mock") {
    it("a stopped broker: init and commit time out (retriable) while timers keep firing, then succeed", async () => {
      // A cluster of its own: the clients of the other tests stay connected to theirs.
      await using mock = await MockCluster.create();
      const topic = `tx-${uuid()}`;
      await mock.createTopic(topic, { partitions: 1 });
      let ticks = 0;
      const timer = setInterval(() => ticks++, 10);
      try {
        const p = own(
          new Producer({
            "bootstrap.servers": mock.bootstrapServers,
            "transactional.id": `tid-${uuid()}`,
            log_level: 0,
          }),
        );
        await mock.setBrokerDown(1, true);
        const before = ticks;
        const e = await rejectsKafka(p.initTransactions({ timeoutMs: 1_500 }), "_TIMED_OUT");
        assert.equal(e.retriable, true);
        // A blocked loop would have run this 10 ms timer once at most.
        assert.ok(ticks - before >= 20, `the loop ran only ${ticks - before} ticks in 1.5 s`);
        await mock.setBrokerDown(1, false);
        await p.initTransactions({ timeoutMs: 30_000 }); // retried after a retriable error

        await p.beginTransaction();
        await p.send({ topic, value: "v" });
        await mock.setBrokerDown(1, true);
        const at = ticks;
        const c = await p.commitTransaction({ timeoutMs: 1_500 }).then(() => undefined, (err) => err);
        assert.ok(c instanceof KafkaError && c.retriable, `a retriable error, got ${c}`);
        assert.ok(ticks - at >= 20, `the loop ran only ${ticks - at} ticks in 1.5 s`);
        await mock.setBrokerDown(1, false);
        await p.commitTransaction({ timeoutMs: 30_000 }); // resumes the commit
        assert.equal(p.inTransaction, false);
        await p.close();
      } finally {
        clearInterval(timer);
      }
    });

    it("close() with a transaction open while the broker is down: settles within its timeout, every send settled", async () => {
      await using mock = await MockCluster.create();
      const topic = `tx-${uuid()}`;
      await mock.createTopic(topic, { partitions: 1 });
      const p = own(
        new Producer({ "bootstrap.servers": mock.bootstrapServers, "transactional.id": `tid-${uuid()}`, log_level: 0 }),
      );
      await p.initTransactions();
      await p.beginTransaction();
      await p.send({ topic, value: "delivered" });
      await mock.setBrokerDown(1, true);
      let settled = 0;
      const sends = Array.from(
        { length: 20 },
        (_, i) => p.send({ topic, value: `stuck${i}` }).then(() => settled++, () => settled++),
      );
      const t0 = performance.now();
      const outcome = await p.close({ timeoutMs: 3_000 }).then(() => undefined, (e) => e);
      const ms = performance.now() - t0;
      assert.ok(outcome === undefined || outcome instanceof KafkaError, String(outcome));
      assert.ok(ms < 3_000 + CLOSE_MARGIN_MS + 2_000, `close took ${Math.round(ms)} ms with a 3 s timeout`);
      assert.equal(settled, 20, "every send settled by the time close did");
      assert.equal((await Promise.allSettled(sends)).length, 20);
    });
  }
});
