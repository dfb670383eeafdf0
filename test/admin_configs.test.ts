/**
 * AdminClient configs: describeConfigs, alterConfigs and incrementalAlterConfigs
 * (librdkafka ≥ 2.2.0), on both tiers (test/helpers/cluster.ts) and both librdkafka
 * versions.
 *
 * - Argument checks run everywhere: they reject before any request is sent, so the
 *   client has nothing pending afterwards.
 * - The mock cluster answers no config request: librdkafka waits for a controller
 *   that never comes and rejects with `_TIMED_OUT`; its suite asserts that.
 * - The real broker's suite changes topic configs and reads them back. Every topic is
 *   random and deleted by the cluster fixture; the group config is deleted again.
 *
 *   bun test test/admin_configs.test.ts
 *   KAFKA_FAST_LIBRDKAFKA=…/librdkafka.so.1 deno test -A test/admin_configs.test.ts
 *   eval "$(bash scripts/kafka.sh env)"; bun test test/admin_configs.test.ts
 *
 * @module
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  AdminClient,
  type ConfigEntry,
  type ConfigResourceResult,
  ErrorCode,
  KafkaError,
  LibraryLoadError,
  librdkafkaVersion,
} from "../src/mod.ts";
import { parseVersion } from "../ffi/mod.ts";
import { clusterKind, clusterLabel, type TestCluster, testCluster } from "./helpers/cluster.ts";
import { eventually } from "./helpers/runtime.ts";

const v = parseVersion(librdkafkaVersion());
const incremental = v >= parseVersion("2.2.0");
const groupConfigs = v >= parseVersion("2.10.0");
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

/** Asserts that `p` rejects with a `type` whose message matches `re`, and that nothing was sent. */
async function refused(p: Promise<unknown>, type: abstract new (...args: never[]) => Error, re: RegExp) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof type, `${type.name} expected, got ${String(e)}`);
    assert.match((e as Error).message, re);
    return true;
  });
  assert.equal(admin.pending, 0, "no request was sent");
}

/**
 * The request went out: the real broker answers (`check` the result), the mock
 * times out waiting for a controller.
 */
async function sentAndAnswered<T>(p: Promise<T>, check: (r: T) => void): Promise<void> {
  if (clusterKind() === "kafka") return check(await p);
  await assert.rejects(p, (e: unknown) => e instanceof KafkaError && e.code === ErrorCode._TIMED_OUT);
}

function entry(r: ConfigResourceResult, name: string): ConfigEntry {
  const e = r.configs.find((c) => c.name === name);
  assert.ok(e, `${r.type} ${r.name} has ${name} (of ${r.configs.length} entries)`);
  return e;
}

async function describeTopic(name: string): Promise<ConfigResourceResult> {
  const [r] = await admin.describeConfigs([{ type: "TOPIC", name }]);
  assert.equal(r.error, undefined, r.error?.message);
  return r;
}

describe(`AdminClient configs on ${clusterLabel()}: argument checks (librdkafka ${librdkafkaVersion()})`, () => {
  it("describeConfigs: the resource list, type, name and broker id are checked before anything is sent", async () => {
    await refused(admin.describeConfigs([]), TypeError, /describeConfigs\(resources\) must not be empty/);
    // deno-lint-ignore no-explicit-any
    const bad = (r: unknown) => admin.describeConfigs([r as any]);
    await refused(bad({ type: "TOPICS", name: "t" }), TypeError, /resources\[0\]\.type must be one of "TOPIC"/);
    await refused(bad({ type: "ANY", name: "t" }), TypeError, /resources\[0\]\.type must be one of/);
    await refused(bad({ type: "TOPIC", name: "" }), TypeError, /resources\[0\]\.name must be a non-empty string/);
    await refused(bad({ type: "broker", name: "one" }), TypeError, /resources\[0\]\.name must be a broker id/);
    await refused(
      admin.describeConfigs([{ type: "TOPIC", name: "a" }, { type: "topic", name: "a" }]),
      TypeError,
      /resources\[1\] names TOPIC "a" a second time/,
    );
    await refused(
      admin.describeConfigs([{ type: "BROKER", name: "1" }, { type: "BROKER", name: "2" }]),
      TypeError,
      /resources\[1\]: one call may name one BROKER resource/,
    );
    await refused(admin.describeConfigs([{ type: "TOPIC", name: "a" }], { timeoutMs: -1 }), TypeError, /timeoutMs/);
  });

  it("alterConfigs: configs must be an object of strings, numbers and booleans", async () => {
    // deno-lint-ignore no-explicit-any
    const bad = (r: unknown) => admin.alterConfigs([r as any]);
    await refused(bad({ type: "TOPIC", name: "t" }), TypeError, /resources\[0\]\.configs must be an object/);
    await refused(
      bad({ type: "TOPIC", name: "t", configs: { "retention.ms": { n: 1 } } }),
      TypeError,
      /configs\["retention\.ms"\] must be a string, a finite number or a boolean/,
    );
    await refused(bad({ type: "TOPIC", name: "t", configs: { "retention.ms": NaN } }), TypeError, /finite number/);
    await refused(bad({ type: "GROUPS", name: "g", configs: {} }), TypeError, /resources\[0\]\.type/);
  });

  it("incrementalAlterConfigs: ops, op names and values are checked before anything is sent", async () => {
    // deno-lint-ignore no-explicit-any
    const ops = (o: unknown) => admin.incrementalAlterConfigs([{ type: "TOPIC", name: "t", ops: o as any }]);
    await refused(ops([]), TypeError, /resources\[0\]\.ops must not be empty/);
    await refused(
      ops([{ name: "retention.ms", op: "REPLACE", value: 1 }]),
      TypeError,
      /ops\[0\]\.op must be one of "SET"/,
    );
    await refused(ops([{ name: "retention.ms", op: "set" }]), TypeError, /ops\[0\]\.value is required for SET/);
    await refused(
      ops([{ name: "retention.ms", op: "DELETE", value: 1 }]),
      TypeError,
      /ops\[0\]: DELETE takes no value/,
    );
    await refused(ops([{ name: "", op: "DELETE" }]), TypeError, /ops\[0\]\.name must be a non-empty string/);
    await refused(
      ops([{ name: "retention.ms", op: "DELETE" }, { name: "retention.ms", op: "SET", value: 1 }]),
      TypeError,
      /ops\[1\] names "retention\.ms" a second time/,
    );
  });

  it(
    groupConfigs
      ? "GROUP resources are accepted (librdkafka >= 2.10.0)"
      : "GROUP resources reject naming librdkafka 2.10.0 (which added group configs)",
    async () => {
      const p = admin.describeConfigs([{ type: "GROUP", name: "g" }], { timeoutMs: 1_000 });
      if (!groupConfigs) return await refused(p, LibraryLoadError, /GROUP configs need librdkafka >= 2\.10\.0/);
      await sentAndAnswered(p, (r) => assert.equal(r[0].type, "GROUP"));
    },
  );

  it(
    incremental
      ? "incrementalAlterConfigs is available (librdkafka >= 2.2.0)"
      : "incrementalAlterConfigs rejects with a LibraryLoadError naming the method and librdkafka 2.2.0",
    async () => {
      const p = admin.incrementalAlterConfigs([{
        type: "TOPIC",
        name: topicName(),
        ops: [{ name: "x", op: "DELETE" }],
      }], {
        timeoutMs: 1_000,
      });
      if (!incremental) {
        return await refused(p, LibraryLoadError, /^incrementalAlterConfigs needs librdkafka >= 2\.2\.0 .*2\.0\.2/);
      }
      await sentAndAnswered(p, (r) => assert.equal(r[0].error?.code, ErrorCode.UNKNOWN_TOPIC_OR_PART));
    },
  );
});

if (clusterKind() === "mock") {
  describe("AdminClient configs on the mock cluster: no config requests", () => {
    it("describeConfigs and alterConfigs wait for a controller the mock lacks and reject with _TIMED_OUT", async () => {
      const t = topicName();
      await cluster.createTopic(t, { partitions: 1 });
      const calls: Promise<unknown>[] = [
        admin.describeConfigs([{ type: "TOPIC", name: t }], { timeoutMs: 1_000 }),
        admin.alterConfigs([{ type: "TOPIC", name: t, configs: { "retention.ms": 1 } }], { timeoutMs: 1_000 }),
      ];
      if (incremental) {
        calls.push(
          admin.incrementalAlterConfigs([{ type: "TOPIC", name: t, ops: [{ name: "retention.ms", op: "DELETE" }] }], {
            timeoutMs: 1_000,
          }),
        );
      }
      for (const p of calls) {
        await assert.rejects(p, (e: unknown) => {
          assert.ok(e instanceof KafkaError, String(e));
          assert.equal(e.code, ErrorCode._TIMED_OUT, e.message);
          return true;
        });
      }
      assert.equal(admin.pending, 0);
    });
  });
}

if (clusterKind() === "kafka") {
  describe(`AdminClient configs on ${clusterLabel()} (librdkafka ${librdkafkaVersion()})`, () => {
    it("describeConfigs: a topic's set and default values with their sources; an unknown topic per item", async () => {
      const t = topicName();
      await cluster.createTopic(t, { partitions: 1, config: { "retention.ms": "3600000" } });
      const missing = topicName();
      const [m, r] = await admin.describeConfigs([{ type: "TOPIC", name: missing }, { type: "topic", name: t }]);
      assert.deepEqual([m.type, m.name, r.type, r.name], ["TOPIC", missing, "TOPIC", t], "input order");
      assert.equal(m.error?.code, ErrorCode.UNKNOWN_TOPIC_OR_PART, String(m.error));
      assert.ok(m.error.message.includes(missing), m.error.message);
      assert.deepEqual(m.configs, []);
      assert.equal(r.error, undefined);
      const set = entry(r, "retention.ms");
      assert.deepEqual(
        [set.value, set.source, set.isDefault, set.isReadOnly, set.isSensitive, set.isSynonym],
        ["3600000", "DYNAMIC_TOPIC_CONFIG", false, false, false, false],
      );
      assert.equal(set.synonyms[0]?.source, "DYNAMIC_TOPIC_CONFIG", "the most specific synonym first");
      assert.ok(set.synonyms.every((s) => s.isSynonym));
      const unset = entry(r, "segment.ms");
      assert.notEqual(unset.source, "DYNAMIC_TOPIC_CONFIG");
      assert.deepEqual(r.configs.map((c) => c.name), r.configs.map((c) => c.name).sort(), "sorted by name");
    });

    it("alterConfigs replaces the dynamic config (values left out go back to their defaults) and reads back", async () => {
      const t = topicName();
      await cluster.createTopic(t, { partitions: 1, config: { "retention.ms": "3600000" } });
      const [res] = await admin.alterConfigs([{ type: "TOPIC", name: t, configs: { "max.message.bytes": 200_000 } }]);
      assert.deepEqual(res, { type: "TOPIC", name: t });
      await eventually(async () => {
        const r = await describeTopic(t);
        assert.deepEqual([entry(r, "max.message.bytes").value, entry(r, "max.message.bytes").source], [
          "200000",
          "DYNAMIC_TOPIC_CONFIG",
        ]);
        assert.notEqual(entry(r, "retention.ms").source, "DYNAMIC_TOPIC_CONFIG", "retention.ms was not named: reset");
        assert.notEqual(entry(r, "retention.ms").value, "3600000");
      });
    });

    it("alterConfigs reports each resource's refusal on its own; the others are applied", async () => {
      const good = topicName();
      const bad = topicName();
      await cluster.createTopic(good, { partitions: 1 });
      await cluster.createTopic(bad, { partitions: 1 });
      const missing = topicName();
      const results = await admin.alterConfigs([
        { type: "TOPIC", name: missing, configs: { "retention.ms": 1_000_000 } },
        { type: "TOPIC", name: bad, configs: { "retention.ms": "not-a-number" } },
        { type: "TOPIC", name: good, configs: { "retention.ms": 1_000_000 } },
      ]);
      assert.deepEqual(results.map((x) => x.name), [missing, bad, good]);
      assert.equal(results[0].error?.code, ErrorCode.UNKNOWN_TOPIC_OR_PART, String(results[0].error));
      assert.equal(results[1].error?.code, ErrorCode.INVALID_CONFIG, String(results[1].error));
      assert.match(results[1].error.message, /not-a-number/, "the broker's reason is kept");
      assert.equal(results[2].error, undefined);
      await eventually(async () => assert.equal(entry(await describeTopic(good), "retention.ms").value, "1000000"));
      // Applied in the same request as `good`, so it would show by now.
      assert.notEqual(entry(await describeTopic(bad), "retention.ms").source, "DYNAMIC_TOPIC_CONFIG");
    });

    it("validateOnly: the broker checks the change (an invalid value is refused) but applies nothing", async () => {
      const t = topicName();
      const barrier = topicName();
      await cluster.createTopic(t, { partitions: 1, config: { "retention.ms": "3600000" } });
      await cluster.createTopic(barrier, { partitions: 1 });
      const [ok] = await admin.alterConfigs([{ type: "TOPIC", name: t, configs: { "retention.ms": 7_200_000 } }], {
        validateOnly: true,
      });
      assert.equal(ok.error, undefined);
      const [refusal] = await admin.alterConfigs([{ type: "TOPIC", name: t, configs: { "retention.ms": "x" } }], {
        validateOnly: true,
      });
      assert.equal(refusal.error?.code, ErrorCode.INVALID_CONFIG, String(refusal.error));
      if (incremental) {
        const [inc] = await admin.incrementalAlterConfigs(
          [{ type: "TOPIC", name: t, ops: [{ name: "retention.ms", op: "DELETE" }] }],
          { validateOnly: true },
        );
        assert.equal(inc.error, undefined);
      }
      // Changes apply in metadata-log order: once a later real change shows, an applied
      // validateOnly change would show too.
      await admin.alterConfigs([{ type: "TOPIC", name: barrier, configs: { "retention.ms": 7_300_000 } }]);
      await eventually(async () => assert.equal(entry(await describeTopic(barrier), "retention.ms").value, "7300000"));
      const e = entry(await describeTopic(t), "retention.ms");
      assert.deepEqual([e.value, e.source], ["3600000", "DYNAMIC_TOPIC_CONFIG"], "unchanged");
    });

    it("a broker's config (name: its id) has entries from several sources, synonyms and hidden secrets", async () => {
      const md = await admin.metadata();
      const id = String(md.brokers[0].id);
      const [b] = await admin.describeConfigs([{ type: "BROKER", name: id }]);
      assert.deepEqual([b.type, b.name, b.error], ["BROKER", id, undefined]);
      assert.ok(b.configs.length > 100, `${b.configs.length} entries`);
      const sources = new Set(b.configs.map((c) => c.source));
      for (const s of ["STATIC_BROKER_CONFIG", "DEFAULT_CONFIG"]) assert.ok(sources.has(s), [...sources].join());
      // scripts/kafka/server.properties.in sets num.partitions=4 over Kafka's default of 1.
      const np = entry(b, "num.partitions");
      assert.deepEqual([np.value, np.source], ["4", "STATIC_BROKER_CONFIG"]);
      assert.deepEqual(np.synonyms.map((s) => [s.source, s.value]), [["STATIC_BROKER_CONFIG", "4"], [
        "DEFAULT_CONFIG",
        "1",
      ]]);
      assert.deepEqual([entry(b, "node.id").value, entry(b, "node.id").isReadOnly], [id, true]);
      const secret = entry(b, "listener.name.ssl.ssl.keystore.password");
      assert.deepEqual([secret.isSensitive, secret.value], [true, null], "a sensitive value is never sent");
    });

    if (incremental) {
      it("incrementalAlterConfigs: SET and APPEND change only what they name; DELETE goes back to the default", async () => {
        const t = topicName();
        const fresh = topicName();
        await cluster.createTopic(t, { partitions: 1, config: { "max.message.bytes": "300000" } });
        await cluster.createTopic(fresh, { partitions: 1 });
        const [r] = await admin.incrementalAlterConfigs([{
          type: "TOPIC",
          name: t,
          ops: [
            { name: "retention.ms", op: "SET", value: 5_400_000 },
            { name: "cleanup.policy", op: "append", value: "compact" },
          ],
        }]);
        assert.deepEqual(r, { type: "TOPIC", name: t });
        await eventually(async () => {
          const d = await describeTopic(t);
          assert.deepEqual([entry(d, "retention.ms").value, entry(d, "retention.ms").source], [
            "5400000",
            "DYNAMIC_TOPIC_CONFIG",
          ]);
          assert.equal(entry(d, "cleanup.policy").value, "delete,compact");
          assert.equal(entry(d, "max.message.bytes").value, "300000", "not named, so kept (unlike alterConfigs)");
        });

        const [del] = await admin.incrementalAlterConfigs([{
          type: "TOPIC",
          name: t,
          ops: [{ name: "retention.ms", op: "DELETE" }, { name: "cleanup.policy", op: "SUBTRACT", value: "compact" }],
        }]);
        assert.equal(del.error, undefined);
        const def = entry(await describeTopic(fresh), "retention.ms");
        await eventually(async () => {
          const d = await describeTopic(t);
          const back = entry(d, "retention.ms");
          assert.deepEqual(
            [back.value, back.source, back.isDefault],
            [def.value, def.source, def.isDefault],
            "the same as a topic that never set it",
          );
          assert.notEqual(back.source, "DYNAMIC_TOPIC_CONFIG");
          assert.equal(entry(d, "cleanup.policy").value, "delete");
          assert.equal(entry(d, "max.message.bytes").value, "300000");
        });
      });

      it("incrementalAlterConfigs: per-resource errors (unknown topic, invalid value) leave the others applied", async () => {
        const t = topicName();
        const fresh = topicName();
        await cluster.createTopic(t, { partitions: 1 });
        await cluster.createTopic(fresh, { partitions: 1 });
        const missing = topicName();
        const results = await admin.incrementalAlterConfigs([
          { type: "TOPIC", name: missing, ops: [{ name: "retention.ms", op: "SET", value: 1 }] },
          { type: "TOPIC", name: t, ops: [{ name: "retention.ms", op: "SET", value: 4_000_000 }] },
          { type: "TOPIC", name: topicName(), ops: [{ name: "retention.ms", op: "DELETE" }] },
        ]);
        assert.equal(results[0].error?.code, ErrorCode.UNKNOWN_TOPIC_OR_PART, String(results[0].error));
        assert.equal(results[1].error, undefined);
        assert.equal(results[2].error?.code, ErrorCode.UNKNOWN_TOPIC_OR_PART);
        await eventually(async () => assert.equal(entry(await describeTopic(t), "retention.ms").value, "4000000"));
        const [inv] = await admin.incrementalAlterConfigs([
          { type: "TOPIC", name: t, ops: [{ name: "retention.ms", op: "SET", value: "soon" }] },
          { type: "TOPIC", name: fresh, ops: [{ name: "retention.ms", op: "SET", value: 4_100_000 }] },
        ]);
        assert.equal(inv.error?.code, ErrorCode.INVALID_CONFIG, String(inv.error));
        assert.match(inv.error.message, /soon/);
        // `fresh` changed in the same request: once it shows, a change of `t` would too.
        await eventually(async () => assert.equal(entry(await describeTopic(fresh), "retention.ms").value, "4100000"));
        assert.equal(entry(await describeTopic(t), "retention.ms").value, "4000000");
      });
    }

    if (groupConfigs) {
      it("a group's config: set, read back with source GROUP_CONFIG, and deleted (librdkafka >= 2.10.0)", async () => {
        const g = `g-${crypto.randomUUID()}`;
        const name = "consumer.session.timeout.ms";
        const [before] = await admin.describeConfigs([{ type: "GROUP", name: g }]);
        const def = entry(before, name);
        assert.equal(def.source, "DEFAULT_CONFIG");
        const value = String(Number(def.value) + 5_000);
        try {
          const [r] = await admin.incrementalAlterConfigs([{
            type: "GROUP",
            name: g,
            ops: [{ name, op: "SET", value }],
          }]);
          assert.equal(r.error, undefined, r.error?.message);
          await eventually(async () => {
            const [d] = await admin.describeConfigs([{ type: "group", name: g }]);
            assert.deepEqual([d.type, entry(d, name).value, entry(d, name).source], ["GROUP", value, "GROUP_CONFIG"]);
          });
        } finally {
          await admin.incrementalAlterConfigs([{ type: "GROUP", name: g, ops: [{ name, op: "DELETE" }] }]);
        }
        await eventually(async () => {
          const [d] = await admin.describeConfigs([{ type: "GROUP", name: g }]);
          assert.deepEqual([entry(d, name).value, entry(d, name).source], [def.value, "DEFAULT_CONFIG"]);
        });
      });
    }
  });
}
