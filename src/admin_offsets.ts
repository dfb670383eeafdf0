/**
 * Partition offsets and records: list offsets (earliest, latest, by timestamp) and
 * delete records below an offset.
 *
 * @module
 */
import type { KafkaError } from "./errors.ts";
import type { AdminCore } from "./admin_core.ts";
import type { AdminCallOptions } from "./admin_read.ts";

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
  /** The matching message's timestamp (librdkafka ≥ 2.3.0). */
  timestamp?: number;
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

/** `listOffsets()`: see {@link AdminClient.listOffsets}. @example `await listOffsets(core, [q], {})` */
export function listOffsets(
  _core: AdminCore,
  _requests: readonly ListOffsetsRequest[],
  _options: ListOffsetsOptions = {},
): Promise<ListOffsetsResult[]> {
  return Promise.reject(new Error("listOffsets: not implemented yet"));
}

/** `deleteRecords()`: see {@link AdminClient.deleteRecords}. @example `await deleteRecords(core, [r], {})` */
export function deleteRecords(
  _core: AdminCore,
  _requests: readonly DeleteRecordsRequest[],
  _options: AdminCallOptions = {},
): Promise<DeleteRecordsResult[]> {
  return Promise.reject(new Error("deleteRecords: not implemented yet"));
}
