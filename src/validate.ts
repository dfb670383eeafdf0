/**
 * The one place each kind of argument is checked, so that every call applies the
 * same rule and throws the same error class on every runtime.
 *
 * Why this matters: the runtimes disagree about what reaches them unchecked. A
 * timer given `Infinity`, `NaN` or more than 2^31-1 ms fires after about 1 ms on
 * Bun and Deno; librdkafka reads a timeout of -1 as "wait forever"; `bun:ffi`
 * wraps an `int32_t` argument of 1e10 to 1410065408 where Deno throws. So numbers
 * are checked here, before any side effect, and never trusted to the FFI.
 *
 * Rules:
 * - a timeout (`timeoutMs`) is a number of milliseconds from 0 to
 *   {@link MAX_TIMEOUT_MS}, or `Infinity` where waiting forever is meaningful and
 *   safe (reads, flush, close); anything else is a `TypeError` naming the field;
 * - an integer that crosses to C as `int32_t` (partitions, broker ids, delays) is
 *   an integer in the range the call accepts: a `TypeError` when it is not an
 *   integer, a `RangeError` when it is out of range (MockCluster's arguments: a
 *   `TypeError`, as they always were);
 * - an options argument is `undefined` or a plain object (`TypeError`);
 * - a signal is `undefined` or an `AbortSignal`-like object (`TypeError`);
 * - a topic name is what Kafka accepts: 1 to 249 of `[a-zA-Z0-9._-]`, not `.` or
 *   `..` (a `KafkaError` `TOPIC_EXCEPTION`, as the broker would answer).
 *
 * @module
 */
import { ErrorCode, KafkaError } from "./errors.ts";

/** The longest finite timeout: librdkafka's `int timeout_ms` and the runtimes' timers stop here. */
export const MAX_TIMEOUT_MS = 2_147_483_647;
/** The largest value of a C `int32_t`. */
export const INT32_MAX = 2_147_483_647;

/**
 * A checked `timeoutMs`: `undefined` gives `fallback`.
 *
 * @throws {TypeError} naming `what` for anything but 0…2^31-1 ms (or `Infinity` when `infinite`).
 * @example
 * ```ts
 * const t = checkTimeout(options.timeoutMs, "flush: timeoutMs", 30_000, true);
 * ```
 */
export function checkTimeout(v: unknown, what: string, fallback: number, infinite: boolean): number {
  if (v === undefined) return fallback;
  if (typeof v === "number" && v >= 0 && (v <= MAX_TIMEOUT_MS || (infinite && v === Infinity))) return v;
  const range = `from 0 to ${MAX_TIMEOUT_MS}${infinite ? " or Infinity" : ""}`;
  throw new TypeError(`${what} must be a number of milliseconds ${range}, got ${show(v)}`);
}

/**
 * The options argument of a call: `undefined` gives `{}`.
 *
 * @throws {TypeError} for null, an array or a non-object.
 * @example
 * ```ts
 * const o = checkOptions(options, "close(options)");
 * ```
 */
export function checkOptions<T extends object>(v: T | undefined, what: string): Partial<T> {
  if (v === undefined) return {};
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new TypeError(`${what} must be an object, got ${show(v)}`);
  }
  return v;
}

/**
 * A checked `AbortSignal` (anything with `aborted`, `reason` and event listeners).
 *
 * @throws {TypeError} naming `what` otherwise.
 * @example
 * ```ts
 * const signal = checkSignal(options.signal, "read: signal");
 * ```
 */
export function checkSignal(v: unknown, what: string): AbortSignal | undefined {
  if (v === undefined) return undefined;
  const s = v as AbortSignal;
  if (
    s === null || typeof s !== "object" || typeof s.aborted !== "boolean" ||
    typeof s.addEventListener !== "function" || typeof s.removeEventListener !== "function"
  ) {
    throw new TypeError(`${what} must be an AbortSignal, got ${show(v)}`);
  }
  return s;
}

/**
 * A checked integer in `min…max` (both inclusive) that will cross to C.
 * `outOfRange` is the class thrown for an integer outside the range: RangeError,
 * except where an API has always thrown TypeError for it (MockCluster).
 *
 * @throws {TypeError} when `v` is not an integer; `outOfRange` when out of range.
 * @example
 * ```ts
 * checkInt(brokerId, "setBrokerDown: brokerId", 1, cluster.brokers);
 * ```
 */
export function checkInt(
  v: unknown,
  what: string,
  min: number,
  max: number,
  outOfRange: ErrorConstructor = RangeError,
): number {
  if (typeof v !== "number" || !Number.isInteger(v)) throw new TypeError(`${what} must be an integer, got ${show(v)}`);
  if (v < min || v > max) throw new outOfRange(`${what} must be an integer from ${min} to ${max}, got ${v}`);
  return v;
}

/** How a bad value is named in messages: numbers and strings as they are, else their type. @example `show(null) === "null"` */
export function show(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? `an object (${v.constructor?.name ?? "no prototype"})` : typeof v;
}

/**
 * The `timeoutMs` of a `close(options)` (default 30 s; `Infinity` allowed), checked
 * before the close changes anything.
 *
 * @throws {TypeError} for bad options or a bad timeout.
 * @example
 * ```ts
 * const timeoutMs = closeTimeout(options);
 * ```
 */
export function closeTimeout(options: { timeoutMs?: number } | undefined): number {
  return checkTimeout(checkOptions(options, "close(options)").timeoutMs, "close: timeoutMs", 30_000, true);
}

/**
 * `setTimeout` for a checked timeout: `Infinity` sets no timer. Returns the
 * function that cancels it.
 *
 * @example
 * ```ts
 * const cancel = after(timeoutMs, () => finish(r));
 * ```
 */
export function after(ms: number, fn: () => void): () => void {
  if (ms === Infinity) return () => {};
  const timer = setTimeout(fn, ms);
  return () => clearTimeout(timer);
}

const TOPIC_RE = /^[a-zA-Z0-9._-]{1,249}$/;

/**
 * How a value of the wrong type is named in a `TypeError` about a message field.
 *
 * @example
 * ```ts
 * describeType(new ArrayBuffer(1)); // "an ArrayBuffer (wrap it: new Uint8Array(buf))"
 * ```
 */
export function describeType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (v instanceof ArrayBuffer) return "an ArrayBuffer (wrap it: new Uint8Array(buf))";
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  return typeof v === "object" ? `an object (${v.constructor?.name ?? "Object"})` : `a ${typeof v}`;
}

/**
 * Checks the topic name the way Kafka does, naming the topic in the error.
 *
 * @example
 * ```ts
 * checkTopic("orders", "message.topic"); // ok
 * ```
 */
export function checkTopic(topic: unknown, field: string): string {
  if (typeof topic !== "string") throw new TypeError(`${field} must be a string, got ${describeType(topic)}`);
  if (validTopics.has(topic)) return topic;
  if (!TOPIC_RE.test(topic) || topic === "." || topic === "..") {
    throw new KafkaError(
      ErrorCode.TOPIC_EXCEPTION,
      `invalid topic name ${JSON.stringify(topic.length > 300 ? topic.slice(0, 300) + "…" : topic)} (${field}): ` +
        "a topic name is 1 to 249 characters of ASCII letters, digits, '.', '_' and '-', and not '.' or '..'",
      { retriable: false },
    );
  }
  if (validTopics.size >= 4096) validTopics.clear();
  validTopics.add(topic);
  return topic;
}
/** Names already checked: most producers write to a handful of topics. */
const validTopics = new Set<string>();

/**
 * True for a topic name {@link checkTopic} has already accepted: the hot send path
 * asks this first, so that it builds no field label for a name it has seen.
 *
 * @example
 * ```ts
 * const topic = isCheckedTopic(t) ? t : checkTopic(t, "messages[3].topic");
 * ```
 */
export function isCheckedTopic(topic: unknown): topic is string {
  return typeof topic === "string" && validTopics.has(topic);
}
