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
import { clusterKind, clusterLabel, type TestCluster } from "./helpers/cluster.ts";
import { ConsumerFixture } from "./helpers/consume.ts";
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
  readonly values: [string, string][] = [];
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
    this.values.push([`${topic}/${k}`, value]);
  }
  /** Values read that differ from what was sent (checked once every send has its report). */
  wrongValues(): string[] {
    return this.values.filter(([k, v]) => produced.get(k) !== v).map(([k, v]) => `${k}: ${v} (${produced.get(k)})`);
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

/**
 * A group member's configuration. The mock cluster waits `session.timeout.ms` - 1 s for
 * the members of a stable group to rejoin before it completes a rebalance (45 s with
 * librdkafka's default), so the session is short there; 6 s is the real broker's minimum.
 * Frequent heartbeats let members notice a rebalance soon.
 */
function groupConfig(bootstrap: string, group: string, extra: ClientConfig = {}): ClientConfig {
  return {
    "bootstrap.servers": bootstrap,
    "group.id": group,
    "auto.offset.reset": "earliest",
    "session.timeout.ms": clusterKind() === "mock" ? 3_000 : 6_000,
    "heartbeat.interval.ms": 300,
    ...extra,
  };
}

/** A group member whose hook commits the stored offsets on every revoke, and that records its events. */
function member(bootstrap: string, group: string, topics: (string | RegExp)[], extra: ClientConfig = {}) {
  const events: RebalanceEvent[] = [];
  const hookErrors: unknown[] = [];
  const errors: KafkaError[] = [];
  const consumer: Consumer = new Consumer(groupConfig(bootstrap, group, { "enable.auto.commit": false, ...extra }), {
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

/**
 * Replays rebalance events on a member's assignment `from` and returns the result;
 * fails when an event does not fit the protocol: eager revokes everything it has and
 * assigns only to an empty assignment; cooperative revokes only what it has and
 * assigns only what it has not. (A join may take more than one round.)
 */
function replay(from: readonly string[], events: readonly RebalanceEvent[], protocol: string): string[] {
  const now = new Set(from);
  for (const e of events) {
    const parts = sorted(e.partitions);
    const was = [...now].sort((x, y) => x.localeCompare(y));
    if (e.type === "revoke") {
      if (protocol === "EAGER") assert.deepEqual(parts, was, "an eager revoke takes everything");
      for (const p of parts) assert.ok(now.delete(p), `revoke of ${p}, not assigned (had ${was})`);
    } else {
      if (protocol === "EAGER") assert.deepEqual(was, [], "an eager assign comes after a revoke");
      for (const p of parts) {
        assert.ok(!now.has(p), `assign of ${p}, already assigned`);
        now.add(p);
      }
    }
  }
  return [...now].sort((x, y) => x.localeCompare(y));
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

  /** A new topic with a random name. */
  async function newTopic(partitions: number, prefix = "g"): Promise<string> {
    const t = `${prefix}-${uid()}`;
    await cluster.createTopic(t, { partitions });
    return t;
  }

  for (const strategy of ["eager", "cooperative-sticky"] as const) {
    const extra: ClientConfig = strategy === "eager" ? {} : { "partition.assignment.strategy": "cooperative-sticky" };
    const protocol = strategy === "eager" ? "EAGER" : "COOPERATIVE";
    /** Errors as text, for a readable diff. */
    const texts = (errors: unknown[]) => errors.map((e) => e instanceof Error ? `${e.name}: ${e.message}` : String(e));

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
      if (cluster.kind === "mock") {
        // The mock refuses every OffsetCommit while its group is joining
        // (REBALANCE_IN_PROGRESS; seen in librdkafka 2.0.2's cgrp debug log), so A's
        // commit on the revoke that B's join causes would fail and B would read phase 1
        // again. A real broker accepts commits of the current generation until the
        // rebalance completes: there the revoke hook commits. Here it finds nothing new.
        await a.consumer.commit();
      }
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
      let aParts = sorted(a.consumer.assignment());
      let bParts = sorted(b.consumer.assignment());
      assert.deepEqual([...aParts, ...bParts].sort((x, y) => x.localeCompare(y)), sorted(all));

      // The events of B's join: eager revokes everything and assigns again (first a
      // revoke, last an assign); cooperative revokes only what moves to B.
      const aJoin = a.events.slice(aEventsBeforeB);
      for (const e of [...aJoin, ...b.events]) {
        assert.equal(e.protocol, protocol);
        assert.equal(e.lost, false);
      }
      assert.equal(aJoin[0]?.type, "revoke");
      assert.deepEqual(replay(sorted(all), aJoin, protocol), aParts);
      assert.deepEqual(replay([], b.events, protocol), bParts);
      if (strategy === "eager") {
        assert.equal(aJoin.at(-1)?.type, "assign");
      } else {
        const revoked = new Set(aJoin.flatMap((e) => e.type === "revoke" ? sorted(e.partitions) : []));
        for (const p of aParts) assert.ok(!revoked.has(p), `A kept ${p} through the rebalance`);
      }

      // Phase 2: each member reads only its own partitions.
      const aReadBefore = ra.read;
      const bReadBefore = rb.read;
      add(await produce(producer, topic, 4, 50));
      await until(readAll, () => `phase 2 to be read (${missing()})`);
      assert.ok(ra.read > aReadBefore && rb.read > bReadBefore, "both members read phase 2");
      assert.deepEqual(log.foreign, [], "every message was read by the member it was assigned to");

      // Phase 3 stays unread on B's partitions: B stops reading (its phase-2 offsets are
      // stored but not committed: only the revoke at close commits them) and closes.
      await rb.stop();
      // (A group may take another round after the split: take the assignment as it is now.)
      aParts = sorted(a.consumer.assignment());
      bParts = sorted(b.consumer.assignment());
      assert.equal(aParts.length + bParts.length, 4);
      const phase3 = await produce(producer, topic, 4, 50);
      add(phase3);
      const onA = phase3.filter((k) => aParts.includes(`${topic}[${k.split("@")[0]}]`));
      await until(() => onA.every((k) => log.reads.has(k)), () => "A to read phase 3 on its partitions");
      if (cluster.kind === "mock") {
        // A's revoke when B leaves falls into the mock's joining group too (see above):
        // commit now, so A does not read its own messages again after its eager revoke.
        await a.consumer.commit();
      }
      const aEventsBeforeClose = a.events.length;
      await b.consumer.close();
      assert.deepEqual(texts(b.hookErrors), [], "B's commit on revoke at close succeeded");
      const bClose = b.events.at(-1)!;
      assert.equal(bClose.type, "revoke", "B revoked at close");
      assert.deepEqual(sorted(bClose.partitions), bParts);

      // A takes every partition and reads what remains, from B's committed offsets.
      await until(
        () => a.consumer.assignment().length === 4,
        () => `A to take all (${sorted(a.consumer.assignment())})`,
      );
      await until(readAll, () => `phase 3 to be read (${missing()})`);
      await sleep(500); // anything read twice would come now, right behind the rest
      const aClose = a.events.slice(aEventsBeforeClose);
      for (const e of aClose) assert.equal(e.protocol, protocol);
      assert.deepEqual(replay(aParts, aClose, protocol), sorted(all));
      if (strategy === "eager") {
        assert.equal(aClose[0]?.type, "revoke");
      } else {
        assert.deepEqual(aClose.filter((e) => e.type === "revoke"), [], "A keeps its partitions, B's are added");
      }
      assert.deepEqual(sorted(a.consumer.assignment()), sorted(all));

      await ra.stop();
      await a.consumer.close();
      assert.deepEqual(texts(a.hookErrors), [], "A's commits on revoke succeeded");
      assert.deepEqual(log.foreign, []);
      assert.deepEqual(log.wrongValues(), []);
      assert.deepEqual(log.duplicates(), [], "no message read twice by the group");
      assert.equal(log.reads.size, expected.size, "no message lost and nothing unexpected");
      assert.equal(log.total, expected.size);
      assert.deepEqual(texts([...a.errors, ...b.errors]), []);
    });
  }

  it("an async onRebalance hook is awaited before the assignment is handed back, and at close", async () => {
    const topic = await newTopic(2);
    await produce(producer, topic, 2, 5);
    const order: string[] = [];
    let hookSettledAt = -1;
    const events: RebalanceEvent[] = [];
    const c = new Consumer(groupConfig(bootstrap, `grp-${uid()}`), {
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

    // The application reads nothing more for now: rebalances still arrive while it is
    // idle (the consumer keeps what was fetched aside, unread). unsubscribe revokes
    // through the hook too, and assignment() follows.
    order.length = 0;
    await c.unsubscribe();
    await until(() => order.includes("hook revoke end"), () => `the revoke hook (${order.join(", ")})`);
    assert.deepEqual(order, ["event revoke", "hook revoke start (assignment 0)", "hook revoke end"]);
    assert.equal(events[1].type, "revoke");
    assert.equal(events[1].lost, false);
    assert.deepEqual(sorted(events[1].partitions), sorted(e.partitions));
    assert.deepEqual(c.assignment(), []);

    // Join again (still without reading): the assign arrives too. Auto-commit committed
    // the first message at the revoke, and the 9 left unread were never stored, so the
    // group reads exactly those 9 now.
    order.length = 0;
    await c.subscribe([topic]);
    await until(() => order.includes("hook assign end"), () => `the second assign (${order.join(", ")})`);
    assert.deepEqual(order, ["event assign", "hook assign start (assignment 0)", "hook assign end"]);
    const rest = new Set<string>();
    for (let got = 0; got < 9; got++) {
      const r = await c.read({ timeoutMs: 15_000 });
      assert.ok(r !== null, `message ${got + 2} of 10 arrived`);
      rest.add(key(r.partition, r.offset));
    }
    assert.equal(rest.size, 9, "nine different messages");
    assert.ok(!rest.has(key(m.partition, m.offset)), "the first message is not read again");
    assert.equal(await c.read({ timeoutMs: 300 }), null, "and nothing more");

    // close resolves only after the revoke hook settled.
    await c.close();
    order.push("closed");
    assert.deepEqual(order.slice(3), [
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
    const c = new Consumer(groupConfig(bootstrap, `grp-${uid()}`, { "topic.metadata.refresh.interval.ms": 1000 }), {
      topics: [new RegExp(`^${pa}-.*`), `^${pb}-.*`],
    });
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
    await until(() => got(early) === 2, () => `the early topic (${[...seen]})`);

    // Created after subscribing: one per pattern.
    const lateA = `${pa}-late`;
    const lateB = `${pb}-late`;
    await cluster.createTopic(lateA, { partitions: 2 });
    await cluster.createTopic(lateB, { partitions: 1 });
    await produce(producer, lateA, 2, 3);
    await produce(producer, lateB, 1, 3);
    await until(() => got(lateA) === 6 && got(lateB) === 3, () => `the late topics (${[...seen]})`, 45_000);
    const assigned = new Set(c.assignment().map((t) => t.topic));
    assert.deepEqual([...assigned].sort(), [early, lateA, lateB].sort());
    assert.equal(got(other), 0, "a topic no pattern matches is not read");
    assert.equal(got(early), 2);
    assert.ok(events.some((e) => e.type === "assign" && e.partitions.some((p) => p.topic === lateB)));
    await c.close();
    await reader;
  });
});
