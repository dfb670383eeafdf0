/**
 * AdminClient: topics, partitions, cluster metadata, argument checks and the
 * client's lifecycle, on both tiers (test/helpers/cluster.ts) and both librdkafka
 * versions (2.0.2 uses the metadata fallbacks; ≥ 2.3.0 DescribeTopics/Cluster).
 *
 * The mock cluster answers Metadata but no CreateTopics/DeleteTopics/
 * CreatePartitions: those reject there with `_TIMED_OUT` ("waiting for controller"),
 * which its own suite asserts; the real broker's suite checks what they do.
 *
 * @module
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  AdminClient,
  ClosedError,
  configure,
  Consumer,
  currentLimits,
  ErrorCode,
  KafkaError,
  LibraryLoadError,
  librdkafkaVersion,
  LimitError,
  Producer,
} from "../src/mod.ts";
import { parseVersion } from "../ffi/mod.ts";
import { clusterKind, clusterLabel, type TestCluster, testCluster } from "./helpers/cluster.ts";
import { waitForLeaders } from "./helpers/topics.ts";
import { eventually, runScript } from "./helpers/runtime.ts";

const v = parseVersion(librdkafkaVersion());
const native23 = v >= parseVersion("2.3.0"); // DescribeTopics, DescribeCluster, authorized operations
// Those two go to the controller: the mock reports none of its brokers as controller,
// so there kafka-fast describes from metadata on every version.
const nativeDescribe = native23 && clusterKind() === "kafka";
const topicName = () => `t-${crypto.randomUUID()}`;

let cluster: TestCluster;
let admin: AdminClient;

before(async () => {
  cluster = await testCluster();
  admin = new AdminClient({ "bootstrap.servers": cluster.bootstrapServers, "log_level": 3 });
});
after(async () => {
  await admin?.close();
  await cluster?.close();
});

describe(`AdminClient on ${clusterLabel()}: metadata and descriptions (librdkafka ${librdkafkaVersion()})`, () => {
  it("metadata lists the brokers and a topic's partitions; a topic it lacks gets UNKNOWN_TOPIC_OR_PART", async () => {
    const t = topicName();
    await cluster.createTopic(t, { partitions: 3 });
    const missing = topicName();
    const md = await admin.metadata({ topics: [t, missing], timeoutMs: 10_000 });
    assert.ok(md.brokers.length >= 1);
    const ports = cluster.bootstrapServers.split(",").map((hp) => Number(hp.split(":").pop()));
    assert.ok(md.brokers.some((b) => ports.includes(b.port) && b.host !== ""), JSON.stringify(md.brokers));
    assert.deepEqual(md.topics.map((x) => x.name), [t, missing]);
    assert.deepEqual(md.topics[0].partitions.map((p) => p.partition), [0, 1, 2]);
    for (const p of md.topics[0].partitions) {
      assert.ok(md.brokers.some((b) => b.id === p.leader), `leader ${p.leader} is a broker`);
      assert.ok(p.replicas.includes(p.leader) && p.isr.includes(p.leader));
    }
    assert.equal(md.topics[1].error?.code, ErrorCode.UNKNOWN_TOPIC_OR_PART);
    // Asking about a topic never creates it (allow.auto.create.topics is false here).
    assert.equal((await admin.metadata({ topics: [missing] })).topics[0].error?.code, ErrorCode.UNKNOWN_TOPIC_OR_PART);
  });

  it("listTopics lists created topics and leaves Kafka's internal ones out unless asked", async () => {
    const t = topicName();
    await cluster.createTopic(t, { partitions: 1 });
    const names = await admin.listTopics();
    assert.ok(names.includes(t));
    assert.ok(!names.some((n) => n.startsWith("__consumer_offsets")));
    const all = await admin.listTopics({ includeInternal: true });
    for (const n of names) assert.ok(all.includes(n));
  });

  it("describeTopics: partitions with leader, replicas and ISR as broker nodes; unknown topics per item", async () => {
    const t = topicName();
    await cluster.createTopic(t, { partitions: 2 });
    const missing = topicName();
    const [d, m] = await admin.describeTopics([t, missing]);
    assert.equal(d.name, t);
    assert.equal(d.error, undefined);
    assert.deepEqual(d.partitions.map((p) => p.partition), [0, 1]);
    for (const p of d.partitions) {
      assert.ok(p.leader && p.leader.port > 0 && p.leader.host !== "", JSON.stringify(p));
      assert.ok(p.replicas.some((r) => r.id === p.leader!.id));
      assert.ok(p.isr.some((r) => r.id === p.leader!.id));
    }
    if (nativeDescribe) {
      assert.equal(typeof d.topicId, "string");
      assert.equal(d.isInternal, false);
    } else {
      assert.equal(d.topicId, undefined); // the metadata fallback has no topic ids
    }
    assert.equal(m.name, missing);
    assert.equal(m.error?.code, ErrorCode.UNKNOWN_TOPIC_OR_PART);
    assert.deepEqual(m.partitions, []);
  });

  it("describeCluster: cluster id, controller among the brokers", async () => {
    const d = await admin.describeCluster({ timeoutMs: 10_000 });
    assert.ok(d.brokers.length >= 1);
    if (clusterKind() === "kafka") {
      assert.ok(d.clusterId && d.clusterId.length >= 16, `cluster id ${d.clusterId}`);
      assert.ok(d.controller && d.brokers.some((b) => b.id === d.controller!.id), JSON.stringify(d));
    } else {
      // librdkafka's mock cluster names itself "mockCluster…" and reports broker 1 as controller.
      assert.match(String(d.clusterId), /^mockCluster/);
      assert.ok(d.controller === null || d.brokers.some((b) => b.id === d.controller!.id), JSON.stringify(d));
    }
  });

  it(
    native23
      ? "includeAuthorizedOperations reports what this principal may do"
      : "includeAuthorizedOperations rejects naming librdkafka 2.3.0",
    async () => {
      const t = topicName();
      await cluster.createTopic(t, { partitions: 1 });
      if (!native23) {
        for (
          const p of [
            admin.describeTopics([t], { includeAuthorizedOperations: true }),
            admin.describeCluster({ includeAuthorizedOperations: true }),
          ]
        ) {
          await assert.rejects(
            p,
            (e: unknown) => e instanceof LibraryLoadError && /needs librdkafka >= 2\.3\.0/.test(e.message),
          );
        }
        return;
      }
      if (clusterKind() === "mock") {
        // Only the controller can answer, and the mock has none: the request times out.
        for (
          const p of [
            admin.describeTopics([t], { includeAuthorizedOperations: true, timeoutMs: 800 }),
            admin.describeCluster({ includeAuthorizedOperations: true, timeoutMs: 800 }),
          ]
        ) {
          await assert.rejects(p, (e: unknown) => e instanceof KafkaError && e.code === ErrorCode._TIMED_OUT);
        }
        return;
      }
      const [d] = await admin.describeTopics([t], { includeAuthorizedOperations: true });
      const c = await admin.describeCluster({ includeAuthorizedOperations: true });
      // PLAINTEXT is ANONYMOUS, a super user on the test broker: it may do everything.
      for (const op of ["READ", "WRITE", "DESCRIBE", "DELETE"]) assert.ok(d.authorizedOperations?.includes(op), op);
      assert.ok(c.authorizedOperations?.includes("DESCRIBE"), JSON.stringify(c.authorizedOperations));
    },
  );
});

if (clusterKind() === "kafka") {
  describe(`AdminClient on ${clusterLabel()}: topics and partitions`, () => {
    it("creates, describes, grows and deletes topics", async () => {
      const a = topicName();
      const b = topicName();
      const created = await admin.createTopics([
        { name: a, partitions: 3 },
        {
          name: b,
          partitions: 1,
          replicationFactor: 1,
          configs: { "retention.ms": 3_600_000, "cleanup.policy": "compact" },
        },
      ]);
      assert.deepEqual(created, [{ name: a }, { name: b }]);
      await waitForLeaders(admin, a, 3, Date.now() + 15_000);
      await waitForLeaders(admin, b, 1, Date.now() + 15_000);
      assert.equal((await admin.describeTopics([a]))[0].partitions.length, 3);

      const grown = await admin.createPartitions([{ topic: a, totalCount: 5 }, { topic: b, totalCount: 1 }]);
      assert.deepEqual(grown[0], { name: a });
      assert.equal(grown[1].error?.code, ErrorCode.INVALID_PARTITIONS, "a topic cannot keep or shrink its count");
      await eventually(async () => assert.equal((await admin.describeTopics([a]))[0].partitions.length, 5));

      assert.deepEqual(await admin.deleteTopics([a, b]), [{ name: a }, { name: b }]);
      await eventually(async () => {
        const names = await admin.listTopics();
        assert.ok(!names.includes(a) && !names.includes(b));
      });
      const again = await admin.deleteTopics([a]);
      assert.equal(again[0].error?.code, ErrorCode.UNKNOWN_TOPIC_OR_PART);
    });

    it("creating an existing topic fails that topic only", async () => {
      const existing = topicName();
      await cluster.createTopic(existing, { partitions: 1 });
      const fresh = topicName();
      const r = await admin.createTopics([{ name: existing, partitions: 1 }, { name: fresh, partitions: 2 }]);
      assert.equal(r[0].name, existing);
      assert.ok(r[0].error instanceof KafkaError);
      assert.equal(r[0].error.code, ErrorCode.TOPIC_ALREADY_EXISTS);
      assert.match(r[0].error.message, new RegExp(existing));
      assert.deepEqual(r[1], { name: fresh });
      await waitForLeaders(admin, fresh, 2, Date.now() + 15_000);
      await admin.deleteTopics([fresh]);
    });

    it("validateOnly checks without creating; a broker-side refusal is per topic", async () => {
      const t = topicName();
      assert.deepEqual(await admin.createTopics([{ name: t, partitions: 2 }], { validateOnly: true }), [{ name: t }]);
      assert.equal((await admin.metadata({ topics: [t] })).topics[0].error?.code, ErrorCode.UNKNOWN_TOPIC_OR_PART);
      const [bad] = await admin.createTopics([{ name: t, partitions: 1, configs: { "cleanup.policy": "sideways" } }]);
      assert.equal(bad.error?.code, ErrorCode.INVALID_CONFIG, bad.error?.message);
      const [tooMany] = await admin.createTopics([{ name: t, partitions: 1, replicationFactor: 3 }]);
      assert.equal(tooMany.error?.code, ErrorCode.INVALID_REPLICATION_FACTOR, tooMany.error?.message);
    });

    it("replicaAssignment places partitions on the brokers given", async () => {
      const t = topicName();
      const { brokers } = await admin.describeCluster();
      const id = brokers[0].id;
      assert.deepEqual(await admin.createTopics([{ name: t, replicaAssignment: [[id], [id]] }]), [{ name: t }]);
      await waitForLeaders(admin, t, 2, Date.now() + 15_000);
      const [d] = await admin.describeTopics([t]);
      assert.deepEqual(d.partitions.map((p) => p.replicas.map((r) => r.id)), [[id], [id]]);
      await admin.deleteTopics([t]);
    });
  });
} else {
  describe(`AdminClient on ${clusterLabel()}: requests the mock cannot serve`, () => {
    it("createTopics, createPartitions and deleteTopics reject with _TIMED_OUT (no controller), naming the call", async () => {
      const t = topicName();
      const calls: [string, Promise<unknown>][] = [
        ["createTopics", admin.createTopics([{ name: t, partitions: 1 }], { timeoutMs: 800 })],
        ["createPartitions", admin.createPartitions([{ topic: t, totalCount: 2 }], { timeoutMs: 800 })],
        ["deleteTopics", admin.deleteTopics([t], { timeoutMs: 800 })],
      ];
      for (const [name, p] of calls) {
        await assert.rejects(
          p,
          (e: unknown) =>
            e instanceof KafkaError && e.code === ErrorCode._TIMED_OUT && e.message.startsWith(`${name}(${t})`),
        );
      }
      assert.equal(admin.pending, 0);
    });
  });
}

describe("AdminClient: bad arguments reject before anything is sent", () => {
  it("names the field", async () => {
    const cases: [Promise<unknown>, RegExp, (e: unknown) => boolean][] = [
      [
        admin.createTopics([{ name: "" }]),
        /topics\[0\]\.name/,
        (e) => e instanceof KafkaError && e.code === ErrorCode.TOPIC_EXCEPTION,
      ],
      [admin.createTopics([{ name: "ok", partitions: -1 }]), /topics\[0\]\.partitions/, (e) => e instanceof RangeError],
      [admin.createTopics([{ name: "ok", partitions: 1.5 }]), /topics\[0\]\.partitions/, (e) => e instanceof TypeError],
      [admin.createTopics([{ name: "a" }, { name: "a" }]), /a second time/, (e) => e instanceof TypeError],
      [admin.createTopics([]), /must not be empty/, (e) => e instanceof TypeError],
      [admin.createTopics("t" as never), /must be an array/, (e) => e instanceof TypeError],
      [
        admin.createTopics([{ name: "ok", replicaAssignment: [[1]], replicationFactor: 1 }]),
        /replicaAssignment/,
        (e) => e instanceof TypeError,
      ],
      [
        admin.createTopics([{ name: "ok", configs: { x: null as never } }]),
        /configs\["x"\]/,
        (e) => e instanceof TypeError,
      ],
      [admin.createPartitions([{ topic: "ok", totalCount: 0 }]), /totalCount/, (e) => e instanceof RangeError],
      [admin.deleteTopics(["ok", "bad name!"]), /names\[1\]/, (e) => e instanceof KafkaError],
      [admin.describeTopics([]), /must not be empty/, (e) => e instanceof TypeError],
      [admin.metadata({ timeoutMs: -1 }), /timeoutMs/, (e) => e instanceof TypeError],
      [admin.listTopics({ timeoutMs: Number.NaN }), /timeoutMs/, (e) => e instanceof TypeError],
    ];
    for (const [p, msg, kind] of cases) {
      await assert.rejects(p, (e: unknown) => kind(e) && msg.test((e as Error).message));
    }
    assert.equal(admin.pending, 0);
    if (clusterKind() === "kafka") {
      assert.equal((await admin.metadata({ topics: ["ok"] })).topics[0].error?.code, ErrorCode.UNKNOWN_TOPIC_OR_PART);
    }
  });

  it("unknown options and bad config are refused at construction", () => {
    assert.throws(
      () => new AdminClient({ "bootstrap.servers": "x" }, { nope: 1 } as never),
      /unknown AdminClient option "nope"/,
    );
    assert.throws(() => new AdminClient({ "no.such.property": 1 }), /no\.such\.property/);
  });
});

describe("AdminClient: lifecycle", () => {
  it("close waits for calls in flight, is idempotent, and later calls reject ClosedError", async () => {
    const a = new AdminClient({ "bootstrap.servers": cluster.bootstrapServers });
    const inFlight = a.metadata({ timeoutMs: 10_000 });
    const closing = a.close();
    assert.equal(a.closed, true);
    assert.ok((await inFlight).brokers.length >= 1, "the call in flight still answers");
    await closing;
    await a.close();
    await assert.rejects(a.listTopics(), ClosedError);
    await assert.rejects(a.createTopics([{ name: topicName() }]), ClosedError);
  });

  it("close({ timeoutMs: 0 }) rejects what is in flight with ClosedError", async () => {
    // A broker that does not exist: the request would wait for its whole timeout.
    const a = new AdminClient({ "bootstrap.servers": "127.0.0.1:1", "log_level": 0 });
    const rejected = assert.rejects(a.createTopics([{ name: topicName() }], { timeoutMs: 20_000 }), ClosedError);
    const t0 = Date.now();
    await a.close({ timeoutMs: 0 });
    await rejected;
    assert.ok(Date.now() - t0 < 15_000, "close did not wait for the request's own timeout");
  });

  it("never blocks the event loop while a broker does not answer", async () => {
    await using a = new AdminClient({ "bootstrap.servers": "127.0.0.1:1", "log_level": 0 });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    try {
      const t0 = Date.now();
      await assert.rejects(
        a.metadata({ timeoutMs: 1_500 }),
        (e: unknown) => e instanceof KafkaError && (e.code === ErrorCode._TRANSPORT || e.code === ErrorCode._TIMED_OUT),
      );
      await assert.rejects(a.describeCluster({ timeoutMs: 1_000 }), KafkaError);
      const ms = Date.now() - t0;
      // Not a timing assertion: a blocked loop would have fired no timer at all meanwhile.
      assert.ok(ticks >= Math.min(20, ms / 40), `${ticks} ticks in ${ms} ms`);
    } finally {
      clearInterval(timer);
    }
  });

  it("counts towards maxClients; fromClient shares a producer's handle and takes no slot", async () => {
    const before = currentLimits();
    configure({ maxClients: before.openClients + 1 });
    let p: Producer | undefined;
    try {
      p = new Producer({ "bootstrap.servers": cluster.bootstrapServers });
      assert.throws(() => new AdminClient({ "bootstrap.servers": cluster.bootstrapServers }), LimitError);
      const shared = AdminClient.fromClient(p);
      assert.equal(currentLimits().openClients, before.openClients + 1);
      assert.equal(shared.name, p.name);
      assert.ok((await shared.metadata({ topics: [] })).brokers.length >= 1);
      assert.throws(() => shared.on("error", () => {}), /its producer or consumer/);
      await shared.close();
      await assert.rejects(shared.listTopics(), ClosedError);
      // The producer is untouched by its admin client's close.
      const t = topicName();
      await cluster.createTopic(t, { partitions: 1 });
      assert.equal((await p.send({ topic: t, value: "still open" })).topic, t);

      const second = AdminClient.fromClient(p);
      const pending = second.metadata({ timeoutMs: 10_000 });
      await p.close();
      await pending.then(() => {}, (e) => assert.ok(e instanceof ClosedError, String(e)));
      assert.equal(second.closed, true);
      await assert.rejects(
        second.listTopics(),
        (e: unknown) => e instanceof ClosedError && /its client was closed/.test(e.message),
      );
      assert.throws(() => AdminClient.fromClient(p!), ClosedError);
      await second.close();
    } finally {
      await p?.close();
      configure({ maxClients: before.maxClients });
    }
    assert.equal(currentLimits().openClients, before.openClients);
    assert.throws(() => AdminClient.fromClient({}), /needs a kafka-fast Producer or Consumer/);
  });

  it("fromClient works on a consumer's handle too, and its close ends the admin client", async () => {
    const t = topicName();
    await cluster.createTopic(t, { partitions: 2 });
    const c = new Consumer({ "bootstrap.servers": cluster.bootstrapServers }, {
      assignment: [{ topic: t, partition: 0 }],
    });
    const shared = AdminClient.fromClient(c);
    const [d] = await shared.describeTopics([t]);
    assert.equal(d.partitions.length, 2);
    assert.equal(await c.read({ timeoutMs: 50 }), null, "reads still work beside the admin client");
    await c.close();
    await assert.rejects(shared.metadata(), ClosedError);
    await shared.close();
  });

  it("an admin client dropped without close is freed by the GC, and the process ends", () => {
    const r = runScript(new URL("./fixtures/admin_drop_without_close.ts", import.meta.url), {
      BOOTSTRAP: cluster.bootstrapServers,
    });
    assert.equal(r.signal, null, `killed by ${r.signal}: ${r.stdout} ${r.stderr}`);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /open after use: 2/);
    assert.match(r.stdout, /brokers seen: [1-9]/);
    assert.match(r.stdout, /open after gc: 0/);
  });
});
