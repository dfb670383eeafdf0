/**
 * AdminClient SCRAM users against the real broker of `scripts/kafka.sh` (the kafka
 * tier only: the mock cluster has no SCRAM store): describeUserScramCredentials and
 * alterUserScramCredentials, which need librdkafka ≥ 2.2.0.
 *
 * - On older librdkafka (Debian 12's 2.0.2) both reject with a LibraryLoadError that
 *   names the method and 2.2.0, before anything is sent.
 * - With 2.12: alice's and admin's credentials (made by `kafka-storage format
 *   --add-scram`) are described; a new user is created with SCRAM-SHA-256, logs in
 *   with it and sends a message, and after the credential is deleted is refused.
 *   Logging in with SCRAM to Kafka 4.x needs librdkafka ≥ 2.6.1
 *   (confluentinc/librdkafka#4895; see test/security.test.ts).
 * - Users made here have random names and are deleted in `after`.
 *
 *   eval "$(bash scripts/kafka.sh env)"
 *   KAFKA_FAST_LIBRDKAFKA=$(bash scripts/librdkafka.sh) bun test test/admin_scram.test.ts
 *
 * @module
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  AdminClient,
  type ClientConfig,
  ErrorCode,
  KafkaError,
  LibraryLoadError,
  librdkafkaVersion,
  Producer,
  type ScramCredentialAlteration,
  type ScramMechanism,
} from "../src/mod.ts";
import { parseVersion } from "../ffi/mod.ts";
import { eventually } from "./helpers/runtime.ts";

const v = parseVersion(librdkafkaVersion());
const scramAdmin = v >= parseVersion("2.2.0");
const scramLogin = v >= parseVersion("2.6.1");
const AUTH_ERRORS = ["_AUTHENTICATION", "SASL_AUTHENTICATION_FAILED"];

function need(name: string): string {
  const v = process.env[name];
  if (!v) {
    throw new Error(
      `${name} is not set: admin_scram.test.ts runs only against the real broker: ` +
        'bash scripts/kafka.sh up && eval "$(bash scripts/kafka.sh env)"',
    );
  }
  return v;
}

let admin: AdminClient;
/** Users this file created: their credentials are deleted in `after`. */
const made = new Set<string>();

before(() => {
  admin = new AdminClient({ "bootstrap.servers": need("KAFKA_BOOTSTRAP"), "log_level": 3 });
});
after(async () => {
  if (!admin) return;
  if (scramAdmin) {
    for (const user of made) {
      for (const mechanism of ["SCRAM-SHA-256", "SCRAM-SHA-512"] as const) {
        await admin.alterUserScramCredentials([{ type: "delete", user, mechanism }]).catch(() => {});
      }
    }
  }
  await admin.close();
});

const newUser = () => {
  const u = `scram-${crypto.randomUUID()}`;
  made.add(u);
  return u;
};

function scram(mechanism: ScramMechanism, user: string, password: string): ClientConfig {
  return {
    "bootstrap.servers": need("KAFKA_SASL_BOOTSTRAP"),
    "security.protocol": "sasl_plaintext",
    "sasl.mechanisms": mechanism,
    "sasl.username": user,
    "sasl.password": password,
    "message.timeout.ms": 15_000,
    "log_level": 0, // the refused login is expected; librdkafka would print it to stderr
  };
}

/** One send by a fresh producer logged in with `config`: its offset, or the KafkaError it rejected with. */
async function sendOnce(config: ClientConfig): Promise<KafkaError | bigint> {
  const p = new Producer(config);
  try {
    return (await p.send({ topic: `scram-${crypto.randomUUID()}`, value: "hello" })).offset;
  } catch (e) {
    if (e instanceof KafkaError) return e;
    throw e;
  } finally {
    await p.close({ timeoutMs: 5_000 });
  }
}

describe(`AdminClient SCRAM users on Kafka at ${process.env.KAFKA_BOOTSTRAP} (librdkafka ${librdkafkaVersion()})`, () => {
  it("bad arguments reject with a TypeError naming the field before anything is sent", async () => {
    const ok: ScramCredentialAlteration = { type: "upsert", user: "u", mechanism: "SCRAM-SHA-256", password: "p" };
    // deno-lint-ignore no-explicit-any
    const alter = (a: Record<string, unknown>) => admin.alterUserScramCredentials([ok, a as any]);
    const cases: Array<[Promise<unknown>, RegExp]> = [
      [admin.alterUserScramCredentials([]), /alterUserScramCredentials\(alterations\) must not be empty/],
      [alter({ ...ok, type: "replace" }), /alterations\[1\]\.type must be one of "upsert", "delete"/],
      [alter({ ...ok, mechanism: "SCRAM-SHA-1" }), /alterations\[1\]\.mechanism must be one of "SCRAM-SHA-256"/],
      [alter({ ...ok, user: "" }), /alterations\[1\]\.user must be a non-empty string/],
      [alter({ ...ok, password: "" }), /alterations\[1\]\.password must not be empty/],
      [alter({ ...ok, password: 42 }), /alterations\[1\]\.password must be a string or a Uint8Array/],
      [alter({ ...ok, iterations: 0 }), /alterations\[1\]\.iterations must be from 1/],
      [alter({ ...ok, salt: new Uint8Array(0) }), /alterations\[1\]\.salt must be a non-empty Uint8Array/],
      [alter({ type: "delete", user: "u", mechanism: "SCRAM-SHA-256", password: "p" }), /a delete takes no password/],
      [admin.describeUserScramCredentials(["a", "a"]), /users\[1\] names "a" a second time/],
      [admin.describeUserScramCredentials([""]), /users\[0\] must be a non-empty string/],
      [admin.describeUserScramCredentials("alice" as unknown as string[]), /must be an array/],
    ];
    for (const [p, re] of cases) {
      await assert.rejects(
        p,
        (e: unknown) => (e instanceof TypeError || e instanceof RangeError) && re.test(e.message),
      );
    }
    assert.equal(admin.pending, 0, "no request was sent");
  });

  if (!scramAdmin) {
    it("both calls reject with a LibraryLoadError naming the method and librdkafka 2.2.0", async () => {
      const calls: Array<[string, Promise<unknown>]> = [
        ["describeUserScramCredentials", admin.describeUserScramCredentials(["alice"])],
        ["describeUserScramCredentials", admin.describeUserScramCredentials()],
        [
          "alterUserScramCredentials",
          admin.alterUserScramCredentials([{ type: "delete", user: "x", mechanism: "SCRAM-SHA-256" }]),
        ],
      ];
      for (const [method, p] of calls) {
        await assert.rejects(p, (e: unknown) => {
          assert.ok(e instanceof LibraryLoadError, String(e));
          assert.ok(e.message.startsWith(`${method} needs librdkafka >= 2.2.0`), e.message);
          assert.ok(e.message.includes(librdkafkaVersion()), e.message);
          return true;
        });
      }
      assert.equal(admin.pending, 0);
    });
    return;
  }

  it("describes alice's credentials (both mechanisms); an unknown user is that user's RESOURCE_NOT_FOUND", async () => {
    const alice = need("KAFKA_SASL_USERNAME");
    const unknown = `nobody-${crypto.randomUUID()}`;
    const [a, u] = await admin.describeUserScramCredentials([alice, unknown]);
    assert.equal(a.user, alice);
    assert.equal(a.error, undefined);
    assert.deepEqual(a.credentials.map((c) => c.mechanism), ["SCRAM-SHA-256", "SCRAM-SHA-512"]);
    for (const c of a.credentials) assert.ok(c.iterations >= 4096 && c.iterations <= 16384, String(c.iterations));
    assert.equal(u.user, unknown);
    assert.deepEqual(u.credentials, []);
    assert.equal(u.error?.code, ErrorCode.RESOURCE_NOT_FOUND, String(u.error));
    assert.ok(u.error.message.includes(unknown), u.error.message);
    // librdkafka's text runs past the broker's message into the response bytes; we cut that off.
    // deno-lint-ignore no-control-regex
    assert.doesNotMatch(u.error.message, /[\u0000-\u001f]/);
    const all = await admin.describeUserScramCredentials();
    const names = all.map((d) => d.user);
    assert.ok(names.includes(alice) && names.includes(need("KAFKA_SASL_ADMIN_USERNAME")), names.join());
    assert.deepEqual(names, [...names].sort(), "sorted by user");
    assert.ok(!names.includes(unknown));
  });

  it("upserts a user with SCRAM-SHA-256 who then logs in and sends; after the delete the login is refused", async () => {
    const user = newUser();
    const password = `pw-${crypto.randomUUID()}`;
    const [r] = await admin.alterUserScramCredentials([{ type: "upsert", user, mechanism: "SCRAM-SHA-256", password }]);
    assert.deepEqual(r, { user });
    await eventually(async () => {
      const [d] = await admin.describeUserScramCredentials([user]);
      assert.deepEqual(d, { user, credentials: [{ mechanism: "SCRAM-SHA-256", iterations: 8192 }] });
    });
    const login = scram("SCRAM-SHA-256", user, password);
    if (scramLogin) {
      const offset = await sendOnce(login);
      assert.equal(typeof offset, "bigint", `${user} logged in and sent: ${String(offset)}`);
      const wrong = await sendOnce(scram("SCRAM-SHA-256", user, "not-the-password"));
      assert.ok(wrong instanceof KafkaError && AUTH_ERRORS.includes(wrong.name), String(wrong));
      // Only the mechanism that was set: SCRAM-SHA-512 has no credential for the user.
      const other = await sendOnce(scram("SCRAM-SHA-512", user, password));
      assert.ok(other instanceof KafkaError && AUTH_ERRORS.includes(other.name), String(other));
    }

    const [del] = await admin.alterUserScramCredentials([{ type: "delete", user, mechanism: "SCRAM-SHA-256" }]);
    assert.deepEqual(del, { user });
    await eventually(async () => {
      const [d] = await admin.describeUserScramCredentials([user]);
      assert.equal(d.error?.code, ErrorCode.RESOURCE_NOT_FOUND, JSON.stringify(d));
    });
    const refused = await sendOnce(login);
    assert.ok(refused instanceof KafkaError, `refused, got ${String(refused)}`);
    assert.ok(AUTH_ERRORS.includes(refused.name), `${refused.name}: ${refused.message}`);
    assert.match(refused.message, /SCRAM-SHA-256/);
  });

  it("per-user errors: too few iterations, one user altered twice, deleting what is not there", async () => {
    const user = newUser();
    const other = newUser();
    const results = await admin.alterUserScramCredentials([
      { type: "upsert", user, mechanism: "SCRAM-SHA-512", password: "pw", iterations: 100 },
      { type: "upsert", user: other, mechanism: "SCRAM-SHA-256", password: new TextEncoder().encode("pw") },
      { type: "upsert", user: other, mechanism: "SCRAM-SHA-512", password: "pw" },
      { type: "delete", user: `nobody-${crypto.randomUUID()}`, mechanism: "SCRAM-SHA-256" },
    ]);
    assert.equal(results.length, 3, "one result per user, in input order");
    assert.equal(results[0].user, user);
    assert.equal(results[0].error?.code, ErrorCode.UNACCEPTABLE_CREDENTIAL, String(results[0].error));
    assert.match(results[0].error.message, /iterations/i);
    // Kafka takes one alteration per user and request, even for two mechanisms.
    assert.equal(results[1].user, other);
    assert.equal(results[1].error?.code, ErrorCode.DUPLICATE_RESOURCE, String(results[1].error));
    assert.equal(results[2].error?.code, ErrorCode.RESOURCE_NOT_FOUND, String(results[2].error));
    const [u, o] = await admin.describeUserScramCredentials([user, other]);
    assert.equal(u.error?.code, ErrorCode.RESOURCE_NOT_FOUND, "nothing was stored for a refused user");
    assert.equal(o.error?.code, ErrorCode.RESOURCE_NOT_FOUND);

    // Given iterations and salt are used as given.
    const [set] = await admin.alterUserScramCredentials([{
      type: "upsert",
      user,
      mechanism: "SCRAM-SHA-512",
      password: "pw",
      iterations: 4096,
      salt: crypto.getRandomValues(new Uint8Array(32)),
    }]);
    assert.equal(set.error, undefined);
    await eventually(async () => {
      const [d] = await admin.describeUserScramCredentials([user]);
      assert.deepEqual(d.credentials, [{ mechanism: "SCRAM-SHA-512", iterations: 4096 }]);
    });
  });
});
