// tiers: mock kafka
/**
 * SASL/OAUTHBEARER with tokens from code: the `oauthBearerProvider` option of the
 * producer, the consumer and the admin client.
 *
 * On both tiers: the option is checked before anything is created. On the real
 * broker (scripts/kafka.sh's SASL_PLAINTEXT listener, with Kafka's unsecured JWS
 * validator): a token from the provider logs in on every client; a provider that
 * throws or returns garbage fails the login with that reason (the `error` listener
 * and the send say it, no secret quoted) and is asked again; a token the broker
 * refuses (expired) fails the send with `_AUTHENTICATION`, and the refreshed one
 * logs in. librdkafka's mock cluster has no SASL, so nothing logs in there.
 *
 *   bun test test/oauth.test.ts
 *   eval "$(bash scripts/kafka.sh env)"; bun test test/oauth.test.ts
 *
 * @module
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  AdminClient,
  ConfigError,
  Consumer,
  currentLimits,
  KafkaError,
  type OAuthBearerProvider,
  OFFSET,
  Producer,
} from "../src/mod.ts";
import { clusterKind, clusterLabel } from "./helpers/cluster.ts";
import { uuid } from "./helpers/consume.ts";

const b64url = (o: unknown) => btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
/** An unsigned JWS, as Kafka's unsecured validator takes it: `sub` is the principal. */
const jws = (sub: string, lifeSeconds: number) => {
  const now = Math.floor(Date.now() / 1000);
  return `${b64url({ alg: "none" })}.${b64url({ sub, iat: now, exp: now + lifeSeconds })}.`;
};
const SECRET = "s3cr3t-client-credential";
const good = (): ReturnType<OAuthBearerProvider> => ({
  token: jws("alice", 3600),
  lifetimeMs: Date.now() + 3_600_000,
  principal: "alice",
});

describe(`oauthBearerProvider: checked before anything is created (${clusterLabel()})`, () => {
  const base = { "bootstrap.servers": "127.0.0.1:1", "sasl.mechanisms": "OAUTHBEARER" };
  const make = [
    (c: Record<string, string>, o: object) => new Producer(c, o),
    (c: Record<string, string>, o: object) => new Consumer(c, o),
    (c: Record<string, string>, o: object) => new AdminClient(c, o),
  ];

  it("a provider that is not a function is a TypeError; librdkafka's own token sources conflict with it", () => {
    const before = currentLimits().openClients;
    for (const create of make) {
      assert.throws(() => create(base, { oauthBearerProvider: "token" }), /oauthBearerProvider must be a function/);
      assert.throws(
        () => create({ ...base, "sasl.oauthbearer.method": "oidc" }, { oauthBearerProvider: good }),
        (e: unknown) => e instanceof ConfigError && e.key === "sasl.oauthbearer.method",
      );
      assert.throws(
        () => create({ ...base, "enable.sasl.oauthbearer.unsecure.jwt": "true" }, { oauthBearerProvider: good }),
        (e: unknown) => e instanceof ConfigError && e.key === "enable.sasl.oauthbearer.unsecure.jwt",
      );
    }
    assert.equal(currentLimits().openClients, before, "a refused constructor holds no client slot");
  });
});

const sasl = process.env.KAFKA_SASL_BOOTSTRAP;
if (clusterKind() === "kafka") {
  describe(`oauthBearerProvider on a real broker (${clusterLabel()})`, () => {
    const config = (extra: Record<string, string | number> = {}) => ({
      "bootstrap.servers": sasl!,
      "security.protocol": "SASL_PLAINTEXT",
      "sasl.mechanisms": "OAUTHBEARER",
      "sasl.oauthbearer.config": `client_secret=${SECRET}`,
      "message.timeout.ms": 15_000,
      ...extra,
    });

    it("a token from the provider logs in: producer, consumer and admin client", async () => {
      assert.ok(sasl, "scripts/kafka.sh env sets KAFKA_SASL_BOOTSTRAP");
      const configs: string[] = [];
      const provider: OAuthBearerProvider = async ({ config }) => {
        configs.push(config);
        await new Promise((r) => setTimeout(r, 5)); // asynchronous, as a token service is
        return { ...good(), extensions: { traceid: "abc" } };
      };
      const topic = `oauth-${uuid()}`;
      await using admin = new AdminClient(config(), { oauthBearerProvider: provider });
      const [created] = await admin.createTopics([{ name: topic, partitions: 1, replicationFactor: 1 }]);
      assert.equal(created.error, undefined, String(created.error));
      await using producer = new Producer(config(), { oauthBearerProvider: provider });
      const r = await producer.send({ topic, value: "via oauth" });
      assert.equal(r.offset, 0n);
      await using consumer = new Consumer(config(), { oauthBearerProvider: provider });
      await consumer.assign([{ topic, partition: 0, offset: OFFSET.BEGINNING }]);
      let m = null;
      for (let i = 0; i < 40 && !m; i++) m = await consumer.read({ timeoutMs: 500 });
      assert.equal(m?.text(), "via oauth");
      assert.ok(configs.length >= 3, `one token per client at least, got ${configs.length}`);
      assert.ok(configs.every((c) => c === `client_secret=${SECRET}`), "the provider gets sasl.oauthbearer.config");
    });

    it("a provider that throws or returns garbage fails the login with that reason, and is asked again", async () => {
      for (const bad of ["throws", "garbage"] as const) {
        let calls = 0;
        const provider: OAuthBearerProvider = () => {
          calls++;
          if (calls === 1 && bad === "throws") throw new Error("token service down");
          if (calls === 1) return { nope: true } as never;
          return good();
        };
        await using p = new Producer(config(), { oauthBearerProvider: provider });
        const errors: KafkaError[] = [];
        p.on("error", (e) => errors.push(e));
        const first = await p.send({ topic: `oauth-${uuid()}`, value: "x" }).then(() => undefined, (e) => e);
        assert.ok(first instanceof KafkaError && first.name === "_AUTHENTICATION", String(first));
        const reason = bad === "throws" ? /token service down/ : /oauthBearerProvider returned no token/;
        assert.match(first.message, reason);
        assert.ok(errors.some((e) => reason.test(e.message)), "the error listener got the reason");
        for (const e of [first, ...errors]) assert.ok(!e.message.includes(SECRET), "no secret in messages");
        // librdkafka asks again 10 s after a failure; the new token logs in.
        const until = Date.now() + 20_000;
        while (calls < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
        assert.equal(calls, 2, "asked again after the failure");
        const r = await p.send({ topic: `oauth-${uuid()}`, value: "after" });
        assert.equal(typeof r.offset, "bigint");
      }
    });

    it("a token the broker refuses fails with _AUTHENTICATION; the refreshed one logs in", async () => {
      let calls = 0;
      const provider: OAuthBearerProvider = () => {
        calls++;
        // First: expired in the broker's eyes (exp in the past), refreshed at 80 % of 3 s.
        if (calls === 1) return { token: jws("alice", -60), lifetimeMs: Date.now() + 3_000, principal: "alice" };
        return good();
      };
      await using p = new Producer(config(), { oauthBearerProvider: provider });
      const first = await p.send({ topic: `oauth-${uuid()}`, value: "x" }).then(() => undefined, (e) => e);
      assert.ok(first instanceof KafkaError && first.name === "_AUTHENTICATION", String(first));
      assert.match(first.message, /invalid_token|authentication/i);
      const until = Date.now() + 20_000;
      while (calls < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      assert.ok(calls >= 2, "refreshed before the first token's lifetime ended");
      const topic = `oauth-${uuid()}`;
      let delivered = false;
      for (let i = 0; i < 10 && !delivered; i++) {
        delivered = await p.send({ topic, value: "after refresh" }).then(() => true, () => false);
      }
      assert.ok(delivered, "a send after the refresh is delivered");
    });
  });
}
