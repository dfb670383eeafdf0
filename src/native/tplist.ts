/**
 * Topic-partition lists (`rd_kafka_topic_partition_list_t`) built from and read
 * into plain JS objects. Every list made here has one owner: the caller destroys
 * it with {@link destroyList} (usually in a `finally`).
 *
 * @module
 */
import { TOPIC_PARTITION, TOPIC_PARTITION_LIST } from "../../ffi/mod.ts";
import { type KafkaError, kafkaError } from "../errors.ts";
import { backend, cstr, type Ptr, rd } from "./lib.ts";
import { INT32_MAX, show } from "../validate.ts";

/**
 * A topic, a partition and (depending on the call) an offset, as the consumer
 * APIs take and return them. `offset` is a bigint: Kafka offsets are 64-bit.
 *
 * @example
 * ```ts
 * const tp: TopicPartitionOffset = { topic: "events", partition: 0, offset: 42n };
 * ```
 */
export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  /** The offset; absent where the call has none (e.g. a subscription). */
  offset?: bigint;
  /** A per-partition error librdkafka reported (e.g. in a commit result). */
  error?: KafkaError;
}

/** A topic and a partition. @example `const tp: TopicPartition = { topic: "events", partition: 3 }` */
export interface TopicPartition {
  topic: string;
  partition: number;
}

const ELEM = TOPIC_PARTITION.size;

/**
 * Builds a native list; `offset` is set where given. The caller owns the result.
 *
 * @example
 * ```ts
 * const list = toList([{ topic: "events", partition: 0, offset: 10n }]);
 * try { rd().rd_kafka_offsets_store(rk, list); } finally { destroyList(list); }
 * ```
 */
export function toList(tps: readonly (TopicPartition & { offset?: bigint })[]): Ptr {
  const c = rd();
  const list: Ptr = c.rd_kafka_topic_partition_list_new(Math.max(1, tps.length));
  try {
    for (const tp of tps) {
      const name = cstr(tp.topic);
      c.rd_kafka_topic_partition_list_add(list, name, tp.partition);
      if (tp.offset !== undefined) c.rd_kafka_topic_partition_list_set_offset(list, name, tp.partition, tp.offset);
    }
  } catch (e) {
    // Callers check their input first; this only keeps an unexpected value from leaking the list.
    c.rd_kafka_topic_partition_list_destroy(list);
    throw e;
  }
  return list;
}

/**
 * Reads every element of a native list (one `memcpy` for the element array).
 * Offsets below zero that librdkafka uses as "none" (`RD_KAFKA_OFFSET_INVALID`)
 * are returned as they are; callers decide what they mean.
 *
 * @example
 * ```ts
 * const tps = fromList(rd().rd_kafka_event_topic_partition_list(ev));
 * ```
 */
export function fromList(list: Ptr): TopicPartitionOffset[] {
  if (backend.isNull(list)) return [];
  const cnt = backend.readI32(list, TOPIC_PARTITION_LIST.cnt);
  if (cnt <= 0) return [];
  const elems = backend.readPtr(list, TOPIC_PARTITION_LIST.elems);
  const raw = new Uint8Array(cnt * ELEM);
  backend.copyFromAddress(raw, BigInt(backend.address(elems)), BigInt(raw.length));
  const dv = new DataView(raw.buffer);
  const out: TopicPartitionOffset[] = [];
  for (let i = 0; i < cnt; i++) {
    const base = i * ELEM;
    const topicAddr = dv.getBigUint64(base + TOPIC_PARTITION.topic, true);
    const tp: TopicPartitionOffset = {
      topic: backend.readCString(backend.fromAddress(topicAddr)) ?? "",
      partition: dv.getInt32(base + TOPIC_PARTITION.partition, true),
      offset: dv.getBigInt64(base + TOPIC_PARTITION.offset, true),
    };
    const err = dv.getInt32(base + TOPIC_PARTITION.err, true);
    if (err !== 0) {
      tp.error = kafkaError(err);
      tp.error.message = `${tpLabel(tp)}: ${tp.error.message}`;
    }
    out.push(tp);
  }
  return out;
}

/** Destroys a list made by {@link toList} or returned to us by librdkafka. @example `destroyList(list)` */
export function destroyList(list: Ptr): void {
  if (!backend.isNull(list)) rd().rd_kafka_topic_partition_list_destroy(list);
}

/** `"events[3]"`: how errors and logs name a partition. @example `tpLabel({ topic: "events", partition: 3 })` */
export function tpLabel(tp: TopicPartition): string {
  return `${tp.topic}[${tp.partition}]`;
}

/** A key for maps of partitions. @example `tpKey("events", 3) === "events\u00003"` */
export function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/**
 * What {@link nextOffsets} needs of a consumed message (the consumer's `Message`
 * has it): a record stands for "continue after me", its offset + 1.
 *
 * @example
 * ```ts
 * const r: ConsumedRecord = { topic: "t", partition: 0, offset: 41n, key: null, value: null };
 * ```
 */
export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: bigint;
  key: unknown;
  value: unknown;
}

/** Throws a TypeError naming the bad element. @example `checkPartitions([{ topic: "t", partition: 0 }], "seek")` */
export function checkPartitions(tps: readonly TopicPartition[], call: string): void {
  if (!Array.isArray(tps)) throw new TypeError(`${call}: partitions must be an array`);
  tps.forEach((tp, i) => {
    if (tp === null || typeof tp !== "object" || typeof tp.topic !== "string" || tp.topic === "") {
      throw new TypeError(`${call}: partitions[${i}].topic must be a non-empty string`);
    }
    if (!Number.isInteger(tp.partition) || tp.partition < 0 || tp.partition > INT32_MAX) {
      throw new TypeError(
        `${call}: partitions[${i}].partition must be an integer from 0 to ${INT32_MAX}, got ${show(tp.partition)}`,
      );
    }
  });
}

/** Messages become offset + 1; explicit offsets are checked. @example `nextOffsets([m], "commit")` */
export function nextOffsets(
  items: readonly (ConsumedRecord | TopicPartitionOffset)[],
  call: string,
): (TopicPartition & { offset: bigint })[] {
  return items.map((it, i) => {
    if (it && typeof it === "object" && "value" in it && "key" in it) {
      const m = it as ConsumedRecord;
      return { topic: m.topic, partition: m.partition, offset: m.offset + 1n };
    }
    const tp = it as TopicPartitionOffset;
    checkPartitions([tp], `${call}: [${i}]`);
    if (typeof tp.offset !== "bigint") throw new TypeError(`${call}: [${i}].offset must be a bigint`);
    return { topic: tp.topic, partition: tp.partition, offset: tp.offset };
  });
}
