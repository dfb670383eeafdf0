/**
 * A minimal admin client for tests only: creates and deletes topics on a real
 * broker, and waits until the broker's metadata shows a new topic with a leader
 * for every partition. The real `AdminClient` is a later issue; this is the
 * smallest honest use of librdkafka's Admin API through the raw layer (`ffi/`).
 *
 * How it talks to librdkafka:
 * - `rd_kafka_CreateTopics` / `rd_kafka_DeleteTopics` answer with one result event
 *   on a queue made for that request (`rd_kafka_queue_new`). The helper polls it
 *   with `rd_kafka_queue_poll(q, 0)` and short sleeps: polling is fine in a test
 *   helper, never in the library (DESIGN.md rule 2).
 * - `rd_kafka_metadata` waits for the broker, so it runs off the JS thread
 *   (`backend.background`, DESIGN.md rule 1). Its out-parameter is an off-heap
 *   8-byte buffer passed by address: on Bun the call runs in a Worker, where a
 *   `Uint8Array` argument would arrive as a copy.
 * - The handle sets `allow.auto.create.topics=false`, so asking for metadata of a
 *   topic never creates it (the test broker auto-creates topics otherwise).
 *
 * @module
 */
import { backend, CONF_OK, library, type Ptr, RD_KAFKA_PRODUCER } from "../../ffi/mod.ts";
import { cbufText as cbuf, cstr } from "../../src/native/lib.ts";

/** `RD_KAFKA_EVENT_CREATETOPICS_RESULT` and `…DELETETOPICS_RESULT` (rdkafka.h). */
const EVENT_CREATETOPICS_RESULT = 100;
const EVENT_DELETETOPICS_RESULT = 101;
/** `RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART`. */
const ERR_UNKNOWN_TOPIC_OR_PART = 3;

/**
 * `rd_kafka_metadata_t` and its parts (x86_64 / aarch64 LP64; checked against
 * rdkafka.h 2.0.2 with offsetof).
 */
const METADATA = { broker_cnt: 0, topic_cnt: 16, topics: 24 } as const;
const METADATA_TOPIC = { size: 32, topic: 0, partition_cnt: 8, partitions: 16, err: 24 } as const;
const METADATA_PARTITION = { size: 40, id: 0, err: 4, leader: 8 } as const;

function errName(code: number): string {
  return backend.readCString(library().call.rd_kafka_err2name(code)) ?? String(code);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An off-heap array of pointers (`T **`), for the Admin API's array arguments. */
function pointerArray(ptrs: Ptr[]): Uint8Array {
  const out = new Uint8Array(new ArrayBuffer(8 * Math.max(1, ptrs.length)));
  const dv = new DataView(out.buffer);
  ptrs.forEach((p, i) => dv.setBigUint64(i * 8, BigInt(backend.address(p)), true));
  return out;
}

/** One topic's result in a CreateTopics / DeleteTopics answer. */
export interface TopicResult {
  name: string;
  /** librdkafka's error code; 0 = success. */
  error: number;
  /** librdkafka's error name, e.g. `TOPIC_ALREADY_EXISTS` (`NO_ERROR` on success). */
  errorName: string;
  /** The broker's message, when it sent one. */
  message: string | null;
}

/** What {@link TestAdmin.topicMetadata} reports for one topic. */
export interface TopicMetadata {
  /** The topic-level error code (0, or e.g. 3 = UNKNOWN_TOPIC_OR_PART). */
  error: number;
  /** Per partition, in id order: its leader broker id (-1 when none). */
  partitions: Array<{ id: number; error: number; leader: number }>;
}

/** Options of {@link TestAdmin.createTopic}. */
export interface CreateTopicOptions {
  partitions: number;
  /** Default 1 (a single broker). */
  replicationFactor?: number;
  /** Broker-side topic configuration, e.g. `{ "message.timestamp.type": "LogAppendTime" }`. */
  config?: Record<string, string>;
  /** Default 30 000 ms: the request, then the wait for metadata. */
  timeoutMs?: number;
}

/**
 * Creates and deletes topics on a real broker (tests only).
 *
 * @example
 * ```ts
 * const admin = TestAdmin.create("127.0.0.1:9092");
 * await admin.createTopic("t-1", { partitions: 3 });
 * await admin.deleteTopics(["t-1"]);
 * await admin.close();
 * ```
 */
export class TestAdmin {
  #rk: Ptr;
  #closed = false;

  private constructor(rk: Ptr) {
    this.#rk = rk;
  }

  /** A client handle for `bootstrap` (no connection is made until the first request). */
  static create(bootstrap: string): TestAdmin {
    const c = library().call;
    const conf: Ptr = c.rd_kafka_conf_new();
    const errstr = new Uint8Array(512);
    const props: Record<string, string> = {
      "bootstrap.servers": bootstrap,
      "allow.auto.create.topics": "false",
      "log_level": "3",
    };
    for (const [k, v] of Object.entries(props)) {
      if (c.rd_kafka_conf_set(conf, cstr(k), cstr(v), errstr, 512n) !== CONF_OK) {
        c.rd_kafka_conf_destroy(conf);
        throw new Error(`TestAdmin: conf ${k}=${v}: ${cbuf(errstr)}`);
      }
    }
    const rk: Ptr = c.rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, 512n);
    if (backend.isNull(rk)) {
      c.rd_kafka_conf_destroy(conf);
      throw new Error(`TestAdmin: rd_kafka_new: ${cbuf(errstr)}`);
    }
    return new TestAdmin(rk);
  }

  #check(): void {
    if (this.#closed) throw new Error("TestAdmin is closed");
  }

  /**
   * Creates a topic, then waits until the broker's metadata shows it with
   * `partitions` partitions, each with a leader.
   *
   * @throws {Error} naming librdkafka's error (e.g. `TOPIC_ALREADY_EXISTS`) and the
   *   broker's message when the broker refuses, or on timeout.
   */
  async createTopic(name: string, opts: CreateTopicOptions): Promise<void> {
    this.#check();
    const c = library().call;
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    const errstr = new Uint8Array(512);
    const nt: Ptr = c.rd_kafka_NewTopic_new(cstr(name), opts.partitions, opts.replicationFactor ?? 1, errstr, 512n);
    if (backend.isNull(nt)) throw new Error(`createTopic "${name}": ${cbuf(errstr)}`);
    let results: TopicResult[];
    try {
      for (const [k, v] of Object.entries(opts.config ?? {})) {
        const err: number = c.rd_kafka_NewTopic_set_config(nt, cstr(k), cstr(v));
        if (err !== 0) throw new Error(`createTopic "${name}": config ${k}=${v}: ${errName(err)}`);
      }
      // CreateTopics copies the NewTopic, so it can be destroyed as soon as it returns.
      results = await this.#request(
        EVENT_CREATETOPICS_RESULT,
        (q) => c.rd_kafka_CreateTopics(this.#rk, pointerArray([nt]), 1n, backend.NULL, q),
        deadline,
        `createTopic "${name}"`,
      );
    } finally {
      c.rd_kafka_NewTopic_destroy(nt);
    }
    const r = results.find((x) => x.name === name);
    if (!r) throw new Error(`createTopic "${name}": no result for the topic`);
    if (r.error !== 0) throw new Error(`createTopic "${name}": ${r.errorName}${r.message ? `: ${r.message}` : ""}`);
    await this.#waitForTopic(name, opts.partitions, deadline);
  }

  /** Deletes topics; resolves with each topic's result (errors are reported, not thrown). */
  async deleteTopics(names: string[], timeoutMs = 10_000): Promise<TopicResult[]> {
    this.#check();
    if (names.length === 0) return [];
    const c = library().call;
    const dts: Ptr[] = names.map((n) => c.rd_kafka_DeleteTopic_new(cstr(n)));
    try {
      return await this.#request(
        EVENT_DELETETOPICS_RESULT,
        (q) => c.rd_kafka_DeleteTopics(this.#rk, pointerArray(dts), BigInt(dts.length), backend.NULL, q),
        Date.now() + timeoutMs,
        `deleteTopics ${names.join(", ")}`,
      );
    } finally {
      for (const d of dts) c.rd_kafka_DeleteTopic_destroy(d);
    }
  }

  /**
   * One metadata request for `name` (off the JS thread). `error` is 3
   * (UNKNOWN_TOPIC_OR_PART) for a topic the broker does not know.
   *
   * @throws {Error} when the request itself fails (e.g. `_TRANSPORT`, `_TIMED_OUT`).
   */
  async topicMetadata(name: string, timeoutMs = 5_000): Promise<TopicMetadata> {
    this.#check();
    const c = library().call;
    const rkt: Ptr = c.rd_kafka_topic_new(this.#rk, cstr(name), backend.NULL);
    if (backend.isNull(rkt)) throw new Error(`topicMetadata "${name}": rd_kafka_topic_new failed`);
    const out = new Uint8Array(new ArrayBuffer(8));
    try {
      const err = Number(
        await backend.background(library(), "rd_kafka_metadata", [this.#rk, 0, rkt, backend.ptrOf(out), timeoutMs]),
      );
      if (err !== 0) throw new Error(`metadata for "${name}": ${errName(err)}`);
      const md = backend.fromAddress(new DataView(out.buffer).getBigUint64(0, true));
      try {
        return readTopic(md, name);
      } finally {
        c.rd_kafka_metadata_destroy(md);
      }
    } finally {
      c.rd_kafka_topic_destroy(rkt);
    }
  }

  /**
   * Waits (off the JS thread) until a broker answers a metadata request; resolves
   * with the number of brokers it lists.
   *
   * @throws {Error} naming librdkafka's error (e.g. `_TRANSPORT`) when none answers in time.
   */
  async ping(timeoutMs = 10_000): Promise<number> {
    this.#check();
    const out = new Uint8Array(new ArrayBuffer(8));
    const err = Number(
      await backend.background(library(), "rd_kafka_metadata", [
        this.#rk,
        0,
        backend.NULL,
        backend.ptrOf(out),
        timeoutMs,
      ]),
    );
    if (err !== 0) throw new Error(`no broker answered: ${errName(err)}`);
    const md = backend.fromAddress(new DataView(out.buffer).getBigUint64(0, true));
    const brokers = backend.readI32(md, METADATA.broker_cnt);
    library().call.rd_kafka_metadata_destroy(md);
    return brokers;
  }

  /** Waits until metadata shows `name` with `partitions` partitions, each with a leader. */
  async #waitForTopic(name: string, partitions: number, deadline: number): Promise<void> {
    let last = "no answer";
    while (Date.now() < deadline) {
      try {
        const md = await this.topicMetadata(name, Math.max(100, Math.min(5_000, deadline - Date.now())));
        if (
          md.error === 0 && md.partitions.length === partitions &&
          md.partitions.every((p) => p.error === 0 && p.leader >= 0)
        ) return;
        last = md.error === ERR_UNKNOWN_TOPIC_OR_PART
          ? "unknown topic"
          : `error ${errName(md.error)}, partitions ${JSON.stringify(md.partitions)}`;
      } catch (e) {
        last = (e as Error).message;
      }
      await sleep(20);
    }
    throw new Error(`createTopic "${name}": metadata did not show it ready in time (last: ${last})`);
  }

  /**
   * Sends one admin request with a queue of its own and waits (polling with
   * timeout 0) for its result event.
   */
  async #request(
    eventType: number,
    send: (q: Ptr) => void,
    deadline: number,
    what: string,
  ): Promise<TopicResult[]> {
    const c = library().call;
    const q: Ptr = c.rd_kafka_queue_new(this.#rk);
    try {
      send(q);
      for (;;) {
        const ev: Ptr = c.rd_kafka_queue_poll(q, 0);
        if (backend.isNull(ev)) {
          if (Date.now() >= deadline) throw new Error(`${what}: no answer in time`);
          await sleep(5);
          continue;
        }
        try {
          const type: number = c.rd_kafka_event_type(ev);
          if (type !== eventType) continue; // not ours (nothing else is expected here)
          const err: number = c.rd_kafka_event_error(ev);
          if (err !== 0) {
            throw new Error(`${what}: ${errName(err)}: ${backend.readCString(c.rd_kafka_event_error_string(ev))}`);
          }
          return readTopicResults(ev, eventType);
        } finally {
          c.rd_kafka_event_destroy(ev);
        }
      }
    } finally {
      // A request still in flight keeps its own reference to the queue.
      c.rd_kafka_queue_destroy(q);
    }
  }

  /** Frees the handle (off the JS thread). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await backend.background(library(), "rd_kafka_destroy", [this.#rk]);
  }
}

function readTopicResults(ev: Ptr, eventType: number): TopicResult[] {
  const c = library().call;
  const res: Ptr = eventType === EVENT_CREATETOPICS_RESULT
    ? c.rd_kafka_event_CreateTopics_result(ev)
    : c.rd_kafka_event_DeleteTopics_result(ev);
  const cntp = new Uint8Array(new ArrayBuffer(8));
  const arr: Ptr = eventType === EVENT_CREATETOPICS_RESULT
    ? c.rd_kafka_CreateTopics_result_topics(res, cntp)
    : c.rd_kafka_DeleteTopics_result_topics(res, cntp);
  const cnt = Number(new DataView(cntp.buffer).getBigUint64(0, true));
  const out: TopicResult[] = [];
  for (let i = 0; i < cnt; i++) {
    const tr = backend.readPtr(arr, i * 8);
    const error: number = c.rd_kafka_topic_result_error(tr);
    out.push({
      name: backend.readCString(c.rd_kafka_topic_result_name(tr)) ?? "",
      error,
      errorName: errName(error),
      message: backend.readCString(c.rd_kafka_topic_result_error_string(tr)),
    });
  }
  return out;
}

function readTopic(md: Ptr, name: string): TopicMetadata {
  const cnt = backend.readI32(md, METADATA.topic_cnt);
  const topics = backend.readPtr(md, METADATA.topics);
  for (let i = 0; i < cnt; i++) {
    const t = backend.fromAddress(backend.address(topics) + i * METADATA_TOPIC.size);
    if (backend.readCString(backend.readPtr(t, METADATA_TOPIC.topic)) !== name) continue;
    const pcnt = backend.readI32(t, METADATA_TOPIC.partition_cnt);
    const parts = backend.readPtr(t, METADATA_TOPIC.partitions);
    const partitions = [];
    for (let j = 0; j < pcnt; j++) {
      const off = j * METADATA_PARTITION.size;
      partitions.push({
        id: backend.readI32(parts, off + METADATA_PARTITION.id),
        error: backend.readI32(parts, off + METADATA_PARTITION.err),
        leader: backend.readI32(parts, off + METADATA_PARTITION.leader),
      });
    }
    partitions.sort((a, b) => a.id - b.id);
    return { error: backend.readI32(t, METADATA_TOPIC.err), partitions };
  }
  return { error: ERR_UNKNOWN_TOPIC_OR_PART, partitions: [] };
}
