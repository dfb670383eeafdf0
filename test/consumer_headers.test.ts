// tiers: mock kafka
/**
 * Headers as the consumer reads them, in every shape a record can have. The
 * consumer asks librdkafka for headers only when the byte after a value says the
 * record has some (src/consumer/core.ts, `#mayHaveHeaders`), so every combination
 * of key, value (null, empty, short, zero-copy) and headers (none, one, repeated,
 * null-valued) is produced, with each codec, and read back exactly.
 *
 *   bun test --timeout 120000 test/consumer_headers.test.ts
 *   deno test -A --v8-flags=--expose-gc test/consumer_headers.test.ts
 *
 * @module
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Headers, Producer, type ProducerMessage } from "../src/mod.ts";
import { clusterLabel } from "./helpers/cluster.ts";
import { bytes, ConsumerFixture, readN, utf8 } from "./helpers/consume.ts";

const BIG = 20 * 1024; // above the default copyThreshold (16 KiB): read zero-copy

const values: [string, Uint8Array | string | null][] = [
  ["null", null],
  ["empty", ""],
  ["short", "v"],
  ["zero byte", new Uint8Array([0])],
  ["100 B", new Uint8Array(100).fill(7)],
  ["20 KiB", new Uint8Array(BIG).fill(9)],
];
const headerSets: [string, Headers | undefined][] = [
  ["none", undefined],
  ["one", [["a", "1"]]],
  ["repeated and null", [["h", "x"], ["n", null], ["h", ""]]],
];
const keys: (string | null)[] = [null, "", "key"];

/** Headers as plain [name, bytes] pairs, for comparison. */
const plain = (h: Headers | undefined) =>
  (h === undefined ? [] : Array.isArray(h) ? h : Object.entries(h)).map(([k, v]) => [
    k,
    v === null ? null : bytes(typeof v === "string" ? utf8(v) : v),
  ]);

describe(`Consumer: headers in every record shape (${clusterLabel()})`, () => {
  const fx = new ConsumerFixture();
  const { consumer, newTopic } = fx;

  before(() => fx.setUp());
  after(() => fx.tearDown());

  for (const codec of ["none", "gzip", "lz4", "zstd"]) {
    it(`compression ${codec}: key, value and headers of each of ${values.length * headerSets.length * keys.length} combinations read back exactly`, async () => {
      const topic = await newTopic(1);
      const sent: { msg: ProducerMessage; label: string }[] = [];
      for (const [vName, value] of values) {
        for (const [hName, headers] of headerSets) {
          for (const key of keys) {
            sent.push({
              msg: { topic, partition: 0, key, value, headers },
              label: `value ${vName}, headers ${hName}, key ${JSON.stringify(key)}`,
            });
          }
        }
      }
      await using p = new Producer({
        "bootstrap.servers": fx.bootstrap,
        "compression.codec": codec,
        "linger.ms": 20,
        "enable.idempotence": true,
      });
      const res = await p.sendMulti(sent.map((s) => s.msg));
      assert.deepEqual(res.filter((r) => r.status === "rejected"), []);

      const c = consumer();
      await c.assign([{ topic, partition: 0, offset: 0n }]);
      const got = await readN(c, sent.length, 20_000);
      assert.equal(got.length, sent.length);
      for (let i = 0; i < sent.length; i++) {
        const { msg, label } = sent[i];
        const m = got[i];
        const v = msg.value;
        assert.deepEqual(
          m.value === null ? null : bytes(m.value),
          v === null ? null : bytes(typeof v === "string" ? utf8(v) : v),
          `${label}: value`,
        );
        assert.deepEqual(
          m.key === null ? null : bytes(m.key),
          msg.key === null ? null : bytes(utf8(msg.key as string)),
          `${label}: key`,
        );
        assert.deepEqual(
          m.headers.map(([k, hv]) => [k, hv === null ? null : bytes(hv)]),
          plain(msg.headers),
          `${label}: headers`,
        );
        m.release();
      }
    });
  }
});
