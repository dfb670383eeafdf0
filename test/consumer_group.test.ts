/**
 * Consumer group integration tests: partitions split between members, rebalances
 * (eager and cooperative), the async `onRebalance` hook, regex subscriptions and
 * `assignment()`.
 *
 * Every test counts what the whole group read, per partition and offset: with
 * `enable.auto.commit=false` and a hook that commits on revoke, no message may be
 * lost and none read twice across rebalances and a member's close.
 *
 * Runs on both tiers (see test/helpers/cluster.ts). A group join takes about 3 s on
 * the mock cluster, so each test keeps its joins few.
 *
 *   bun test --timeout 120000 test/consumer_group.test.ts
 *   deno test -A --v8-flags=--expose-gc test/consumer_group.test.ts
 *
 * @module
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type ClientConfig,
  ClosedError,
  Consumer,
  type KafkaError,
  Producer,
  type RebalanceEvent,
  type TopicPartition,
} from "../src/mod.ts";
import { clusterLabel, type TestCluster, testCluster } from "./helpers/cluster.ts";
import { sleep } from "./helpers/runtime.ts";

const uid = () => crypto.randomUUID().replaceAll("-", "");
const key = (partition: number, offset: bigint) => `${partition}@${offset}`;
const sorted = (tps: readonly TopicPartition[]) =>
  tps.map((t) => `${t.topic}[${t.partition}]`).sort((a, b) => a.localeCompare(b));

/** Waits (test-side polling) until `cond()` holds; fails with `what()` after `timeoutMs`. */
async function until(cond: () => boolean, what: () => string, timeoutMs = 30_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await sleep(20);
  }
}

/** Values of produced messages by `partition@offset`, filled from delivery reports. */
const produced = new Map<string, string>();
let seq = 0;

/** What the whole group read: every (partition, offset) with who read it. */
class GroupLog {
  readonly reads = new Map<string, string[]>();
  /** Messages delivered for a partition not in the reader's assignment() at that moment. */
  readonly foreign: string[] = [];
  total = 0;
  record(who: string, topic: string, partition: number, offset: bigint, assigned: TopicPartition[], value: string) {
    const k = key(partition, offset);
    const list = this.reads.get(k) ?? [];
    list.push(who);
    this.reads.set(k, list);
    this.total++;
    if (!assigned.some((t) => t.topic === topic && t.partition === partition)) {
      this.foreign.push(`${who} read ${topic}[${k}] with assignment ${sorted(assigned).join(",")}`);
    }
    const want = produced.get(`${topic}/${k}`);
    if (value !== want) this.foreign.push(`${who} read ${k} with value ${value}, sent ${want}`);
  }
  duplicates(): string[] {
    return [...this.reads].filter(([, who]) => who.length > 1).map(([k, who]) => `${k} by ${who.join("+")}`);
  }
}

/** Reads one consumer in a loop (short read timeouts) until stopped or closed. */
class Reader {
  readonly count = new Map<number, number>();
  #stopped = false;
  readonly done: Promise<void>;
  constructor(readonly consumer: Consumer, readonly name: string, readonly log: GroupLog) {
    this.done = this.#loop();
  }
  get read(): number {
    let n = 0;
    for (const v of this.count.values()) n += v;
    return n;
  }
  async #loop(): Promise<void> {
    while (!this.#stopped) {
      let m;
      try {
        m = await this.consumer.read({ timeoutMs: 100 });
      } catch (e) {
        if (e instanceof ClosedError) return;
        throw e;
      }
      if (m === null) continue;
      this.count.set(m.partition, (this.count.get(m.partition) ?? 0) + 1);
      this.log.record(this.name, m.topic, m.partition, m.offset, this.consumer.assignment(), m.text());
    }
  }
  stop(): Promise<void> {
    this.#stopped = true;
    return this.done;
  }
}

/** A group member whose hook commits the stored offsets on every revoke, and that records its events. */
function member(bootstrap: string, group: string, topics: (string | RegExp)[], extra: ClientConfig = {}) {
  const events: RebalanceEvent[] = [];
  const hookErrors: unknown[] = [];
  const errors: KafkaError[] = [];
  const consumer: Consumer = new Consumer({
    "bootstrap.servers": bootstrap,
    "group.id": group,
    "auto.offset.reset": "earliest",
    "enable.auto.commit": false,
    ...extra,
  }, {
    topics,
    onRebalance: async (e) => {
      if (e.type !== "revoke") return;
      try {
        await consumer.commit();
      } catch (err) {
        hookErrors.push(err);
        throw err;
      }
    },
  });
  consumer.on("rebalance", (e) => events.push(e));
  consumer.on("error", (e) => errors.push(e));
  return { consumer, events, hookErrors, errors };
}

/** Sends `perPartition` messages to each partition; returns their keys (`partition@offset`). */
async function produce(producer: Producer, topic: string, partitions: number, perPartition: number) {
  const msgs = Array.from({ length: partitions * perPartition }, (_, i) => ({
    topic,
    partition: i % partitions,
    value: `v-${topic}-${seq++}`,
  }));
  const keys: string[] = [];
  const res = await producer.sendMulti(msgs);
  res.forEach((r, i) => {
    if (r.status === "rejected") throw r.reason;
    const k = key(r.value.partition, r.value.offset);
    produced.set(`${topic}/${k}`, msgs[i].value);
    keys.push(k);
  });
  return keys;
}

describe(`Consumer groups (${clusterLabel()})`, () => {
  let cluster: TestCluster;
  let bootstrap: string;
  let producer: Producer;
  const open: Consumer[] = [];

  before(async () => {
    cluster = await testCluster();
    bootstrap = cluster.bootstrapServers;
    producer = new Producer({ "bootstrap.servers": bootstrap, "enable.idempotence": true });
  });

  after(async () => {
    await Promise.allSettled(open.map((c) => c.close({ timeoutMs: 5_000 })));
    await producer?.close();
    await cluster?.close();
  });

  /** A new topic with a random name. */
  async function newTopic(partitions: number, prefix = "g"): Promise<string> {
    const t = `${prefix}-${uid()}`;
    await cluster.createTopic(t, { partitions });
    return t;
  }

  for (const strategy of ["eager", "cooperative-sticky"] as const) {
    const extra: ClientConfig = strategy === "eager" ? {} : { "partition.assignment.strategy": "cooperative-sticky" };
    const protocol = strategy === "eager" ? "EAGER" : "COOPERATIVE";

    it(`${strategy}: two members split the partitions; when one closes the other takes all; nothing lost or read twice`, async () => {
      const topic = await newTopic(4);
      const all = [0, 1, 2, 3].map((partition) => ({ topic, partition }));
      const group = `grp-${uid()}`;
      const log = new GroupLog();
      const expected = new Set<string>();
      const add = (keys: string[]) => keys.forEach((k) => expected.add(k));
      const readAll = () => [...expected].every((k) => log.reads.has(k));
      const missing = () => [...expected].filter((k) => !log.reads.has(k)).slice(0, 10).join(",");

      add(await produce(producer, topic, 4, 50));

      // A alone: gets all four partitions.
      const a = member(bootstrap, group, [topic], extra);
      open.push(a.consumer);
      const ra = new Reader(a.consumer, "A", log);
      await until(() => a.consumer.assignment().length === 4 && readAll(), () => `A to read phase 1 (${missing()})`);
      assert.deepEqual(sorted(a.consumer.assignment()), sorted(all));
      assert.equal(a.events.length, 1);
      assert.equal(a.events[0].type, "assign");
      assert.equal(a.events[0].protocol, protocol);
      assert.deepEqual(sorted(a.events[0].partitions), sorted(all));

      // B joins: the partitions are split, disjoint, and together all of them.
      const aEventsBeforeB = a.events.length;
      const b = member(bootstrap, group, [topic], extra);
      open.push(b.consumer);
      const rb = new Reader(b.consumer, "B", log);
      const split = () => {
        const pa = sorted(a.consumer.assignment());
        const pb = sorted(b.consumer.assignment());
        return pa.length > 0 && pb.length > 0 && pa.length + pb.length === 4 &&
          new Set([...pa, ...pb]).size === 4;
      };
      await until(split, () => `a split: A ${sorted(a.consumer.assignment())} B ${sorted(b.consumer.assignment())}`);
      const aParts = sorted(a.consumer.assignment());
      const bParts = sorted(b.consumer.assignment());
      assert.deepEqual([...aParts, ...bParts].sort((x, y) => x.localeCompare(y)), sorted(all));

      // A's events for B's join: eager revokes everything and assigns again; cooperative
      // revokes only what moves to B and keeps the rest without a new assign.
      const aJoin = a.events.slice(aEventsBeforeB);
      for (const e of [...aJoin, ...b.events]) {
        assert.equal(e.protocol, protocol);
        assert.equal(e.lost, false);
      }
      if (strategy === "eager") {
        assert.deepEqual(aJoin.map((e) => e.type), ["revoke", "assign"]);
        assert.deepEqual(sorted(aJoin[0].partitions), sorted(all));
        assert.deepEqual(sorted(aJoin[1].partitions), aParts);
      } else {
        assert.deepEqual(aJoin.map((e) => e.type), ["revoke"]);
        assert.deepEqual(sorted(aJoin[0].partitions), bParts, "only the partitions that move are revoked");
      }
      assert.deepEqual(b.events.map((e) => e.type), ["assign"]);
      assert.deepEqual(sorted(b.events[0].partitions), bParts);

      // Phase 2: each member reads only its own partitions.
      const aReadBefore = ra.read;
      const bReadBefore = rb.read;
      add(await produce(producer, topic, 4, 50));
      await until(readAll, () => `phase 2 to be read (${missing()})`);
      assert.ok(ra.read > aReadBefore && rb.read > bReadBefore, "both members read phase 2");
      for (const p of rb.count.keys()) assert.ok(bParts.includes(`${topic}[${p}]`), `B read partition ${p}`);
      assert.deepEqual(log.foreign, []);

      // Phase 3 stays unread on B's partitions: B stops reading (its phase-2 offsets are
      // stored but not committed: only the revoke at close commits them) and closes.
      await rb.stop();
      add(await produce(producer, topic, 4, 50));
      const aEventsBeforeClose = a.events.length;
      await b.consumer.close();
      assert.deepEqual(b.hookErrors, [], "B's commit on revoke at close succeeded");
      assert.deepEqual(b.events.map((e) => e.type), ["assign", "revoke"]);
      assert.deepEqual(sorted(b.events[1].partitions), bParts);

      // A takes every partition and reads what remains, from B's committed offsets.
      await until(
        () => a.consumer.assignment().length === 4,
        () => `A to take all (${sorted(a.consumer.assignment())})`,
      );
      await until(readAll, () => `phase 3 to be read (${missing()})`);
      await sleep(500); // anything read twice would come now, right behind the rest
      const aClose = a.events.slice(aEventsBeforeClose);
      if (strategy === "eager") {
        assert.deepEqual(aClose.map((e) => e.type), ["revoke", "assign"]);
        assert.deepEqual(sorted(aClose[0].partitions), aParts);
        assert.deepEqual(sorted(aClose[1].partitions), sorted(all));
      } else {
        assert.deepEqual(aClose.map((e) => e.type), ["assign"], "A keeps its partitions and gets B's added");
        assert.deepEqual(sorted(aClose[0].partitions), bParts);
      }
      for (const e of aClose) assert.equal(e.protocol, protocol);
      assert.deepEqual(sorted(a.consumer.assignment()), sorted(all));

      await ra.stop();
      await a.consumer.close();
      assert.deepEqual(a.hookErrors, []);
      assert.deepEqual(log.foreign, []);
      assert.deepEqual(log.duplicates(), [], "no message read twice by the group");
      assert.equal(log.reads.size, expected.size, "no message lost and nothing unexpected");
      assert.equal(log.total, expected.size);
      assert.deepEqual([...a.errors, ...b.errors].map((e) => e.message), []);
    });
  }

  it("an async onRebalance hook is awaited before the assignment is handed back, and at close", async () => {
    const topic = await newTopic(2);
    await produce(producer, topic, 2, 5);
    const order: string[] = [];
    let hookSettledAt = -1;
    const events: RebalanceEvent[] = [];
    const c = new Consumer({
      "bootstrap.servers": bootstrap,
      "group.id": `grp-${uid()}`,
      "auto.offset.reset": "earliest",
    }, {
      onRebalance: async (e) => {
        order.push(`hook ${e.type} start (assignment ${c.assignment().length})`);
        await sleep(300);
        order.push(`hook ${e.type} end`);
        if (e.type === "assign") hookSettledAt = performance.now();
      },
    });
    open.push(c);
    c.on("rebalance", (e) => {
      events.push(e);
      order.push(`event ${e.type}`);
    });
    // A read is already waiting when the assignment arrives.
    const first = c.read({ timeoutMs: 30_000 });
    await c.subscribe([topic]);
    const m = await first;
    const at = performance.now();
    assert.ok(m !== null, "a message arrived");
    order.push("message");
    assert.ok(hookSettledAt > 0 && at >= hookSettledAt, "the message came after the hook settled");
    assert.deepEqual(order, ["event assign", "hook assign start (assignment 0)", "hook assign end", "message"]);
    assert.equal(events.length, 1);
    const [e] = events;
    assert.deepEqual(Object.keys(e).sort(), ["lost", "partitions", "protocol", "type"]);
    assert.equal(e.type, "assign");
    assert.equal(e.protocol, "EAGER");
    assert.equal(e.lost, false);
    assert.deepEqual(sorted(e.partitions), sorted([{ topic, partition: 0 }, { topic, partition: 1 }]));
    assert.deepEqual(sorted(c.assignment()), sorted(e.partitions));

    // unsubscribe revokes through the hook too, and assignment() follows.
    order.length = 0;
    await c.unsubscribe();
    await until(() => order.includes("hook revoke end"), () => `the revoke hook (${order.join(", ")})`);
    assert.deepEqual(order, ["event revoke", "hook revoke start (assignment 0)", "hook revoke end"]);
    assert.equal(events[1].type, "revoke");
    assert.equal(events[1].lost, false);
    assert.deepEqual(sorted(events[1].partitions), sorted(e.partitions));
    assert.deepEqual(c.assignment(), []);

    // Join again, then close: close resolves only after the revoke hook settled.
    order.length = 0;
    await c.subscribe([topic]);
    await until(() => order.includes("hook assign end"), () => `the second assign (${order.join(", ")})`);
    await sleep(50);
    await c.close();
    order.push("closed");
    assert.deepEqual(order.slice(-4), [
      "event revoke",
      "hook revoke start (assignment 0)",
      "hook revoke end",
      "closed",
    ]);
  });

  it("regex subscriptions (RegExp and a string starting with ^) pick up topics created later", async () => {
    const pa = `rxa${uid()}`;
    const pb = `rxb${uid()}`;
    const early = `${pa}-early`;
    await cluster.createTopic(early, { partitions: 1 });
    const other = await newTopic(1, `x${pa}`); // matches no pattern (the ^ anchors)
    await produce(producer, other, 1, 2);
    await produce(producer, early, 1, 2);
    const seen = new Map<string, number>();
    const events: RebalanceEvent[] = [];
    const c = new Consumer({
      "bootstrap.servers": bootstrap,
      "group.id": `grp-${uid()}`,
      "auto.offset.reset": "earliest",
      "topic.metadata.refresh.interval.ms": 1000,
    }, { topics: [new RegExp(`^${pa}-.*`), `^${pb}-.*`] });
    open.push(c);
    c.on("rebalance", (e) => events.push(e));
    const reader = (async () => {
      for (;;) {
        let m;
        try {
          m = await c.read({ timeoutMs: 100 });
        } catch (e) {
          if (e instanceof ClosedError) return;
          throw e;
        }
        if (m) seen.set(m.topic, (seen.get(m.topic) ?? 0) + 1);
      }
    })();
    const got = (t: string) => seen.get(t) ?? 0;
    await until(() => got(early) === 3, () => `the early topic (${[...seen]})`);

    // Created after subscribing: one per pattern.
    const lateA = `${pa}-late`;
    const lateB = `${pb}-late`;
    await cluster.createTopic(lateA, { partitions: 2 });
    await cluster.createTopic(lateB, { partitions: 1 });
    await produce(producer, lateA, 2, 3);
    await produce(producer, lateB, 1, 3);
    await until(() => got(lateA) === 8 && got(lateB) === 4, () => `the late topics (${[...seen]})`, 45_000);
    const assigned = new Set(c.assignment().map((t) => t.topic));
    assert.deepEqual([...assigned].sort(), [early, lateA, lateB].sort());
    assert.equal(got(other), 0, "a topic no pattern matches is not read");
    assert.equal(got(early), 3);
    assert.ok(events.some((e) => e.type === "assign" && e.partitions.some((p) => p.topic === lateB)));
    await c.close();
    await reader;
  });
});
