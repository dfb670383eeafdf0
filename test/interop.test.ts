/**
 * Interop: what kafka-fast produces, another client reads back intact, and the
 * other way round. The other client is `kcat` (Debian's package, its own librdkafka
 * consumer and producer, run as a child process).
 *
 * kafka-fast → kcat: keys, values with all 256 byte values (0x00 included), null
 * versus empty keys and values, repeated headers (same name twice, order kept,
 * binary and null header values) and timestamps, on the partition and offset the
 * delivery report named.
 *
 * kcat → kafka-fast (`kcat -P`, read back by the `Consumer` with `assign()`):
 * - stdin split by multi-byte delimiters (`-D`, `-K`), so keys and values carry any
 *   byte, 0x00 included, except the delimiter sequences; `-Z` turns an empty key or
 *   value into null (a tombstone); without it they stay empty;
 * - files (one message each, binary-safe), large enough for a zero-copy value;
 * - `-H` headers on every message: a repeated name, a value with '=', a header
 *   without value (null), an empty value, UTF-8;
 * - timestamps: kcat 1.7.1 has no option for an explicit timestamp (it calls
 *   `rd_kafka_producev` without one), so librdkafka stamps CreateTime at produce;
 *   the Consumer must read the same timestamp as kcat's own consumer, and on a real
 *   broker a topic with `message.timestamp.type=LogAppendTime` gives LogAppendTime.
 * Every message the Consumer reads is also compared with kcat's `-J` view of the
 * same partition and offset.
 *
 * Two kcat output formats, each decoded exactly:
 * - `-J` (JSON). kcat escapes control bytes (`\u0000`, `\n`, …) but writes every
 *   other byte raw, also bytes that are not UTF-8, so its output is read as Latin-1
 *   (one char per byte) before `JSON.parse`, and strings map back to bytes 1:1.
 *   It keeps null apart from "" and lists headers in wire order, null values too.
 * - `-f` with `%K`/`%S` (lengths, -1 for null) before the raw `%k`/`%s` bytes, parsed
 *   by length. (Its `%h` is not binary-safe: it stops at a 0x00 and prints a null
 *   value as `NULL`; headers are checked through `-J` only.)
 *
 * Tiers (`testCluster()`): with KAFKA_BOOTSTRAP set, the real broker there;
 * without it, librdkafka's MockCluster in this process (kcat connects to its TCP
 * port like any client).
 *
 *   bun test test/interop.test.ts
 *   deno test -A --v8-flags=--expose-gc test/interop.test.ts
 *   (kafka tier: eval "$(bash scripts/kafka.sh env)" first)
 *
 * @module
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Consumer,
  type ConsumerOptions,
  type DeliveryReport,
  type Message,
  type MessageHeader,
  Producer,
  type ProducerMessage,
  type SendResult,
} from "../src/mod.ts";
import { clusterKind, clusterLabel, type TestCluster, testCluster } from "./helpers/cluster.ts";

const KCAT = "kcat";
const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });
const newTopic = () => `interop-${crypto.randomUUID()}`;

const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);
const ALL_BYTES_REVERSED = ALL_BYTES.slice().reverse();
/** A header value with every byte `%h`-style formats trip over. */
const AWKWARD = new Uint8Array([0x00, 0x2c, 0x3d, 0x0a, 0x22, 0x5c, 0x7f, 0x80, 0xff, 0x00]);

/** Runs kcat to completion (with `input` on its stdin); resolves with its stdout bytes, rejects with its stderr. */
function kcat(args: string[], timeoutMs = 30_000, input?: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const child = spawn(KCAT, args, { stdio: [input ? "pipe" : "ignore", "pipe", "pipe"] });
    if (input) child.stdin!.end(input);
    const out: Uint8Array[] = [];
    const err: Uint8Array[] = [];
    child.stdout!.on("data", (c: Uint8Array) => out.push(c));
    child.stderr!.on("data", (c: Uint8Array) => err.push(c));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(
        new Error(`cannot run ${KCAT} (install it: apt-get install kcat, or bash scripts/setup.sh): ${e.message}`),
      );
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const stdout = concat(out);
      const stderr = new TextDecoder().decode(concat(err));
      if (code === 0) resolve(stdout);
      else reject(new Error(`${KCAT} ${args.join(" ")} exited with ${code ?? signal}: ${stderr.trim()}`));
    });
  });
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** A string of one char per byte (Latin-1; TextDecoder's "latin1" is windows-1252, so by hand). */
function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
}

/** Back from one char per byte; every char must be a byte. */
function bytesOf(s: string | null): Uint8Array | null {
  if (s === null) return null;
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    assert.ok(c < 256, `kcat's JSON string has a char above 0xff at ${i}: it was not written byte for byte`);
    out[i] = c;
  }
  return out;
}

/** One record of `kcat -J`, bytes restored. */
interface KcatRecord {
  partition: number;
  offset: bigint;
  tstype: string;
  ts: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: Array<[string, Uint8Array | null]>;
}

function parseJson(out: Uint8Array): KcatRecord[] {
  return latin1(out).split("\n").filter((l) => l !== "").map((line) => {
    const j = JSON.parse(line);
    const flat: Array<string | null> = j.headers ?? [];
    const headers: Array<[string, Uint8Array | null]> = [];
    for (let i = 0; i < flat.length; i += 2) headers.push([dec.decode(bytesOf(flat[i])!), bytesOf(flat[i + 1])]);
    return {
      partition: j.partition,
      offset: BigInt(j.offset),
      tstype: j.tstype,
      ts: j.ts,
      key: bytesOf(j.key),
      value: bytesOf(j.payload),
      headers,
    };
  });
}

/** The `-f` format below: lengths first, raw bytes after, fields split by '|'. */
const RAW_FORMAT = "%p|%o|%T|%K:%k|%S:%s\n";

function parseRaw(out: Uint8Array): Array<Pick<KcatRecord, "partition" | "offset" | "ts" | "key" | "value">> {
  const recs = [];
  let at = 0;
  const until = (stop: number): string => {
    const end = out.indexOf(stop, at);
    assert.ok(end >= 0, `kcat -f output ends early at byte ${at}`);
    const s = new TextDecoder().decode(out.subarray(at, end));
    at = end + 1;
    return s;
  };
  const bytes = (len: number, then: number): Uint8Array | null => {
    const b = len < 0 ? null : out.slice(at, at + len);
    at += Math.max(len, 0);
    assert.equal(out[at], then, `kcat -f output: expected ${String.fromCharCode(then)} after ${len} bytes`);
    at++;
    return b;
  };
  const PIPE = 0x7c, COLON = 0x3a, NL = 0x0a;
  while (at < out.length) {
    const partition = Number(until(PIPE));
    const offset = BigInt(until(PIPE));
    const ts = Number(until(PIPE));
    const key = bytes(Number(until(COLON)), PIPE);
    const value = bytes(Number(until(COLON)), NL);
    recs.push({ partition, offset, ts, key, value });
  }
  return recs;
}

const asBytes = (p: Uint8Array | string | null | undefined): Uint8Array | null =>
  p === undefined || p === null ? null : typeof p === "string" ? enc.encode(p) : p;

function reports(rs: SendResult[]): DeliveryReport[] {
  return rs.map((r, i) => {
    assert.equal(r.status, "fulfilled", `message ${i}: ${r.status === "rejected" ? r.reason.message : ""}`);
    return (r as { value: DeliveryReport }).value;
  });
}

describe(`Interop: kcat reads what kafka-fast produced (${clusterLabel()})`, () => {
  let cluster: TestCluster;
  let bootstrap: string;
  let producer: Producer;

  before(async () => {
    cluster = await testCluster();
    bootstrap = cluster.bootstrapServers;
    producer = new Producer({ "bootstrap.servers": bootstrap, "linger.ms": 5 });
  });

  after(async () => {
    await producer?.close();
    await cluster?.close();
  });

  async function topicWith(partitions: number): Promise<string> {
    const t = newTopic();
    await cluster.createTopic(t, { partitions });
    return t;
  }

  /** Every message of `topic`, all partitions, read to the end by kcat. */
  const consume = (topic: string, ...format: string[]) =>
    kcat(["-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-X", "log_level=3", ...format]);

  it("kcat -J: keys, all 256 byte values, null vs empty, repeated headers in order, timestamps", async () => {
    const topic = await topicWith(1);
    const ts = 1_700_000_000_123;
    const messages: ProducerMessage[] = [
      {
        topic,
        partition: 0,
        key: ALL_BYTES_REVERSED,
        value: ALL_BYTES,
        headers: [["trace", "a"], ["trace", "b"], ["bin", AWKWARD], ["empty", ""], ["nul", null], ["trace", "c"]],
        timestamp: ts,
      },
      { topic, partition: 0, key: null, value: null, timestamp: ts + 1 }, // a tombstone
      { topic, partition: 0, key: "", value: "", headers: { only: "one" }, timestamp: new Date(ts + 2) },
      { topic, partition: 0, key: "clé-ключ-🔑", value: "välue ✓ 😀", headers: [["ü-name", "ß"]] },
      { topic, partition: 0, value: ALL_BYTES }, // no key, no headers, no timestamp: the batch path
      { topic, partition: 0, value: new Uint8Array([0]) },
    ];
    const before = Date.now();
    const reps = reports(await producer.sendMulti(messages));
    const single = await producer.send({ topic, partition: 0, key: "k", value: AWKWARD, timestamp: ts + 3 });
    messages.push({ topic, partition: 0, key: "k", value: AWKWARD, timestamp: ts + 3 });
    reps.push(single);

    const got = parseJson(await consume(topic, "-J"));
    assert.equal(got.length, messages.length, "kcat read exactly what was produced");
    for (const [i, m] of messages.entries()) {
      const g = got[i];
      const at = `message ${i}`;
      assert.equal(g.partition, reps[i].partition, at);
      assert.equal(g.offset, reps[i].offset, at);
      assert.deepEqual(g.key, asBytes(m.key), `${at}: key`);
      assert.deepEqual(g.value, asBytes(m.value), `${at}: value`);
      const want = m.headers === undefined
        ? []
        : (Array.isArray(m.headers) ? m.headers : Object.entries(m.headers)).map(([n, v]) => [n, asBytes(v)]);
      assert.deepEqual(g.headers, want, `${at}: headers`);
      assert.equal(g.tstype, "create", `${at}: the message keeps its CreateTime`);
      if (m.timestamp !== undefined) {
        assert.equal(g.ts, m.timestamp instanceof Date ? m.timestamp.getTime() : m.timestamp, `${at}: timestamp`);
      } else {
        // librdkafka stamps the message when it is produced.
        assert.ok(g.ts >= before - 1_000 && g.ts <= Date.now() + 1_000, `${at}: timestamp ${g.ts} is now`);
        if (reps[i].timestampType === "CreateTime") assert.equal(g.ts, reps[i].timestamp, `${at}: as reported`);
      }
    }
    // What the broker answers in the delivery report (the mock: LogAppendTime 1234).
    if (cluster.kind === "mock") assert.equal(reps[0].timestampType, "LogAppendTime");
    else {
      assert.equal(reps[0].timestampType, "CreateTime");
      assert.equal(reps[0].timestamp, ts);
    }
  });

  it("kcat -f with lengths: the raw key and value bytes, null keys and values as length -1", async () => {
    const topic = await topicWith(1);
    // Distinct, known timestamps, an hour old: a real broker's time retention would delete
    // a segment of nothing but 1970 records (it did, on Kafka 4.4, to another test's).
    const t = Date.now() - 3_600_000;
    const messages: ProducerMessage[] = [
      { topic, partition: 0, key: ALL_BYTES, value: ALL_BYTES_REVERSED, timestamp: t + 42 },
      { topic, partition: 0, key: null, value: new Uint8Array([0x7c, 0x3a, 0x0a]), timestamp: t + 43 }, // '|', ':', '\n'
      { topic, partition: 0, key: new Uint8Array([0]), value: null, timestamp: t + 44 },
      { topic, partition: 0, key: "", value: "", timestamp: t + 45 },
      ...Array.from(
        { length: 50 },
        (_, i) => ({ topic, partition: 0, value: ALL_BYTES.subarray(i), timestamp: t + 100 + i }),
      ),
    ];
    const reps = reports(await producer.sendMulti(messages));
    const got = parseRaw(await consume(topic, "-f", RAW_FORMAT));
    assert.equal(got.length, messages.length);
    for (const [i, m] of messages.entries()) {
      assert.equal(got[i].offset, reps[i].offset);
      assert.equal(got[i].ts, m.timestamp);
      assert.deepEqual(got[i].key, asBytes(m.key), `message ${i}: key`);
      assert.deepEqual(got[i].value, asBytes(m.value), `message ${i}: value`);
    }
  });

  it("keyed messages on the partitioner's choice: kcat finds each at the reported partition and offset", async () => {
    const topic = await topicWith(4);
    const messages: ProducerMessage[] = Array.from({ length: 40 }, (_, i) => ({
      topic,
      key: `user-${i % 8}`,
      value: Uint8Array.from([i, 0, 255 - i]),
      headers: [["seq", String(i)], ["seq", String(i)]],
    }));
    const reps = reports(await producer.sendMulti(messages));
    assert.ok(new Set(reps.map((r) => r.partition)).size > 1, "the keys spread over partitions");
    const got = parseJson(await consume(topic, "-J"));
    assert.equal(got.length, messages.length);
    const byPos = new Map(got.map((g) => [`${g.partition}/${g.offset}`, g]));
    const keyPartition = new Map<string, number>();
    for (const [i, m] of messages.entries()) {
      const g = byPos.get(`${reps[i].partition}/${reps[i].offset}`);
      assert.ok(g, `message ${i} is at ${reps[i].partition}/${reps[i].offset}`);
      assert.deepEqual(g.key, asBytes(m.key));
      assert.deepEqual(g.value, asBytes(m.value));
      assert.deepEqual(g.headers, [["seq", enc.encode(String(i))], ["seq", enc.encode(String(i))]]);
      // One key, one partition (murmur2, as the Java client).
      const k = m.key as string;
      if (keyPartition.has(k)) assert.equal(g.partition, keyPartition.get(k), `${k} stays on one partition`);
      keyPartition.set(k, g.partition);
    }
  });
});

// --- kcat → kafka-fast ----------------------------------------------------------------

/**
 * Delimiters for `kcat -P`: as kcat's argument (`\xNN` escapes, each followed by a
 * char that is not a hex digit, since kcat reads as many hex digits as there are)
 * and as the bytes kcat makes of it. No 0x00: kcat keeps delimiters as C strings.
 */
const MSG_DELIM = { arg: "\\xfe#END#\\x01|", bytes: Uint8Array.from([0xfe, 0x23, 0x45, 0x4e, 0x44, 0x23, 0x01, 0x7c]) };
const KEY_DELIM = { arg: "\\xff=KEY=\\x02|", bytes: Uint8Array.from([0xff, 0x3d, 0x4b, 0x45, 0x59, 0x3d, 0x02, 0x7c]) };

/** One line of kcat's input: `key` undefined writes no key delimiter (kcat then sends no key). */
interface KcatLine {
  key?: Uint8Array | string;
  value: Uint8Array | string;
}

function indexOfSeq(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** kcat's stdin for `-K KEY_DELIM.arg -D MSG_DELIM.arg`. */
function delimited(lines: KcatLine[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [i, l] of lines.entries()) {
    const key = asBytes(l.key);
    const value = asBytes(l.value)!;
    for (const b of [key, value]) {
      if (b) assert.equal(indexOfSeq(b, MSG_DELIM.bytes), -1, `line ${i} must not hold the message delimiter`);
    }
    if (key) assert.equal(indexOfSeq(key, KEY_DELIM.bytes), -1, `line ${i}: a key must not hold the key delimiter`);
    if (key) parts.push(key, KEY_DELIM.bytes);
    parts.push(value, MSG_DELIM.bytes);
  }
  return concat(parts);
}

/** Deterministic bytes (xorshift32): every byte value, no pattern kcat or a delimiter could hide behind. */
function noise(len: number, seed: number): Uint8Array {
  const out = new Uint8Array(len);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < len; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

const TSTYPE: Record<string, string> = { create: "CreateTime", logappend: "LogAppendTime", unknown: "NotAvailable" };
const pos = (p: number, o: bigint) => `${p}/${o}`;

/** Every message the Consumer read equals kcat's `-J` record at the same partition and offset. */
function assertSameAsKcat(got: Message[], recs: KcatRecord[]): void {
  assert.equal(got.length, recs.length, "the Consumer and kcat read the same number of messages");
  const byPos = new Map(recs.map((r) => [pos(r.partition, r.offset), r]));
  for (const m of got) {
    const at = `${m.partition}/${m.offset}`;
    const r = byPos.get(at);
    assert.ok(r, `kcat has no message at ${at}`);
    assert.deepEqual(m.key, r.key, `${at}: key as kcat reads it`);
    assert.deepEqual(m.value, r.value, `${at}: value as kcat reads it`);
    assert.deepEqual(m.headers, r.headers, `${at}: headers as kcat reads them`);
    assert.equal(m.timestamp, r.ts, `${at}: timestamp as kcat reads it`);
    assert.equal(m.timestampType, TSTYPE[r.tstype], `${at}: timestamp type as kcat reads it`);
  }
}

describe(`Interop: kafka-fast reads what kcat produced (${clusterLabel()})`, () => {
  let cluster: TestCluster;
  let bootstrap: string;
  let dir: string;

  before(async () => {
    cluster = await testCluster();
    bootstrap = cluster.bootstrapServers;
    dir = mkdtempSync(join(tmpdir(), "kafka-fast-interop-"));
  });

  after(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    await cluster?.close();
  });

  async function topicWith(partitions: number, config?: Record<string, string>): Promise<string> {
    const t = newTopic();
    await cluster.createTopic(t, { partitions, config });
    return t;
  }

  /**
   * `kcat -P` to `topic` with these extra arguments, `input` on stdin. Idempotent, so
   * kcat's own retries keep each partition in input order: a non-idempotent retry of a
   * first batch on a just-created topic landed it after later ones once (seq 1 after
   * 4995 on partition 0), which the order checks then blamed on the reader.
   */
  const produce = (topic: string, args: string[], input?: Uint8Array) =>
    kcat(
      ["-b", bootstrap, "-P", "-t", topic, "-q", "-X", "log_level=3", "-X", "enable.idempotence=true", ...args],
      30_000,
      input,
    );

  /** kcat's own reading of the topic, to compare with. */
  const kcatView = async (topic: string) =>
    parseJson(
      await kcat(["-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-X", "log_level=3", "-J"]),
    );

  /**
   * A fresh Consumer assigned every partition of `topic` from offset 0 reads `count`
   * messages (then nothing more arrives within 300 ms); `inspect` sees them before
   * the consumer closes. Returns them ordered by partition, then offset.
   */
  async function consumeAll(
    topic: string,
    partitions: number,
    count: number,
    options: ConsumerOptions = {},
    inspect?: (msgs: Message[]) => void,
  ): Promise<Message[]> {
    await using consumer = new Consumer({ "bootstrap.servers": bootstrap }, options);
    await consumer.assign(Array.from({ length: partitions }, (_, p) => ({ topic, partition: p, offset: 0n })));
    const got: Message[] = [];
    const deadline = Date.now() + 30_000;
    while (got.length < count && Date.now() < deadline) {
      got.push(...await consumer.readBatch({ maxMessages: count - got.length, timeoutMs: deadline - Date.now() }));
    }
    assert.equal(got.length, count, `the Consumer read ${got.length} of ${count} messages within 30 s`);
    assert.equal(await consumer.read({ timeoutMs: 300 }), null, "no message beyond those kcat produced");
    got.sort((a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
    inspect?.(got);
    return got;
  }

  const HEADER_ARGS = ["-H", "trace=a", "-H", "trace=b", "-H", "eq=x=y", "-H", "nul", "-H", "empty=", "-H", "ü-name=ß"];
  const HEADER_ARGS_LAST = ["-H", "trace=c"];
  const HEADERS_EXPECTED: MessageHeader[] = [
    ["trace", enc.encode("a")],
    ["trace", enc.encode("b")],
    ["eq", enc.encode("x=y")], // the first '=' ends the name
    ["nul", null], // -H name: a header without value
    ["empty", new Uint8Array(0)],
    ["ü-name", enc.encode("ß")],
    ["trace", enc.encode("c")],
  ];

  it("kcat -P -K/-D with -Z: binary keys and values, null keys, tombstones, headers in order, kcat's timestamps", async () => {
    const topic = await topicWith(1);
    const lines: KcatLine[] = [
      { key: ALL_BYTES_REVERSED, value: ALL_BYTES },
      { key: "", value: "null key" }, // -Z: an empty key is null
      { key: "tombstone", value: "" }, // -Z: an empty value is null
      { value: "no key delimiter" }, // no key at all
      { key: "k4", value: concat([enc.encode("a"), KEY_DELIM.bytes, enc.encode("b")]) }, // only the first splits
      { key: new Uint8Array([0, 0, 1]), value: new Uint8Array([0]) },
      { key: "clé-ключ-🔑", value: "välue ✓ 😀" },
      { key: AWKWARD, value: noise(5_000, 7) },
    ];
    const before = Date.now();
    await produce(
      topic,
      ["-p", "0", "-Z", "-K", KEY_DELIM.arg, "-D", MSG_DELIM.arg, ...HEADER_ARGS, ...HEADER_ARGS_LAST],
      delimited(lines),
    );
    const after = Date.now();
    const got = await consumeAll(topic, 1, lines.length);
    for (const [i, l] of lines.entries()) {
      const m = got[i];
      const at = `message ${i}`;
      assert.equal(m.topic, topic);
      assert.equal(m.partition, 0);
      assert.equal(m.offset, BigInt(i), `${at}: offsets in the order kcat read its input`);
      const key = asBytes(l.key);
      const value = asBytes(l.value)!;
      assert.deepEqual(m.key, key === null || key.length === 0 ? null : key, `${at}: key`);
      assert.deepEqual(m.value, l.key !== undefined && value.length === 0 ? null : value, `${at}: value`);
      assert.deepEqual(m.headers, HEADERS_EXPECTED, `${at}: headers, repeated names in order`);
      assert.equal(m.header("trace"), m.headers[0][1], `${at}: header() finds the first of a repeated name`);
      assert.equal(m.timestampType, "CreateTime", `${at}: librdkafka stamped CreateTime`);
      assert.ok(
        m.timestamp >= before - 1_000 && m.timestamp <= after + 1_000,
        `${at}: timestamp ${m.timestamp} is now`,
      );
    }
    assert.equal(got[2].value, null, "the tombstone's value is null");
    assert.equal(got[2].text(), "", "text() of a tombstone is empty");
    assertSameAsKcat(got, await kcatView(topic));
  });

  it("kcat -P -K/-D without -Z: an empty key or value stays empty, not null", async () => {
    const topic = await topicWith(1);
    const lines: KcatLine[] = [
      { key: "", value: "empty key" },
      { key: "empty value", value: "" },
      { key: "", value: new Uint8Array([0]) },
    ];
    await produce(topic, ["-p", "0", "-K", KEY_DELIM.arg, "-D", MSG_DELIM.arg], delimited(lines));
    const got = await consumeAll(topic, 1, lines.length);
    assert.deepEqual(got[0].key, new Uint8Array(0));
    assert.deepEqual(got[0].value, enc.encode("empty key"));
    assert.deepEqual(got[1].key, enc.encode("empty value"));
    assert.deepEqual(got[1].value, new Uint8Array(0));
    assert.deepEqual(got[2].key, new Uint8Array(0));
    assert.deepEqual(got[2].value, new Uint8Array([0]));
    for (const m of got) assert.deepEqual(m.headers, [], "no -H, no headers");
    assertSameAsKcat(got, await kcatView(topic));
  });

  it("kcat -P from files: one binary message per file; values above copyThreshold arrive zero-copy, intact", async () => {
    const topic = await topicWith(1);
    const values = [noise(300 * 1024, 1), ALL_BYTES, noise(70_000, 2), noise(65_536, 3), new Uint8Array([0])];
    const files = values.map((v, i) => {
      const f = join(dir, `value-${i}.bin`);
      writeFileSync(f, v);
      return f;
    });
    await produce(topic, ["-p", "0", "-k", "fixed-key", ...HEADER_ARGS, ...files]);
    const check = (got: Message[], zeroCopyAbove: number) => {
      for (const [i, v] of values.entries()) {
        const m = got[i];
        assert.equal(m.offset, BigInt(i), "files are produced in argument order");
        assert.deepEqual(m.key, enc.encode("fixed-key"));
        assert.deepEqual(m.headers, HEADERS_EXPECTED.slice(0, -1));
        assert.equal(
          m.zeroCopy,
          v.length > zeroCopyAbove,
          `value ${i} (${v.length} B): zero-copy above ${zeroCopyAbove}`,
        );
        assert.equal(m.value!.length, v.length);
        assert.ok(Buffer.from(m.value!).equals(v), `value ${i} (${v.length} B) is byte for byte the file`);
      }
    };
    // Default copyThreshold (16 KiB): the 300 KiB, 70 000 B and 64 KiB values are views on librdkafka's memory.
    await consumeAll(topic, 1, values.length, {}, (got) => {
      check(got, 16 * 1024);
      for (const m of got) m.release();
    });
    await consumeAll(topic, 1, values.length, { copyThreshold: Infinity }, (got) => check(got, Infinity));
    const kept = await consumeAll(topic, 1, values.length, { copyThreshold: 0 }, (got) => check(got, 0));
    // Zero-copy values still held at close() are copied out, so they stay readable.
    for (const [i, v] of values.entries()) {
      assert.equal(kept[i].zeroCopy, false, `value ${i} was copied out at close`);
      assert.ok(Buffer.from(kept[i].value!).equals(v), `value ${i} intact after the consumer closed`);
    }
  });

  it("5 000 keyed messages over 4 partitions: order per partition, one partition per key, as kcat reads them", async () => {
    const topic = await topicWith(4);
    const n = 5_000;
    const input = enc.encode(Array.from({ length: n }, (_, i) => `user-${i % 16}\tseq-${i}\n`).join(""));
    await produce(topic, ["-K", "\\t"], input);
    const got = await consumeAll(topic, 4, n);
    const seen = new Set<number>();
    const keyPartition = new Map<string, number>();
    const last = new Map<number, { offset: bigint; seq: number }>();
    for (const m of got) {
      const seq = Number(m.text().slice(4));
      assert.ok(!seen.has(seq), `seq ${seq} read once`);
      seen.add(seq);
      assert.equal(m.keyText(), `user-${seq % 16}`);
      const k = m.keyText()!;
      if (keyPartition.has(k)) assert.equal(m.partition, keyPartition.get(k), `${k} stays on one partition`);
      keyPartition.set(k, m.partition);
      const prev = last.get(m.partition);
      assert.equal(m.offset, prev ? prev.offset + 1n : 0n, `partition ${m.partition}: offsets without gaps`);
      if (prev) assert.ok(seq > prev.seq, `partition ${m.partition}: seq ${seq} after ${prev.seq}, input order kept`);
      last.set(m.partition, { offset: m.offset, seq });
    }
    assert.equal(seen.size, n);
    assert.ok(last.size > 1, "the keys spread over partitions");
    assertSameAsKcat(got, await kcatView(topic));
  });
});

// A real broker only: the mock cluster has no topic configuration.
if (clusterKind() === "kafka") {
  describe(`Interop: kcat → kafka-fast on a LogAppendTime topic (${clusterLabel()})`, () => {
    let cluster: TestCluster;

    before(async () => {
      cluster = await testCluster();
    });

    after(async () => {
      await cluster?.close();
    });

    it("the broker's append time replaces kcat's CreateTime; the Consumer reports LogAppendTime", async () => {
      const topic = newTopic();
      await cluster.createTopic(topic, { partitions: 1, config: { "message.timestamp.type": "LogAppendTime" } });
      const bootstrap = cluster.bootstrapServers;
      const before = Date.now();
      await kcat(["-b", bootstrap, "-P", "-t", topic, "-p", "0", "-q"], 30_000, enc.encode("a\nb\nc\n"));
      const after = Date.now();
      await using consumer = new Consumer({ "bootstrap.servers": bootstrap });
      await consumer.assign([{ topic, partition: 0, offset: 0n }]);
      const got: Message[] = [];
      const deadline = Date.now() + 30_000;
      while (got.length < 3 && Date.now() < deadline) {
        got.push(...await consumer.readBatch({ maxMessages: 3 - got.length, timeoutMs: deadline - Date.now() }));
      }
      assert.deepEqual(got.map((m) => m.text()), ["a", "b", "c"]);
      const recs = parseJson(
        await kcat(["-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-J"]),
      );
      for (const [i, m] of got.entries()) {
        assert.equal(m.timestampType, "LogAppendTime", `message ${i}`);
        assert.ok(
          m.timestamp >= before - 1_000 && m.timestamp <= after + 1_000,
          `message ${i}: broker time ${m.timestamp}`,
        );
        assert.equal(recs[i].tstype, "logappend");
        assert.equal(m.timestamp, recs[i].ts, `message ${i}: the same time kcat reads`);
      }
    });
  });
}
