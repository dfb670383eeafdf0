/**
 * AdminClient: consumer groups (list, describe, delete) and their committed
 * offsets (list, alter, delete), on both tiers (test/helpers/cluster.ts) and both
 * librdkafka versions (`types` needs 2.6.0, `includeAuthorizedOperations` 2.3.0,
 * a description's `type` 2.10.0).
 *
 * The real broker's suite runs consumers in groups and checks what the admin calls
 * see and change. The mock cluster answers OffsetFetch/OffsetCommit, so listing
 * and altering offsets runs on both tiers, but it has no ListGroups,
 * DescribeGroups, DeleteGroups or OffsetDelete. What librdkafka then does is
 * asserted in the mock's suite, in child processes where it is fatal: DeleteGroups
 * and DeleteConsumerGroupOffsets abort the process (an assertion in
 * rdkafka_queue.h, confluentinc/librdkafka#3663), and on 2.0.2 a DescribeGroups
 * answered `_UNSUPPORTED_FEATURE` leaves the handle unable to finish any later
 * group request (or its own destroy).
 *
 *   bun test --timeout 120000 test/admin_groups.test.ts
 *   deno test -A --v8-flags=--expose-gc test/admin_groups.test.ts
 *
 * @module
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AdminClient,
  type ClientConfig,
  Consumer,
  type ConsumerOptions,
  type GroupDescription,
  LibraryLoadError,
  librdkafkaVersion,
  Producer,
  type TopicPartition,
} from "../src/mod.ts";
import { parseVersion } from "../ffi/mod.ts";
import { clusterKind, clusterLabel, type TestCluster, testCluster } from "./helpers/cluster.ts";
import { byPartition, offsetsOf, range, readN } from "./helpers/consume.ts";
import { runScript, sleep } from "./helpers/runtime.ts";

const v = parseVersion(librdkafkaVersion());
const has = (version: string) => v >= parseVersion(version);
const uid = () => crypto.randomUUID();

let cluster: TestCluster;
let admin: AdminClient;
let producer: Producer;
const consumers: Consumer[] = [];
const groups = new Set<string>();

before(async () => {
  cluster = await testCluster();
  admin = new AdminClient({ "bootstrap.servers": cluster.bootstrapServers, "log_level": 3 });
  producer = new Producer({
    "bootstrap.servers": cluster.bootstrapServers,
    "linger.ms": 5,
    "enable.idempotence": true,
  });
});

after(async () => {
  await Promise.allSettled(consumers.map((c) => c.close({ timeoutMs: 5_000 })));
  // The broker outlives the run: remove the groups left behind (never on the mock, see the module comment).
  if (clusterKind() === "kafka" && groups.size > 0) {
    await admin.deleteGroups([...groups], { timeoutMs: 10_000 }).catch(() => {});
  }
  await producer?.close();
  await admin?.close();
  await cluster?.close();
});

async function newTopic(partitions: number): Promise<string> {
  const t = `t-${uid()}`;
  await cluster.createTopic(t, { partitions });
  return t;
}

function newGroup(): string {
  const g = `g-${uid()}`;
  groups.add(g);
  return g;
}

/** `n` messages "v<i>" to one partition, all delivered. */
async function fill(topic: string, partition: number, n: number): Promise<void> {
  const res = await producer.sendMulti(Array.from({ length: n }, (_, i) => ({ topic, partition, value: `v${i}` })));
  assert.ok(res.every((r) => r.status === "fulfilled"), "every message delivered");
}

/** A consumer closed at the end of the file if the test did not close it. */
function consumer(config: ClientConfig, options?: ConsumerOptions): Consumer {
  const c = new Consumer({
    "bootstrap.servers": cluster.bootstrapServers,
    "auto.offset.reset": "earliest",
    "enable.auto.commit": false,
    ...config,
  }, options);
  consumers.push(c);
  return c;
}

const sortTps = (tps: readonly TopicPartition[]) =>
  [...tps].map(({ topic, partition }) => ({ topic, partition })).sort((a, b) =>
    a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition
  );

/** Describes `group` until `done(state)` (state changes reach the coordinator a moment later). */
async function describeUntil(group: string, done: (state: string) => boolean): Promise<GroupDescription> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const [d] = await admin.describeGroups([group]);
    if (done(d.state) || Date.now() > deadline) return d;
    await sleep(100);
  }
}

/** Rejects with a LibraryLoadError that names the call, the version it needs and the loaded one. */
const versionError = (call: string, version: string) => (e: unknown) =>
  e instanceof LibraryLoadError && e.message.startsWith(call) &&
  e.message.includes(`needs librdkafka >= ${version}`) && e.message.includes(librdkafkaVersion());

describe(`AdminClient groups on ${clusterLabel()} (librdkafka ${librdkafkaVersion()})`, () => {
  it("bad arguments reject with a TypeError or RangeError naming the field, before anything is sent", async () => {
    const tp = { topic: "t", partition: 0 };
    const bad: [() => Promise<unknown>, ErrorConstructor, RegExp][] = [
      [() => admin.listGroups({ states: ["Bogus"] }), TypeError, /listGroups: states\[0\] must be one of "Unknown"/],
      [() => admin.listGroups({ states: "Stable" as never }), TypeError, /states must be an array/],
      [() => admin.listGroups({ types: ["Classic", "modern"] }), TypeError, /types\[1\] must be one of/],
      [() => admin.listGroups({ timeoutMs: Number.NaN }), TypeError, /timeoutMs/],
      [() => admin.describeGroups([]), TypeError, /describeGroups\(groupIds\) must not be empty/],
      [() => admin.describeGroups(["ok", ""]), TypeError, /describeGroups: groupIds\[1\] must be a non-empty string/],
      [() => admin.describeGroups(["a", "a"]), TypeError, /groupIds\[1\] names "a" a second time/],
      [() => admin.deleteGroups([7 as never]), TypeError, /deleteGroups: groupIds\[0\]/],
      [() => admin.listGroupOffsets(""), TypeError, /listGroupOffsets: groupId must be a non-empty string/],
      [() => admin.listGroupOffsets("g", []), TypeError, /listGroupOffsets\(partitions\) must not be empty/],
      [() => admin.listGroupOffsets("g", [{ ...tp, partition: -1 }]), RangeError, /partitions\[0\]\.partition/],
      [() => admin.listGroupOffsets("g", [{ ...tp, topic: "" }]), TypeError, /partitions\[0\]\.topic/],
      [() => admin.listGroupOffsets("g", [tp, tp]), TypeError, /\[1\] names t\[0\] a second time/],
      [() => admin.alterGroupOffsets("", [{ ...tp, offset: 1n }]), TypeError, /alterGroupOffsets: groupId/],
      [
        () => admin.alterGroupOffsets("g", [{ ...tp, offset: 5 as never }]),
        TypeError,
        /alterGroupOffsets: offsets\[0\]\.offset must be a bigint/,
      ],
      [() => admin.alterGroupOffsets("g", [{ ...tp, offset: -1n }]), RangeError, /offsets\[0\]\.offset must be >= 0n/],
      [() => admin.alterGroupOffsets("g", [{ ...tp, partition: 1.5, offset: 1n }]), TypeError, /\[0\]\.partition/],
      [() => admin.deleteGroupOffsets("g", []), TypeError, /deleteGroupOffsets\(partitions\) must not be empty/],
      [() => admin.deleteGroupOffsets("g", [{ ...tp, partition: -3 }]), RangeError, /partitions\[0\]\.partition/],
    ];
    for (const [call, type, message] of bad) {
      await assert.rejects(call(), (e) => e instanceof type && message.test((e as Error).message), String(message));
    }
    assert.equal(admin.pending, 0, "nothing was sent");
  });

  it("list and alter group offsets; a new consumer in the group starts exactly there", async () => {
    const topic = await newTopic(2);
    const other = await newTopic(1);
    await fill(topic, 0, 10);
    await fill(topic, 1, 10);
    const tp0 = { topic, partition: 0 };
    const tp1 = { topic, partition: 1 };
    const group = newGroup();
    const c1 = consumer({ "group.id": group });
    await c1.assign([{ ...tp0, offset: 0n }, { ...tp1, offset: 0n }]);
    const read = await readN(c1, 20);
    const at = (p: number, o: bigint) => read.find((m) => m.partition === p && m.offset === o)!;
    await c1.commit([at(0, 5n), at(1, 3n)]); // the next offsets to read: 6 and 4
    await c1.close();

    // In request order; a partition the group never committed has offset undefined.
    assert.deepEqual(await admin.listGroupOffsets(group, [tp1, { topic: other, partition: 0 }, tp0]), {
      groupId: group,
      partitions: [{ ...tp1, offset: 4n }, { topic: other, partition: 0, offset: undefined }, { ...tp0, offset: 6n }],
    });
    const all = await admin.listGroupOffsets(group, undefined, { requireStable: true });
    if (clusterKind() === "kafka") {
      assert.deepEqual(all, { groupId: group, partitions: [{ ...tp0, offset: 6n }, { ...tp1, offset: 4n }] });
    } else {
      // The mock answers only for the partitions named (it ignores an OffsetFetch for all of them).
      assert.deepEqual(all, { groupId: group, partitions: [] });
    }

    // Alter: one partition back, one forward.
    assert.deepEqual(await admin.alterGroupOffsets(group, [{ ...tp0, offset: 2n }, { ...tp1, offset: 8n }]), {
      groupId: group,
      partitions: [{ ...tp0, offset: 2n }, { ...tp1, offset: 8n }],
    });
    assert.deepEqual((await admin.listGroupOffsets(group, [tp0, tp1], { requireStable: true })).partitions, [
      { ...tp0, offset: 2n },
      { ...tp1, offset: 8n },
    ]);

    const c2 = consumer({ "group.id": group });
    await c2.assign([tp0, tp1]); // no offsets: from the group's committed ones
    const rest = await readN(c2, 8 + 2);
    assert.deepEqual(offsetsOf(byPartition(rest, 0)), range(2, 10));
    assert.deepEqual(offsetsOf(byPartition(rest, 1)), [8n, 9n]);
    assert.equal(await c2.read({ timeoutMs: 300 }), null, "nothing beyond");
    await c2.close();
  });

  it("options newer than the loaded librdkafka reject with the version error: types (2.6.0), includeAuthorizedOperations (2.3.0)", async () => {
    if (!has("2.6.0")) {
      await assert.rejects(admin.listGroups({ types: ["classic"] }), versionError("listGroups({ types })", "2.6.0"));
    } else if (clusterKind() === "kafka") {
      // A classic group made by a commit alone (no member ever joined).
      const topic = await newTopic(1);
      const group = newGroup();
      const c = consumer({ "group.id": group });
      await c.commit([{ topic, partition: 0, offset: 0n }]);
      await c.close();
      const classic = await admin.listGroups({ types: ["classic"] });
      assert.deepEqual(classic.errors, []);
      assert.equal(classic.groups.find((g) => g.groupId === group)?.type, "Classic");
      assert.ok(classic.groups.every((g) => g.type === "Classic"));
      const kip848 = await admin.listGroups({ types: ["Consumer"] });
      assert.ok(!kip848.groups.some((g) => g.groupId === group));
      assert.ok(kip848.groups.every((g) => g.type === "Consumer"));
    } else {
      const { groups: listed, errors } = await admin.listGroups({ types: ["classic"] });
      assert.deepEqual([listed, errors.map((e) => e.name)], [[], ["_UNSUPPORTED_FEATURE"]]);
    }
    if (!has("2.3.0")) {
      await assert.rejects(
        admin.describeGroups(["g"], { includeAuthorizedOperations: true }),
        versionError("describeGroups({ includeAuthorizedOperations })", "2.3.0"),
      );
    } else if (clusterKind() === "kafka") {
      // A group made by a commit alone (no member ever joined).
      const topic = await newTopic(1);
      const group = newGroup();
      const c = consumer({ "group.id": group });
      await c.commit([{ topic, partition: 0, offset: 0n }]);
      await c.close();
      const [d] = await admin.describeGroups([group], { includeAuthorizedOperations: true });
      assert.deepEqual([d.error, d.state, d.members], [undefined, "Empty", []]);
      for (const op of ["READ", "DESCRIBE", "DELETE"]) assert.ok(d.authorizedOperations?.includes(op), op);
    } else {
      // The mock has no DescribeGroups: kafka-fast answers for it without sending (see the mock suite).
      const [d] = await admin.describeGroups(["g"], { includeAuthorizedOperations: true });
      assert.deepEqual([d.error?.name, d.authorizedOperations], ["_UNSUPPORTED_FEATURE", undefined]);
    }
  });
});

if (clusterKind() === "kafka") {
  describe(`AdminClient groups with consumers on the real broker (librdkafka ${librdkafkaVersion()})`, () => {
    const memberConfig = (group: string, clientId: string): ClientConfig => ({
      "group.id": group,
      "client.id": clientId,
      "session.timeout.ms": 6_000, // the broker's minimum: a member that vanishes is gone soon
      "heartbeat.interval.ms": 300,
    });

    it("list, describe and delete a group after a consumer ran in it", async () => {
      const topic = await newTopic(2);
      await fill(topic, 0, 3);
      await fill(topic, 1, 3);
      const group = newGroup();
      const clientId = `admin-groups-${uid().slice(0, 8)}`;
      const c = consumer(memberConfig(group, clientId), { topics: [topic] });
      assert.ok(await c.read({ timeoutMs: 30_000 }), "the member joined and read");
      await c.commit();
      const brokers = (await admin.metadata({ topics: [] })).brokers.map((b) => b.id);

      const [d] = await admin.describeGroups([group]);
      assert.deepEqual([d.groupId, d.error, d.state, d.isSimpleConsumerGroup], [group, undefined, "Stable", false]);
      assert.equal(d.partitionAssignor, "range"); // librdkafka's first default assignor
      assert.ok(d.coordinator && brokers.includes(d.coordinator.id), JSON.stringify(d.coordinator));
      assert.equal(d.type, has("2.10.0") ? "Classic" : undefined);
      assert.equal(d.members.length, 1);
      const [m] = d.members;
      assert.equal(m.clientId, clientId);
      assert.ok(m.memberId.startsWith(`${clientId}-`), m.memberId); // Kafka names members after their client id
      assert.equal(m.groupInstanceId, null);
      assert.match(m.host, /127\.0\.0\.1/);
      assert.deepEqual(m.assignment, [{ topic, partition: 0 }, { topic, partition: 1 }]);
      assert.deepEqual(sortTps(c.assignment()), m.assignment, "what the consumer itself was given");

      const stable = await admin.listGroups();
      assert.deepEqual(stable.errors, []);
      const listing = stable.groups.find((g) => g.groupId === group);
      assert.deepEqual(listing, {
        groupId: group,
        isSimpleConsumerGroup: false,
        state: "Stable",
        ...(has("2.6.0") ? { type: "Classic" } : {}),
      });
      const byState = await admin.listGroups({ states: ["stable"] });
      assert.ok(byState.groups.some((g) => g.groupId === group));
      assert.ok(byState.groups.every((g) => g.state === "Stable"));
      const others = await admin.listGroups({ states: ["Empty", "Dead"] });
      assert.ok(!others.groups.some((g) => g.groupId === group));
      assert.ok(others.groups.every((g) => g.state === "Empty" || g.state === "Dead"));

      // While the member lives, the broker refuses both per item.
      const [refused] = await admin.deleteGroups([group]);
      assert.deepEqual([refused.groupId, refused.error?.name], [group, "NON_EMPTY_GROUP"]);
      const altered = await admin.alterGroupOffsets(group, [{ topic, partition: 0, offset: 0n }]);
      assert.deepEqual([altered.error, altered.partitions[0].error?.name], [undefined, "UNKNOWN_MEMBER_ID"]);

      await c.close();
      const empty = await describeUntil(group, (s) => s === "Empty");
      assert.deepEqual([empty.state, empty.members, empty.error], ["Empty", [], undefined]);
      const committed = (await admin.listGroupOffsets(group)).partitions;
      assert.equal(committed.length, 1, "the member's commit is kept after it left");

      assert.deepEqual(await admin.deleteGroups([group]), [{ groupId: group }]);
      groups.delete(group);
      assert.ok(!(await admin.listGroups()).groups.some((g) => g.groupId === group), "gone from listGroups");
      assert.deepEqual((await admin.listGroupOffsets(group)).partitions, [], "its offsets went with it");
    });

    it("an unknown group: describe says Dead (no error), delete says GROUP_ID_NOT_FOUND, in request order", async () => {
      const topic = await newTopic(1);
      const known = newGroup();
      const c = consumer({ "group.id": known });
      await c.commit([{ topic, partition: 0, offset: 0n }]);
      await c.close();
      const unknown = `g-${uid()}`;
      const [u, k] = await admin.describeGroups([unknown, known]);
      assert.deepEqual([u.groupId, u.error, u.state, u.members], [unknown, undefined, "Dead", []]);
      assert.deepEqual([k.groupId, k.error, k.state], [known, undefined, "Empty"]);
      const deleted = await admin.deleteGroups([unknown, known]);
      assert.deepEqual(deleted.map((r) => [r.groupId, r.error?.name]), [[unknown, "GROUP_ID_NOT_FOUND"], [
        known,
        undefined,
      ]]);
      groups.delete(known);
    });

    it("deleteGroupOffsets removes them: listed as undefined, a new consumer starts from auto.offset.reset", async () => {
      const topic = await newTopic(2);
      await fill(topic, 0, 6);
      await fill(topic, 1, 6);
      const tp0 = { topic, partition: 0 };
      const tp1 = { topic, partition: 1 };
      const group = newGroup();
      const c1 = consumer({ "group.id": group });
      await c1.commit([{ ...tp0, offset: 4n }, { ...tp1, offset: 3n }]);
      await c1.close();

      assert.deepEqual(await admin.deleteGroupOffsets(group, [tp0]), { groupId: group, partitions: [tp0] });
      assert.deepEqual((await admin.listGroupOffsets(group, [tp0, tp1])).partitions, [
        { ...tp0, offset: undefined },
        { ...tp1, offset: 3n },
      ]);
      const c2 = consumer({ "group.id": group, "auto.offset.reset": "earliest" });
      await c2.assign([tp0, tp1]);
      const got = await readN(c2, 6 + 3);
      assert.deepEqual(offsetsOf(byPartition(got, 0)), range(0, 6), "partition 0 from the earliest offset");
      assert.deepEqual(offsetsOf(byPartition(got, 1)), range(3, 6), "partition 1 from its committed offset");
      await c2.close();

      // A group subscribed to the topic keeps its offsets: refused per partition.
      const member = consumer(memberConfig(group, `admin-groups-${uid().slice(0, 8)}`), { topics: [topic] });
      assert.ok(await member.read({ timeoutMs: 30_000 }), "the member joined and read");
      const refused = await admin.deleteGroupOffsets(group, [tp1]);
      assert.deepEqual([refused.error, refused.partitions.map((p) => p.error?.name)], [undefined, [
        "GROUP_SUBSCRIBED_TO_TOPIC",
      ]]);
      assert.deepEqual((await admin.listGroupOffsets(group, [tp1])).partitions, [{ ...tp1, offset: 3n }]);
      await member.close();
    });
  });
} else {
  describe(`AdminClient groups on the mock cluster: the requests it lacks (librdkafka ${librdkafkaVersion()})`, () => {
    it("listGroups: no groups, one _UNSUPPORTED_FEATURE error per broker", async () => {
      const { groups: listed, errors } = await admin.listGroups({ timeoutMs: 5_000 });
      assert.deepEqual(listed, []);
      assert.ok(errors.length >= 1 && errors.every((e) => e.name === "_UNSUPPORTED_FEATURE"), String(errors));
    });

    // Sent to the mock, DeleteGroups and OffsetDelete abort the process (SIGABRT in
    // rdkafka_queue.h, confluentinc/librdkafka#3663, on 2.0.2 and 2.12) and a refused
    // DescribeGroups leaves 2.0.2's handle deaf to later group requests; kafka-fast
    // therefore answers them itself on a mock cluster. A child process proves that the
    // process survives and that the handle still works afterwards.
    it("deleteGroups, deleteGroupOffsets and describeGroups answer _UNSUPPORTED_FEATURE without crashing", () => {
      const r = inChild();
      assert.equal(r.signal, null, `killed by ${r.signal}: ${r.stderr.slice(0, 800)}`);
      assert.equal(r.status, 0, r.stderr.slice(0, 800));
      assert.match(r.stdout, /^deleteGroups resolved \[\{"groupId":"g","error":"_UNSUPPORTED_FEATURE"\}\]$/m);
      assert.match(
        r.stdout,
        /^deleteGroupOffsets rejected _UNSUPPORTED_FEATURE deleteGroupOffsets\(g\): librdkafka's mock/m,
      );
      assert.match(r.stdout, /^describeGroups resolved \[\{"groupId":"g","error":"_UNSUPPORTED_FEATURE"/m);
      assert.match(r.stdout, /^then resolved \{"groupId":"g","partitions":\[\{"topic":"t","partition":0\}\]\}$/m);
      assert.match(r.stdout, /^closed$/m);
      assert.doesNotMatch(r.stderr, /rdkafka_queue\.h/);
    });
  });
}

/** Runs the mock calls of {@link childScript} in a new process (a crash there would end only that process). */
function inChild() {
  const dir = mkdtempSync(join(tmpdir(), "kafka-fast-admin-groups-"));
  const file = join(dir, "child.ts");
  writeFileSync(file, childScript(new URL("../src/mod.ts", import.meta.url).href));
  try {
    return runScript(new URL(`file://${file}`), {}, 60_000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The child process of the mock suite (see `inChild`). */
function childScript(mod: string): string {
  return `
import { AdminClient, MockCluster } from ${JSON.stringify(mod)};
const mock = await MockCluster.create();
await mock.createTopic("t", { partitions: 1 });
const admin = new AdminClient({ "bootstrap.servers": mock.bootstrapServers, "log_level": 0 });
const show = (v: unknown) =>
  JSON.stringify(v, (_k, x) => x instanceof Error ? (x as Error).name : typeof x === "bigint" ? String(x) : x);
const settle = (p: Promise<unknown>) =>
  Promise.race([
    p.then((r) => "resolved " + show(r), (e) => "rejected " + (e as Error).name + " " + (e as Error).message),
    new Promise((r) => setTimeout(() => r("unsettled"), 5_000)),
  ]);
console.log("deleteGroups", await settle(admin.deleteGroups(["g"], { timeoutMs: 1_000 })));
console.log("deleteGroupOffsets", await settle(admin.deleteGroupOffsets("g", [{ topic: "t", partition: 0 }], { timeoutMs: 1_000 })));
console.log("describeGroups", await settle(admin.describeGroups(["g"], { timeoutMs: 1_000 })));
console.log("then", await settle(admin.listGroupOffsets("g", [{ topic: "t", partition: 0 }], { timeoutMs: 1_000 })));
await admin.close({ timeoutMs: 1_000 });
await mock.close();
console.log("closed");
`;
}
