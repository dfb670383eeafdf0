/**
 * Partition offsets and records: list offsets (earliest, latest, by timestamp) and
 * delete records below an offset.
 *
 * `rd_kafka_ListOffsets` (librdkafka ≥ 2.3.0) is an admin request like the others:
 * it answers on the result queue with one `ListOffsetsResultInfo` per partition,
 * which also carries the matching message's timestamp. Older librdkafka has only
 * `rd_kafka_offsets_for_times`, which waits for the leaders, so it runs off the JS
 * thread (DESIGN.md rule 1); it sends the same ListOffsets request (a timestamp of
 * -2 asks for the earliest offset, -1 for the latest) but reports neither the
 * message's timestamp nor its leader epoch, and it cannot ask for the max timestamp
 * (-3) or committed reads (librdkafka 2.0.2 has no option for either). Those two
 * then reject with the version error instead of silently asking something else.
 * Both forms reject the whole call when no partition asked for has a leader (a
 * topic the cluster lacks): librdkafka has no broker to send the request to.
 *
 * `rd_kafka_DeleteRecords` takes exactly one `DeleteRecords_t` (one partition list,
 * any number of partitions) and answers with the partitions' new low watermarks.
 *
 * @module
 */
import { ADMIN_EVENT, ISOLATION_LEVELS, OFFSET_SPEC, type Ptr, TOPIC_PARTITION } from "../../ffi/mod.ts";
import { ErrorCode, KafkaError, kafkaError } from "../errors.ts";
import type { AdminCore } from "./core.ts";
import {
  type AdminCallOptions,
  checkArray,
  checkInt,
  checkObject,
  checkString,
  clampMs,
  enumIndex,
  has,
  label,
  list,
  needs,
  pointerArray,
  takeError,
  timeout,
} from "./read.ts";
import { checkTopic } from "../validate.ts";
import { backend, rd } from "../native/lib.ts";
import { destroyList, fromList, toList, type TopicPartition, tpKey, tpLabel } from "../native/tplist.ts";

/**
 * Which offset to look up: the first, the next to be written, the one of the
 * message with the largest timestamp (librdkafka ≥ 2.3.0), or the first whose
 * timestamp is at or after `timestamp` (ms since the epoch).
 *
 * @example
 * ```ts
 * const spec: OffsetSpec = { timestamp: Date.now() - 3_600_000 };
 * ```
 */
export type OffsetSpec = "earliest" | "latest" | "maxTimestamp" | { timestamp: number };

/** One partition to look up. @example `{ topic: "orders", partition: 0, spec: "latest" }` */
export interface ListOffsetsRequest {
  topic: string;
  partition: number;
  spec: OffsetSpec;
}

/** Options of {@link AdminClient.listOffsets}. @example `{ isolationLevel: "read_committed" }` */
export interface ListOffsetsOptions extends AdminCallOptions {
  /** `"read_committed"` stops at the last stable offset (librdkafka ≥ 2.3.0). Default `"read_uncommitted"`. */
  isolationLevel?: "read_uncommitted" | "read_committed";
}

/**
 * The answer for one partition: `offset` undefined when none matches (a timestamp
 * after the last message).
 *
 * @example
 * ```ts
 * const [{ offset }] = await admin.listOffsets([{ topic: "t", partition: 0, spec: "latest" }]);
 * ```
 */
export interface ListOffsetsResult {
  topic: string;
  partition: number;
  offset?: bigint;
  /** The matching message's timestamp (librdkafka ≥ 2.3.0; not for "earliest" and "latest"). */
  timestamp?: number;
  /** The leader epoch of the matching message (librdkafka ≥ 2.3.0, when the broker reports one). */
  leaderEpoch?: number;
  error?: KafkaError;
}

/** Records of one partition to delete: every offset below `before` (`OFFSET.END`: all). @example `{ topic: "t", partition: 0, before: 100n }` */
export interface DeleteRecordsRequest {
  topic: string;
  partition: number;
  before: bigint;
}

/** The outcome for one partition of {@link AdminClient.deleteRecords}. @example `console.log(r.lowWatermark)` */
export interface DeleteRecordsResult {
  topic: string;
  partition: number;
  /** The partition's first offset afterwards. */
  lowWatermark?: bigint;
  error?: KafkaError;
}

/**
 * Checks one `{ topic, partition }` of an argument array: a TypeError (or, for a
 * name Kafka would refuse, the KafkaError `TOPIC_EXCEPTION`) naming the field.
 *
 * @example
 * ```ts
 * const tp = checkTopicPartition(items[0], "deleteRecords: [0]");
 * ```
 */
export function checkTopicPartition(v: unknown, at: string): TopicPartition {
  const o = checkObject(v, at);
  const topic = checkTopic(checkString(o.topic, `${at}.topic`), `${at}.topic`);
  return { topic, partition: checkInt(o.partition, `${at}.partition`, 0) };
}

/**
 * Throws a TypeError when a partition appears twice: Kafka and librdkafka refuse
 * such requests as a whole, with a less helpful message.
 *
 * @example
 * ```ts
 * unique(tps, "listOffsets");
 * ```
 */
export function unique(tps: readonly TopicPartition[], call: string): void {
  const seen = new Set<string>();
  tps.forEach((tp, i) => {
    const k = tpKey(tp.topic, tp.partition);
    if (seen.has(k)) throw new TypeError(`${call}: [${i}] names ${tpLabel(tp)} a second time`);
    seen.add(k);
  });
}

/** The offset librdkafka puts in a list for a spec (a timestamp is itself). */
function specOffset(spec: unknown, at: string): bigint {
  if (spec === "earliest") return OFFSET_SPEC.EARLIEST;
  if (spec === "latest") return OFFSET_SPEC.LATEST;
  if (spec === "maxTimestamp") return OFFSET_SPEC.MAX_TIMESTAMP;
  if (spec !== null && typeof spec === "object" && !Array.isArray(spec)) {
    const t = (spec as { timestamp?: unknown }).timestamp;
    return BigInt(checkInt(t, `${at}.timestamp`, 0, Number.MAX_SAFE_INTEGER));
  }
  throw new TypeError(
    `${at} must be "earliest", "latest", "maxTimestamp" or { timestamp }, got ${JSON.stringify(spec)}`,
  );
}

/** `listOffsets()`: see {@link AdminClient.listOffsets}. @example `await listOffsets(core, [q], {})` */
export function listOffsets(
  core: AdminCore,
  requests: readonly ListOffsetsRequest[],
  options: ListOffsetsOptions = {},
): Promise<ListOffsetsResult[]> {
  try {
    return sendListOffsets(core, requests, options);
  } catch (e) {
    return Promise.reject(e);
  }
}

function sendListOffsets(
  core: AdminCore,
  requests: readonly ListOffsetsRequest[],
  options: ListOffsetsOptions,
): Promise<ListOffsetsResult[]> {
  const ms = timeout(options, "listOffsets");
  const items = checkArray<ListOffsetsRequest>(requests, "listOffsets(requests)").map((r, i) => {
    const at = `listOffsets: [${i}]`;
    const tp = checkTopicPartition(r, at);
    return { ...tp, offset: specOffset(r.spec, `${at}.spec`) };
  });
  unique(items, "listOffsets");
  const isolation = options.isolationLevel === undefined
    ? undefined
    : enumIndex(options.isolationLevel, ISOLATION_LEVELS, "listOffsets: isolationLevel");
  const what = `listOffsets(${label(items.map(tpLabel))})`;
  if (!has("rd_kafka_ListOffsets")) {
    if (items.some((it) => it.offset === OFFSET_SPEC.MAX_TIMESTAMP)) {
      needs('listOffsets({ spec: "maxTimestamp" })', "rd_kafka_ListOffsets");
    }
    // read_uncommitted is what offsets_for_times asks for anyway: only the other level needs 2.3.0.
    if (isolation !== undefined && isolation !== 0) {
      needs('listOffsets({ isolationLevel: "read_committed" })', "rd_kafka_ListOffsets");
    }
    return offsetsForTimes(core, items, ms, what);
  }
  const c = rd();
  const tpl = toList(items);
  try {
    return core.request({
      what,
      event: ADMIN_EVENT.LISTOFFSETS,
      timeoutMs: ms,
      options: isolation === undefined
        ? undefined
        : (opts) => takeError(c.rd_kafka_AdminOptions_set_isolation_level(opts, isolation), "isolationLevel"),
      send: (opts, q) => c.rd_kafka_ListOffsets(core.rk, tpl, opts, q),
      parse: (ev) => {
        const byKey = new Map<string, ListOffsetsResult>();
        for (const info of list(c.rd_kafka_ListOffsets_result_infos, c.rd_kafka_event_ListOffsets_result(ev))) {
          const r = readInfo(info);
          byKey.set(tpKey(r.topic, r.partition), r);
        }
        return items.map((it) => byKey.get(tpKey(it.topic, it.partition)) ?? missing(it));
      },
    });
  } finally {
    destroyList(tpl); // librdkafka copied it before the request returned
  }
}

/** One `rd_kafka_ListOffsetsResultInfo_t`: a single `rd_kafka_topic_partition_t`, read by offset, and a timestamp. */
function readInfo(info: Ptr): ListOffsetsResult {
  const c = rd();
  const tp: Ptr = c.rd_kafka_ListOffsetsResultInfo_topic_partition(info);
  const raw = new Uint8Array(TOPIC_PARTITION.size);
  backend.copyFromAddress(raw, backend.addressBig(tp), BigInt(raw.length));
  const dv = new DataView(raw.buffer);
  const r: ListOffsetsResult = {
    topic: backend.readCString(backend.fromAddress(dv.getBigUint64(TOPIC_PARTITION.topic, true))) ?? "",
    partition: dv.getInt32(TOPIC_PARTITION.partition, true),
  };
  const err = dv.getInt32(TOPIC_PARTITION.err, true);
  if (err !== 0) {
    r.error = kafkaError(err, `${tpLabel(r)}: ${kafkaError(err).message}`);
    return r;
  }
  const offset = dv.getBigInt64(TOPIC_PARTITION.offset, true);
  if (offset >= 0n) r.offset = offset;
  // The broker answers -1 for "no such message" and for earliest/latest.
  const ts = Number(c.rd_kafka_ListOffsetsResultInfo_timestamp(info));
  if (ts >= 0) r.timestamp = ts;
  const epoch: number = c.rd_kafka_topic_partition_get_leader_epoch(tp);
  if (epoch >= 0) r.leaderEpoch = epoch;
  return r;
}

/** A partition the result left out (librdkafka answers every one; kept so that results stay in input order). */
function missing(tp: TopicPartition): ListOffsetsResult {
  return { ...tp, error: new KafkaError(ErrorCode._NOENT, `${tpLabel(tp)}: no answer for this partition`) };
}

/**
 * librdkafka < 2.3.0: `rd_kafka_offsets_for_times` off the JS thread. The list it
 * fills is native memory, so the worker gets its address and we read it afterwards.
 */
async function offsetsForTimes(
  core: AdminCore,
  items: readonly (TopicPartition & { offset: bigint })[],
  ms: number,
  what: string,
): Promise<ListOffsetsResult[]> {
  const tpl = toList(items);
  try {
    const err = Number(
      await core.background("rd_kafka_offsets_for_times", [core.rk, tpl, clampMs(ms)], {
        what,
        waitMs: ms,
      }),
    );
    if (err !== 0) throw new KafkaError(err, `${what}: ${kafkaError(err).message}`);
    const byKey = new Map(fromList(tpl).map((t) => [tpKey(t.topic, t.partition), t]));
    return items.map((it) => {
      const t = byKey.get(tpKey(it.topic, it.partition));
      if (!t) return missing(it);
      const r: ListOffsetsResult = { topic: t.topic, partition: t.partition };
      if (t.error) r.error = t.error;
      else if (t.offset !== undefined && t.offset >= 0n) r.offset = t.offset;
      return r;
    });
  } finally {
    destroyList(tpl);
  }
}

/** `deleteRecords()`: see {@link AdminClient.deleteRecords}. @example `await deleteRecords(core, [r], {})` */
export function deleteRecords(
  core: AdminCore,
  requests: readonly DeleteRecordsRequest[],
  options: AdminCallOptions = {},
): Promise<DeleteRecordsResult[]> {
  try {
    return sendDeleteRecords(core, requests, options);
  } catch (e) {
    return Promise.reject(e);
  }
}

function sendDeleteRecords(
  core: AdminCore,
  requests: readonly DeleteRecordsRequest[],
  options: AdminCallOptions,
): Promise<DeleteRecordsResult[]> {
  const ms = timeout(options, "deleteRecords");
  const items = checkArray<DeleteRecordsRequest>(requests, "deleteRecords(requests)").map((r, i) => {
    const at = `deleteRecords: [${i}]`;
    const tp = checkTopicPartition(r, at);
    const before = r.before;
    if (typeof before !== "bigint") throw new TypeError(`${at}.before must be a bigint, got ${typeof before}`);
    if (before < 0n && before !== -1n) {
      throw new RangeError(`${at}.before must be an offset >= 0n or OFFSET.END (-1n), got ${before}`);
    }
    return { ...tp, offset: before };
  });
  unique(items, "deleteRecords");
  const c = rd();
  const tpl = toList(items);
  let del: Ptr | undefined;
  try {
    del = c.rd_kafka_DeleteRecords_new(tpl) as Ptr;
    const made = del;
    return core.request({
      what: `deleteRecords(${label(items.map(tpLabel))})`,
      event: ADMIN_EVENT.DELETERECORDS,
      timeoutMs: ms,
      // librdkafka waits for the leaders to confirm the deletion within the operation timeout.
      operationTimeoutMs: Math.floor(ms * 0.9),
      send: (opts, q) => c.rd_kafka_DeleteRecords(core.rk, pointerArray([made]), 1n, opts, q),
      parse: (ev) => {
        const res = fromList(c.rd_kafka_DeleteRecords_result_offsets(c.rd_kafka_event_DeleteRecords_result(ev)));
        const byKey = new Map(res.map((t) => [tpKey(t.topic, t.partition), t]));
        return items.map(({ topic, partition }): DeleteRecordsResult => {
          const t = byKey.get(tpKey(topic, partition));
          if (!t) return missing({ topic, partition });
          if (t.error) return { topic, partition, error: t.error };
          return { topic, partition, lowWatermark: t.offset !== undefined && t.offset >= 0n ? t.offset : undefined };
        });
      },
    });
  } finally {
    if (del !== undefined) c.rd_kafka_DeleteRecords_destroy(del);
    destroyList(tpl);
  }
}
