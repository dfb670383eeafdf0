/**
 * A minimal consumer for tests only: reads back what a producer wrote, so tests
 * assert on the bytes a broker holds instead of on delivery reports alone.
 *
 * Built on the raw FFI layer (`ffi/`), not on `src/`, so a producer bug cannot
 * hide behind a matching consumer bug. It assigns partitions directly (no group
 * join, so no 3 s wait on the mock) from the beginning, and polls
 * `rd_kafka_consumer_poll(rk, 0)` with a 5 ms sleep when nothing is there:
 * polling is fine in a test helper, never in the library (DESIGN.md rule 2).
 *
 * @module
 */
import {
  backend,
  CONF_OK,
  library,
  MESSAGE,
  OFFSET,
  type Ptr,
  RD_KAFKA_CONSUMER,
  TOPIC_PARTITION,
} from "../../ffi/mod.ts";
import { cstr } from "../../src/native/lib.ts";

/** One message as read back. */
export interface ReadMessage {
  topic: string;
  partition: number;
  offset: bigint;
  key: Uint8Array | null;
  value: Uint8Array | null;
  /** In wire order; a `null` value is a header without a value. */
  headers: Array<[string, Uint8Array | null]>;
  /** Milliseconds since the epoch (-1 when not available). */
  timestamp: number;
  /** `rd_kafka_timestamp_type_t`: 0 not available, 1 CreateTime, 2 LogAppendTime. */
  timestampType: number;
}

/** Options of {@link readBack}. */
export interface ReadBackOptions {
  /** The partitions to read: a list, or a count `n` meaning partitions 0…n-1. */
  partitions: number[] | number;
  /**
   * Stop after this many messages. With 0 it reads for `quietMs` and expects none;
   * the consumer needs about 500 ms on the mock to fetch its first message
   * (librdkafka retries the first offset query after 500 ms), so a shorter window
   * proves nothing: prefer sending a marker message and checking its offset.
   */
  count: number;
  /** Reject when fewer than `count` arrived by then. Default 10 000 ms. */
  timeoutMs?: number;
  /**
   * After `count` messages arrived, keep reading this long and reject if more
   * come (to assert "exactly count"). Default 0: stop at `count`.
   */
  quietMs?: number;
}

const RESP_ERR_PARTITION_EOF = -191;
const RESP_ERR_NOENT = -156;
const dec = new TextDecoder();

function bytesOrNull(p: Ptr, len: number): Uint8Array | null {
  if (backend.isNull(p)) return null;
  return backend.copyBytes(p, len);
}

function newConsumer(bootstrap: string): Ptr {
  const c = library().call;
  const conf: Ptr = c.rd_kafka_conf_new();
  const errstr = new Uint8Array(512);
  const props: Record<string, string> = {
    "bootstrap.servers": bootstrap,
    "group.id": `readback-${crypto.randomUUID()}`,
    "enable.auto.commit": "false",
    "enable.auto.offset.store": "false",
    "auto.offset.reset": "earliest",
    "enable.partition.eof": "false",
    "log_level": "3",
  };
  for (const [k, v] of Object.entries(props)) {
    if (c.rd_kafka_conf_set(conf, cstr(k), cstr(v), errstr, 512n) !== CONF_OK) {
      c.rd_kafka_conf_destroy(conf);
      throw new Error(`readBack: conf ${k}=${v}: ${dec.decode(errstr.subarray(0, errstr.indexOf(0)))}`);
    }
  }
  const rk: Ptr = c.rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, 512n);
  if (backend.isNull(rk)) {
    c.rd_kafka_conf_destroy(conf);
    throw new Error(`readBack: rd_kafka_new: ${dec.decode(errstr.subarray(0, errstr.indexOf(0)))}`);
  }
  c.rd_kafka_poll_set_consumer(rk);
  return rk;
}

function assign(rk: Ptr, topic: string, partitions: number[]): void {
  const c = library().call;
  const list: Ptr = c.rd_kafka_topic_partition_list_new(partitions.length);
  try {
    for (const p of partitions) {
      const elem: Ptr = c.rd_kafka_topic_partition_list_add(list, cstr(topic), p);
      new DataView(backend.view(elem, TOPIC_PARTITION.size)).setBigInt64(
        TOPIC_PARTITION.offset,
        OFFSET.BEGINNING,
        true,
      );
    }
    const err: number = c.rd_kafka_assign(rk, list);
    if (err !== 0) throw new Error(`readBack: rd_kafka_assign failed with ${err}`);
  } finally {
    c.rd_kafka_topic_partition_list_destroy(list);
  }
}

/** Reads one message's headers (copied). */
function readHeaders(m: Ptr): Array<[string, Uint8Array | null]> {
  const c = library().call;
  const out: Array<[string, Uint8Array | null]> = [];
  const hdrsp = new Uint8Array(new ArrayBuffer(8));
  const err: number = c.rd_kafka_message_headers(m, hdrsp);
  if (err === RESP_ERR_NOENT) return out;
  if (err !== 0) throw new Error(`readBack: rd_kafka_message_headers failed with ${err}`);
  const hdrs = backend.fromAddress(new DataView(hdrsp.buffer).getBigUint64(0, true));
  // Three out-parameters: name (char *), value (void *), size (size_t).
  const outs = new Uint8Array(new ArrayBuffer(24));
  const dv = new DataView(outs.buffer);
  for (let i = 0;; i++) {
    if (c.rd_kafka_header_get_all(hdrs, BigInt(i), outs, outs.subarray(8), outs.subarray(16)) !== 0) break;
    const name = backend.readCString(backend.fromAddress(dv.getBigUint64(0, true))) ?? "";
    const valueAddr = dv.getBigUint64(8, true);
    const size = Number(dv.getBigUint64(16, true));
    out.push([name, valueAddr === 0n ? null : backend.copyBytes(backend.fromAddress(valueAddr), size)]);
  }
  return out;
}

/**
 * Reads `count` messages of `topic` from the beginning of `partitions`.
 * Messages come in arrival order: in order within a partition, interleaved across
 * partitions.
 *
 * @throws {Error} (rejects) when fewer than `count` arrive within `timeoutMs`,
 *   saying how many did, or when more than `count` arrive within `quietMs`.
 * @example
 * ```ts
 * const [m] = await readBack(cluster.bootstrapServers, "t", { partitions: [0], count: 1 });
 * assert.equal(new TextDecoder().decode(m.value!), "hello");
 * ```
 */
export async function readBack(bootstrap: string, topic: string, opts: ReadBackOptions): Promise<ReadMessage[]> {
  const c = library().call;
  const partitions = typeof opts.partitions === "number"
    ? Array.from({ length: opts.partitions }, (_, i) => i)
    : opts.partitions;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const quietMs = opts.quietMs ?? 0;
  const rk = newConsumer(bootstrap);
  const got: ReadMessage[] = [];
  const tsType = new Int32Array(1);
  const errors: string[] = [];
  try {
    assign(rk, topic, partitions);
    const deadline = Date.now() + timeoutMs;
    let quietUntil = opts.count === 0 ? Date.now() + quietMs : Infinity;
    for (;;) {
      const now = Date.now();
      if (got.length >= opts.count) {
        if (quietMs === 0) break;
        if (quietUntil === Infinity) quietUntil = now + quietMs;
        if (got.length > opts.count) {
          throw new Error(`readBack: expected exactly ${opts.count} messages of "${topic}", got more`);
        }
        if (now >= quietUntil) break;
      } else if (now >= deadline) {
        throw new Error(
          `readBack: only ${got.length} of ${opts.count} messages of "${topic}" arrived in ${timeoutMs} ms` +
            (errors.length ? ` (errors: ${errors.slice(0, 5).join("; ")})` : ""),
        );
      }
      const m: Ptr = c.rd_kafka_consumer_poll(rk, 0);
      if (backend.isNull(m)) {
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      try {
        const err = backend.readI32(m, MESSAGE.err);
        if (err !== 0) {
          if (err !== RESP_ERR_PARTITION_EOF) {
            const len = backend.readUsize(m, MESSAGE.len);
            const p = backend.readPtr(m, MESSAGE.payload);
            errors.push(`${err}: ${backend.isNull(p) ? "" : dec.decode(backend.copyBytes(p, len))}`);
          }
          continue;
        }
        const timestamp = Number(c.rd_kafka_message_timestamp(m, tsType));
        got.push({
          topic,
          partition: backend.readI32(m, MESSAGE.partition),
          offset: backend.readI64(m, MESSAGE.offset),
          key: bytesOrNull(backend.readPtr(m, MESSAGE.key), backend.readUsize(m, MESSAGE.key_len)),
          value: bytesOrNull(backend.readPtr(m, MESSAGE.payload), backend.readUsize(m, MESSAGE.len)),
          headers: readHeaders(m),
          timestamp,
          timestampType: tsType[0],
        });
      } finally {
        c.rd_kafka_message_destroy(m);
      }
    }
    return got;
  } finally {
    await backend.background(library(), "rd_kafka_consumer_close", [rk]);
    await backend.background(library(), "rd_kafka_destroy", [rk]);
  }
}

/** UTF-8 text of bytes (`null` stays `null`), for assertions. @example `text(m.value)` */
export function text(b: Uint8Array | null): string | null {
  return b === null ? null : dec.decode(b);
}
