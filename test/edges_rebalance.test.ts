// tiers: mock
/**
 * Rebalances at the edges, on librdkafka's mock cluster (which can fail a
 * request and slow a broker down on demand):
 *
 * - a `cooperative-sticky` consumer that lost its membership (the coordinator
 *   answered a heartbeat with UNKNOWN_MEMBER_ID) and changes its subscription
 *   while it rejoins: librdkafka 2.0.2 and 2.12 abort the process there
 *   (`rd_kafka_cgrp_modify_subscription: Assertion 'rkcg_join_state == INIT ||
 *   STEADY'`); `subscribe()` now starts a fresh join instead, and the new
 *   subscription takes effect. Found by the fuzzer (seed 9010).
 *
 * @module
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Consumer, librdkafkaVersion, MockCluster, type RebalanceEvent } from "../src/mod.ts";

const HEARTBEAT = 12; // Kafka API key
const UNKNOWN_MEMBER_ID = 25;

let cluster: MockCluster;
before(async () => {
  cluster = await MockCluster.create({ brokers: 1 });
});
after(() => cluster.close());

/** Resolves with the first event `pred` accepts, or rejects after `ms` naming `what`. */
function waitFor(events: RebalanceEvent[], pred: (e: RebalanceEvent) => boolean, ms: number, what: string) {
  return new Promise<RebalanceEvent>((resolve, reject) => {
    const t0 = performance.now();
    const poll = setInterval(() => {
      const e = events.find(pred);
      if (e) {
        clearInterval(poll);
        resolve(e);
      } else if (performance.now() - t0 > ms) {
        clearInterval(poll);
        reject(new Error(`no ${what} within ${ms} ms; rebalances: ${JSON.stringify(events)}`));
      }
    }, 20);
  });
}

describe(`rebalance edges on the mock cluster (librdkafka ${librdkafkaVersion()})`, () => {
  it("cooperative-sticky: subscribe() while rejoining without a member id starts a fresh join", async () => {
    const id = crypto.randomUUID();
    const [a, b] = [`a-${id}`, `b-${id}`];
    await cluster.createTopic(a, { partitions: 2 });
    await cluster.createTopic(b, { partitions: 2 });
    const events: RebalanceEvent[] = [];
    const consumer = new Consumer({
      "bootstrap.servers": cluster.bootstrapServers,
      "group.id": `g-${id}`,
      "partition.assignment.strategy": "cooperative-sticky",
      "heartbeat.interval.ms": 300,
      "session.timeout.ms": 6_000,
    }, { topics: [a], onRebalance: (e) => void events.push(e) });
    consumer.on("log", () => {});
    // Reads keep the rebalance events flowing (they are served with the fetch queue).
    const reading = (async () => {
      while (!consumer.closed) await consumer.read({ timeoutMs: 100 }).catch(() => null);
    })();
    try {
      await waitFor(events, (e) => e.type === "assign" && e.partitions.length === 2, 30_000, "first assignment");
      // The next heartbeat's answer makes the consumer drop its member id and rejoin; the slow
      // broker keeps its JoinGroup in flight (join state WAIT_JOIN, no member id) for 1.5 s.
      await cluster.pushRequestErrors(HEARTBEAT, [UNKNOWN_MEMBER_ID]);
      await cluster.setRtt(1, 1_500);
      const lost = await waitFor(events, (e) => e.type === "revoke" && e.lost, 30_000, "lost assignment");
      assert.deepEqual(lost.partitions.map((p) => p.topic).sort(), [a, a]);
      await new Promise((r) => setTimeout(r, 300));
      await consumer.subscribe([a, b]); // aborted the process here before the fix
      await cluster.setRtt(1, 0);
      const next = await waitFor(
        events,
        (e) => e.type === "assign" && e.partitions.some((p) => p.topic === b),
        45_000,
        "assignment of the new subscription",
      );
      assert.deepEqual(next.partitions.map((p) => `${p.topic === a ? "a" : "b"}${p.partition}`).sort(), [
        "a0",
        "a1",
        "b0",
        "b1",
      ]);
      // The hook saw the event; the assignment is the consumer's once the hand-back to librdkafka ran.
      const names = () => consumer.assignment().map((p) => `${p.topic === a ? "a" : "b"}${p.partition}`).sort();
      for (const t0 = performance.now(); names().length < 4 && performance.now() - t0 < 10_000;) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.deepEqual(names(), ["a0", "a1", "b0", "b1"]);
    } finally {
      await cluster.setRtt(1, 0);
      await consumer.close({ timeoutMs: 10_000 });
      await reading;
    }
  });
});
