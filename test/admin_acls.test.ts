/**
 * AdminClient ACLs against the real broker of `scripts/kafka.sh` (the kafka tier
 * only: librdkafka's mock cluster has no authorizer): createAcls, describeAcls,
 * deleteAcls, and what a principal the ACLs deny sees.
 *
 * The broker runs the KRaft StandardAuthorizer with super users `admin` and
 * `ANONYMOUS` (the PLAINTEXT listener, which this file's admin client uses) and
 * `allow.everyone.if.no.acl.found=true`: alice, over SASL PLAIN, may do anything no
 * ACL speaks about, and a resource with ACLs allows only what they allow.
 *
 * What these tests pin down:
 * - An ACL denying alice WRITE on a topic makes her sends fail with
 *   TOPIC_AUTHORIZATION_FAILED; deleting it lets her write again.
 * - ACL changes are committed by the controller when the call resolves and reach the
 *   broker's authorizer a moment later, so the tests wait until describeAcls (served
 *   by that authorizer) shows the change before they rely on it.
 * - alice's own AdminClient may create ACLs while the cluster resource has no ACL
 *   (the broker's default); with one there (this file adds `DENY alice ALTER` on the
 *   cluster for one test and removes it at once), CreateAcls and DeleteAcls refuse
 *   her per item with CLUSTER_AUTHORIZATION_FAILED, and her DescribeAcls resolves
 *   with [] although ACLs exist: librdkafka (2.0.2 and 2.12) drops the error of a
 *   DescribeAcls response instead of reporting it.
 *
 *   eval "$(bash scripts/kafka.sh env)"
 *   bun test test/admin_acls.test.ts
 *   deno test -A --v8-flags=--expose-gc test/admin_acls.test.ts
 *
 * @module
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type AclBinding,
  type AclBindingFilter,
  AdminClient,
  type ClientConfig,
  ErrorCode,
  KafkaError,
  librdkafkaVersion,
  Producer,
} from "../src/mod.ts";
import { createReadyTopic } from "./helpers/topics.ts";
import { readBack, text } from "./helpers/readback.ts";
import { eventually } from "./helpers/runtime.ts";

const ENV_HINT = "admin_acls.test.ts runs only against the real broker: " +
  'bash scripts/kafka.sh up && eval "$(bash scripts/kafka.sh env)"';

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: ${ENV_HINT}`);
  return v;
}

const uuid = () => crypto.randomUUID();

function asAlice(): ClientConfig {
  return {
    "bootstrap.servers": need("KAFKA_SASL_BOOTSTRAP"),
    "security.protocol": "sasl_plaintext",
    "sasl.mechanisms": "PLAIN",
    "sasl.username": need("KAFKA_SASL_USERNAME"),
    "sasl.password": need("KAFKA_SASL_PASSWORD"),
    "log_level": 3,
  };
}

let admin: AdminClient;
const topics: string[] = [];
/** Filters that remove what a test created, run in `after` even when the test failed. */
const cleanup: AclBindingFilter[] = [];

before(() => {
  admin = new AdminClient({ "bootstrap.servers": need("KAFKA_BOOTSTRAP"), "log_level": 3 });
});
after(async () => {
  if (!admin) return;
  if (cleanup.length > 0) await admin.deleteAcls(cleanup).catch(() => {});
  if (topics.length > 0) await admin.deleteTopics(topics).catch(() => {});
  await admin.close();
});

async function newTopic(): Promise<string> {
  const t = `acl-${uuid()}`;
  await createReadyTopic(admin, t, 1);
  topics.push(t);
  return t;
}

const order = (a: AclBinding, b: AclBinding) => JSON.stringify(a) < JSON.stringify(b) ? -1 : 1;

/** Waits until the broker's authorizer lists exactly `want` for `filter`. */
function shows(filter: AclBindingFilter, want: AclBinding[]): Promise<void> {
  return eventually(async () =>
    assert.deepEqual((await admin.describeAcls(filter)).sort(order), [...want].sort(order))
  );
}

/** One send by a fresh producer: its report, or the KafkaError it rejected with. */
async function sendOnce(config: ClientConfig, topic: string, value: string): Promise<KafkaError | bigint> {
  const p = new Producer({ ...config, "message.timeout.ms": 15_000 });
  try {
    return (await p.send({ topic, value })).offset;
  } catch (e) {
    if (e instanceof KafkaError) return e;
    throw e;
  } finally {
    await p.close({ timeoutMs: 5_000 });
  }
}

describe(`AdminClient ACLs on Kafka at ${process.env.KAFKA_BOOTSTRAP} (librdkafka ${librdkafkaVersion()})`, () => {
  it("bad bindings and filters reject with a TypeError naming the field before anything is sent", async () => {
    const ok = {
      resourceType: "TOPIC",
      resourceName: "t",
      principal: "User:x",
      operation: "READ",
      permission: "ALLOW",
    };
    // deno-lint-ignore no-explicit-any
    const create = (b: Record<string, unknown>) => admin.createAcls([ok, b as any]);
    const cases: Array<[Promise<unknown>, RegExp]> = [
      [admin.createAcls([]), /createAcls\(bindings\) must not be empty/],
      [create({ ...ok, resourceType: "TOPICS" }), /bindings\[1\]\.resourceType must be one of "TOPIC", "GROUP"/],
      [create({ ...ok, resourceType: "ANY" }), /bindings\[1\]\.resourceType must be one of/],
      [create({ ...ok, resourceName: "" }), /bindings\[1\]\.resourceName must be a non-empty string/],
      [create({ ...ok, patternType: "MATCH" }), /bindings\[1\]\.patternType must be one of "LITERAL", "PREFIXED"/],
      [create({ ...ok, operation: "ANY" }), /bindings\[1\]\.operation must be one of "ALL", "READ"/],
      [create({ ...ok, permission: "any" }), /bindings\[1\]\.permission must be one of "ALLOW", "DENY"/],
      [create({ ...ok, principal: undefined }), /bindings\[1\]\.principal must be a non-empty string/],
      [create({ ...ok, user: "x" }), /bindings\[1\] has an unknown field "user"/],
      // A misspelt filter field would match everything: deleteAcls would delete every ACL.
      [
        admin.deleteAcls([{ resourceNme: "orders" } as AclBindingFilter]),
        /filters\[0\] has an unknown field "resourceNme"/,
      ],
      [admin.deleteAcls([]), /deleteAcls\(filters\) must not be empty/],
      [admin.describeAcls({ operation: "UNKNOWN" }), /describeAcls\(filter\)\.operation must be one of "ANY"/],
      [admin.describeAcls({ resourceName: 5 as unknown as string }), /resourceName must be a string or null/],
      [admin.describeAcls(null as unknown as AclBindingFilter), /describeAcls\(filter\) must be an object/],
    ];
    for (const [p, re] of cases) {
      await assert.rejects(p, (e: unknown) => e instanceof TypeError && re.test(e.message));
    }
    assert.equal(admin.pending, 0, "no request was sent");
  });

  it("alice, denied WRITE on a topic, gets TOPIC_AUTHORIZATION_FAILED; deleting the ACL lets her write again", async () => {
    const t = await newTopic();
    const alice = asAlice();
    assert.equal(await sendOnce(alice, t, "before"), 0n, "alice may write while no ACL names the topic");

    const deny: AclBinding = {
      resourceType: "TOPIC",
      resourceName: t,
      patternType: "LITERAL",
      principal: "User:alice",
      host: "*",
      operation: "WRITE",
      permission: "DENY",
    };
    cleanup.push({ resourceType: "TOPIC", resourceName: t });
    const created = await admin.createAcls([{ ...deny, patternType: undefined, host: undefined, operation: "write" }]);
    assert.deepEqual(created, [{ binding: deny }], "defaults filled in, names in librdkafka's spelling");
    await shows({ resourceType: "TOPIC", resourceName: t }, [deny]);

    const refused = await sendOnce(alice, t, "denied");
    assert.ok(refused instanceof KafkaError, `alice's send was refused, got offset ${String(refused)}`);
    assert.equal(refused.code, ErrorCode.TOPIC_AUTHORIZATION_FAILED, `${refused.name}: ${refused.message}`);
    assert.ok(refused.message.includes(t), refused.message);
    // The ACL names alice only: the super user still writes.
    assert.equal(await sendOnce({ "bootstrap.servers": need("KAFKA_BOOTSTRAP") }, t, "anonymous"), 1n);

    const [del] = await admin.deleteAcls([{ resourceType: "TOPIC", resourceName: t, principal: "User:alice" }]);
    assert.equal(del.error, undefined);
    assert.deepEqual(del.deleted, [deny], "the result lists what was deleted");
    assert.deepEqual(del.filter, {
      resourceType: "TOPIC",
      resourceName: t,
      patternType: "ANY",
      principal: "User:alice",
      host: null,
      operation: "ANY",
      permission: "ANY",
    });
    await shows({ resourceType: "TOPIC", resourceName: t }, []);
    assert.equal(await sendOnce(alice, t, "after"), 2n, "alice writes again");
    const got = await readBack(need("KAFKA_BOOTSTRAP"), t, { partitions: [0], count: 3 });
    assert.deepEqual(got.map((m) => text(m.value)), ["before", "anonymous", "after"], "the denied send never landed");
  });

  it("describeAcls filters: MATCH finds the literal and prefixed bindings that apply to a name", async () => {
    const prefix = `acl-${uuid()}-`;
    const name = `${prefix}orders`;
    const principal = `User:carol-${uuid()}`;
    cleanup.push({ principal });
    const literal: AclBinding = {
      resourceType: "TOPIC",
      resourceName: name,
      patternType: "LITERAL",
      principal,
      host: "*",
      operation: "READ",
      permission: "ALLOW",
    };
    const prefixed: AclBinding = { ...literal, resourceName: prefix, patternType: "PREFIXED", operation: "WRITE" };
    const group: AclBinding = { ...literal, resourceType: "GROUP", resourceName: `g-${uuid()}`, host: "127.0.0.1" };
    const created = await admin.createAcls([literal, prefixed, group]);
    assert.deepEqual(created.map((r) => [r.binding, r.error]), [[literal, undefined], [prefixed, undefined], [
      group,
      undefined,
    ]]);
    await shows({ principal }, [literal, prefixed, group]);
    await shows({ resourceType: "TOPIC", resourceName: name, patternType: "MATCH" }, [literal, prefixed]);
    await shows({ resourceName: name, patternType: "literal" }, [literal]);
    await shows({ resourceName: prefix, patternType: "PREFIXED" }, [prefixed]);
    await shows({ principal, operation: "WRITE" }, [prefixed]);
    await shows({ principal, host: "127.0.0.1" }, [group]);
    await shows({ principal, permission: "DENY" }, []);

    const [a, b] = await admin.deleteAcls([{ principal, resourceType: "TOPIC" }, { principal, resourceType: "GROUP" }]);
    assert.deepEqual([a.deleted.sort(order), b.deleted], [[literal, prefixed].sort(order), [group]]);
    await shows({ principal }, []);
  });

  it("createAcls reports a binding the broker refuses on its own; the others are created", async () => {
    const principal = `User:dave-${uuid()}`;
    cleanup.push({ principal }, { principal: principal.slice(5) });
    const good: AclBinding = {
      resourceType: "TOPIC",
      resourceName: `acl-${uuid()}`,
      patternType: "LITERAL",
      principal,
      host: "*",
      operation: "DESCRIBE",
      permission: "ALLOW",
    };
    const results = await admin.createAcls([
      { ...good, principal: principal.slice(5) }, // no "User:" type
      good,
      { ...good, resourceType: "BROKER" }, // the cluster's one name is "kafka-cluster"
    ]);
    assert.equal(results[0].error?.code, ErrorCode.INVALID_REQUEST, String(results[0].error));
    assert.match(results[0].error.message, /^createAcls: bindings\[0\]: .*principal/);
    assert.equal(results[1].error, undefined);
    assert.equal(results[2].error?.code, ErrorCode.INVALID_REQUEST, String(results[2].error));
    assert.match(results[2].error.message, /kafka-cluster/);
    await shows({ principal }, [good]);
  });

  it("alice's own AdminClient: allowed while the cluster has no ACL, refused per item once one denies her ALTER", async () => {
    const aliceAdmin = new AdminClient(asAlice());
    const clusterDeny: AclBinding = {
      resourceType: "BROKER",
      resourceName: "kafka-cluster",
      patternType: "LITERAL",
      principal: "User:alice",
      host: "*",
      operation: "ALTER",
      permission: "DENY",
    };
    const probe: AclBinding = {
      resourceType: "TOPIC",
      resourceName: `acl-${uuid()}`,
      patternType: "LITERAL",
      principal: `User:erin-${uuid()}`,
      host: "*",
      operation: "READ",
      permission: "DENY",
    };
    cleanup.push({ principal: probe.principal });
    try {
      assert.deepEqual(await admin.describeAcls({ resourceType: "BROKER" }), [], "no cluster ACL to begin with");
      // allow.everyone.if.no.acl.found=true: with no ACL on the cluster, alice may ALTER it.
      assert.deepEqual(await aliceAdmin.createAcls([probe]), [{ binding: probe }]);
      await shows({ principal: probe.principal }, [probe]);
      assert.deepEqual(await aliceAdmin.describeAcls({ principal: probe.principal }), [probe]);
      assert.deepEqual((await aliceAdmin.deleteAcls([{ principal: probe.principal }]))[0].deleted, [probe]);
      await shows({ principal: probe.principal }, []);

      cleanup.push({ resourceType: "BROKER", principal: "User:alice" });
      assert.deepEqual(await admin.createAcls([clusterDeny]), [{ binding: clusterDeny }]);
      await shows({ resourceType: "BROKER" }, [clusterDeny]);
      const [refused] = await aliceAdmin.createAcls([probe]);
      assert.deepEqual(refused.binding, probe);
      assert.equal(refused.error?.code, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, String(refused.error));
      assert.match(refused.error.message, /^createAcls: bindings\[0\]: .*ALTER/);
      const [del] = await aliceAdmin.deleteAcls([{ resourceType: "BROKER" }]);
      assert.equal(del.error?.code, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, String(del.error));
      assert.deepEqual(del.deleted, []);
      // The broker refuses her DescribeAcls too, but librdkafka drops a DescribeAcls
      // response's error: she sees no ACLs where the super user sees one.
      assert.deepEqual(await aliceAdmin.describeAcls({ resourceType: "BROKER" }), []);
      await shows({ resourceType: "BROKER" }, [clusterDeny]);
      await shows({ principal: probe.principal }, []);
    } finally {
      await aliceAdmin.close();
      await admin.deleteAcls([{ resourceType: "BROKER", resourceName: "kafka-cluster", principal: "User:alice" }]);
    }
    await shows({ resourceType: "BROKER" }, []);
  });
});
