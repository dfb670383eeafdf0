/**
 * Helpers shared by the admin modules: building the C arrays admin requests take,
 * reading the arrays and objects their results hold, and checking arguments.
 *
 * Admin results are opaque objects read through accessor calls (one FFI call per
 * field): fine for admin traffic, which is small and rare. Arrays come back as
 * `T **` plus a `size_t *` count; one `memcpy` reads all the pointers.
 *
 * @module
 */
import { checkTimeout } from "../validate.ts";
import {
  hasSymbol,
  library,
  LibraryLoadError,
  librdkafkaVersion,
  type Ptr,
  type SymbolName,
  SYMBOLS,
} from "../../ffi/mod.ts";
import { KafkaError, kafkaError } from "../errors.ts";
import { backend, offHeap, rd } from "../native/lib.ts";

/**
 * A broker as admin results and metadata describe it.
 *
 * @example
 * ```ts
 * const { controller } = await admin.describeCluster();
 * console.log(controller?.id, controller?.host, controller?.port);
 * ```
 */
export interface BrokerNode {
  id: number;
  host: string;
  port: number;
  /** The broker's `broker.rack`, when it has one (librdkafka ≥ 2.3.0 reports it). */
  rack?: string;
}

/** Options every admin call takes. @example `await admin.deleteTopics(["t"], { timeoutMs: 10_000 })` */
export interface AdminCallOptions {
  /**
   * How long to wait for the answer before rejecting with `_TIMED_OUT`. Default 30 000 ms.
   * Below 1 000 ms the wait is ours: librdkafka gets 1 000 ms (a 0 crashed librdkafka 2.12's
   * ListOffsets) and its later answer is dropped.
   */
  timeoutMs?: number;
}

/** The default `timeoutMs` of admin calls. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/** An off-heap `size_t` for a result's count. @example `const n = countBuf(); …; readCount(n)` */
export function countBuf(): Uint8Array {
  return offHeap(8);
}

/** Reads the `size_t` written into {@link countBuf}. @example `readCount(n)` */
export function readCount(buf: Uint8Array): number {
  return Number(new DataView(buf.buffer, buf.byteOffset, 8).getBigUint64(0, true));
}

/**
 * Reads `n` pointers from a C array (`T **`).
 *
 * @example
 * ```ts
 * const n = countBuf();
 * const topics = ptrs(rd().rd_kafka_CreateTopics_result_topics(res, n), readCount(n));
 * ```
 */
export function ptrs(arr: Ptr, n: number): Ptr[] {
  if (n <= 0 || backend.isNull(arr)) return [];
  const raw = new BigUint64Array(n);
  backend.copyFromAddress(new Uint8Array(raw.buffer), backend.addressBig(arr), BigInt(n * 8));
  return Array.from(raw, (a) => backend.fromAddress(a));
}

/** Calls `fn(obj, cntp)` and reads the pointer array it returns. @example `list(c.rd_kafka_X_result_y, res)` */
export function list(fn: (obj: Ptr, cntp: Uint8Array) => Ptr, obj: Ptr): Ptr[] {
  const n = countBuf();
  const arr = fn(obj, n);
  return ptrs(arr, readCount(n));
}

/** Reads `n` C ints (e.g. `const rd_kafka_AclOperation_t *`). @example `ints(p, 3)` */
export function ints(arr: Ptr, n: number): number[] {
  if (n <= 0 || backend.isNull(arr)) return [];
  const raw = new Int32Array(n);
  backend.copyFromAddress(new Uint8Array(raw.buffer), backend.addressBig(arr), BigInt(n * 4));
  return Array.from(raw);
}

/** A C string, or null. @example `str(rd().rd_kafka_topic_result_name(r))` */
export function str(p: Ptr): string | null {
  return backend.isNull(p) ? null : backend.readCString(p);
}

/**
 * The {@link KafkaError} of a `const rd_kafka_error_t *` owned by a result (not
 * destroyed here); undefined for none. `label` prefixes the message.
 *
 * @example
 * ```ts
 * const error = errorOf(rd().rd_kafka_group_result_error(g), `group ${name}`);
 * ```
 */
export function errorOf(e: Ptr, label?: string): KafkaError | undefined {
  if (backend.isNull(e)) return undefined;
  const c = rd();
  const code: number = c.rd_kafka_error_code(e);
  if (code === 0) return undefined;
  const text = str(c.rd_kafka_error_string(e)) ?? kafkaError(code).message;
  return new KafkaError(code, label ? `${label}: ${text}` : text, {
    fatal: c.rd_kafka_error_is_fatal(e) !== 0,
    retriable: c.rd_kafka_error_is_retriable(e) !== 0 ? true : undefined,
  });
}

/** A per-item error from a code and the broker's text (0: none). @example `codeError(err, text, "topic t")` */
export function codeError(code: number, text: string | null, label: string): KafkaError | undefined {
  if (code === 0) return undefined;
  return new KafkaError(code, `${label}: ${text || kafkaError(code).message}`);
}

/**
 * Throws away an `rd_kafka_error_t *` a setter returned, turning it into a TypeError
 * for the argument it names (setters fail only on bad input).
 *
 * @example
 * ```ts
 * takeError(rd().rd_kafka_AdminOptions_set_require_stable_offsets(opts, 1), "requireStable");
 * ```
 */
export function takeError(e: Ptr, what: string): void {
  if (backend.isNull(e)) return;
  const c = rd();
  const text = str(c.rd_kafka_error_string(e)) ?? "refused";
  c.rd_kafka_error_destroy(e);
  throw new TypeError(`${what}: ${text}`);
}

/** Reads a `const rd_kafka_Node_t *` (null for none). @example `node(rd().rd_kafka_TopicPartitionInfo_leader(p))` */
export function node(p: Ptr): BrokerNode | null {
  if (backend.isNull(p)) return null;
  const c = rd() as Record<string, ((p: Ptr) => unknown) | undefined>;
  const out: BrokerNode = {
    id: c.rd_kafka_Node_id!(p) as number,
    host: str(c.rd_kafka_Node_host!(p) as Ptr) ?? "",
    port: (c.rd_kafka_Node_port!(p) as number) & 0xffff, // uint16_t: the upper bits are not ours
  };
  const rack = c.rd_kafka_Node_rack ? str(c.rd_kafka_Node_rack(p) as Ptr) : null;
  if (rack) out.rack = rack;
  return out;
}

export { cstrArray, offHeapCstr, pointerArray } from "../native/lib.ts";

/**
 * Throws a {@link LibraryLoadError} when the loaded librdkafka lacks a C function
 * `method` needs, naming the method, the function and the version that has it.
 *
 * @example
 * ```ts
 * needs("describeUserScramCredentials", "rd_kafka_DescribeUserScramCredentials");
 * ```
 */
export function needs(method: string, ...symbols: SymbolName[]): void {
  for (const s of symbols) {
    if (has(s)) continue;
    const since = (SYMBOLS[s] as { since?: string }).since ?? "?";
    throw new LibraryLoadError(
      `${method} needs librdkafka >= ${since} (${s}); the loaded one is ${librdkafkaVersion()} ` +
        `(${library().path}). Load a newer build with KAFKA_FAST_LIBRDKAFKA=/path/to/librdkafka.so.1`,
      [library().path],
    );
  }
}

/** True when the loaded librdkafka has every one of these functions. @example `if (has("rd_kafka_ListOffsets")) …` */
export function has(...symbols: SymbolName[]): boolean {
  return symbols.every(hasSymbol);
}

/**
 * Milliseconds as librdkafka's `int` timeouts take them: rounded, at least 0, and
 * Infinity or huge values as the longest it allows.
 *
 * @example
 * ```ts
 * core.background("rd_kafka_metadata", [rk, 1, backend.NULL, out, clampMs(options.timeoutMs)]);
 * ```
 */
export function clampMs(ms: number): number {
  return Math.min(Math.max(0, Math.round(ms)), 2_147_483_647);
}

// --- argument checks ---------------------------------------------------------------

/** Throws a TypeError unless `v` is a non-empty array. @example `checkArray(topics, "createTopics(topics)")` */
export function checkArray<T>(v: readonly T[] | unknown, what: string, allowEmpty = false): readonly T[] {
  if (!Array.isArray(v)) throw new TypeError(`${what} must be an array`);
  if (!allowEmpty && v.length === 0) throw new TypeError(`${what} must not be empty`);
  return v as readonly T[];
}

/** Throws a TypeError unless `v` is an object. @example `checkObject(t, "topics[0]")` */
export function checkObject(v: unknown, what: string): Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new TypeError(`${what} must be an object`);
  return v as Record<string, unknown>;
}

/** A non-empty string, or a TypeError naming the field. @example `checkString(g, "groupId")` */
export function checkString(v: unknown, what: string): string {
  if (typeof v !== "string" || v === "") throw new TypeError(`${what} must be a non-empty string`);
  return v;
}

/** An integer in [min, max], or a RangeError/TypeError naming the field. @example `checkInt(n, "partitions", 1)` */
export function checkInt(v: unknown, what: string, min: number, max = 2_147_483_647): number {
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw new TypeError(`${what} must be an integer, got ${String(v)}`);
  }
  if (v < min || v > max) throw new RangeError(`${what} must be from ${min} to ${max}, got ${v}`);
  return v;
}

/** The call's `timeoutMs`, checked. @example `timeout(options, "deleteTopics")` */
export function timeout(o: AdminCallOptions | undefined, call: string): number {
  if (o !== undefined && (o === null || typeof o !== "object" || Array.isArray(o))) {
    throw new TypeError(`${call}: options must be an object`);
  }
  // librdkafka takes it as an int: no Infinity (its -1, "forever", would hold a slot for good).
  return checkTimeout(o?.timeoutMs, `${call}: timeoutMs`, DEFAULT_TIMEOUT_MS, false);
}

/** One of `names` (case-insensitive), as its index. @example `enumIndex("read", ACL_OPERATIONS, "operation")` */
export function enumIndex(v: unknown, names: readonly string[], what: string): number {
  if (typeof v === "string") {
    const i = names.findIndex((n) => n.toLowerCase() === v.toLowerCase());
    if (i >= 0) return i;
  }
  throw new TypeError(`${what} must be one of ${names.map((n) => `"${n}"`).join(", ")}; got ${JSON.stringify(v)}`);
}

/** A readable list of names for `what` in messages. @example `label(["a", "b"]) === "a, b"` */
export function label(names: readonly string[]): string {
  const shown = names.slice(0, 5).join(", ");
  return names.length > 5 ? `${shown}, … (${names.length})` : shown;
}
