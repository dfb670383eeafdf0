/**
 * Interop: what kafka-fast produces, another client reads back intact. The other
 * client is `kcat` (Debian's package, its own librdkafka consumer, run as a child
 * process): keys, values with all 256 byte values (0x00 included), null versus
 * empty keys and values, repeated headers (same name twice, order kept, binary and
 * null header values) and timestamps, on the partition and offset the delivery
 * report named.
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
import { spawn } from "node:child_process";
import { type DeliveryReport, Producer, type ProducerMessage, type SendResult } from "../src/mod.ts";
import { clusterLabel, type TestCluster, testCluster } from "./helpers/cluster.ts";

const KCAT = "kcat";
const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });
const newTopic = () => `interop-${crypto.randomUUID()}`;

const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);
const ALL_BYTES_REVERSED = ALL_BYTES.slice().reverse();
/** A header value with every byte `%h`-style formats trip over. */
const AWKWARD = new Uint8Array([0x00, 0x2c, 0x3d, 0x0a, 0x22, 0x5c, 0x7f, 0x80, 0xff, 0x00]);

/** Runs kcat to completion; resolves with its stdout bytes, rejects with its stderr. */
function kcat(args: string[], timeoutMs = 30_000): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const child = spawn(KCAT, args, { stdio: ["ignore", "pipe", "pipe"] });
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
    const messages: ProducerMessage[] = [
      { topic, partition: 0, key: ALL_BYTES, value: ALL_BYTES_REVERSED, timestamp: 42 },
      { topic, partition: 0, key: null, value: new Uint8Array([0x7c, 0x3a, 0x0a]), timestamp: 43 }, // '|', ':', '\n'
      { topic, partition: 0, key: new Uint8Array([0]), value: null, timestamp: 44 },
      { topic, partition: 0, key: "", value: "", timestamp: 45 },
      ...Array.from(
        { length: 50 },
        (_, i) => ({ topic, partition: 0, value: ALL_BYTES.subarray(i), timestamp: 100 + i }),
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
