/**
 * The errors kafka-fast throws or rejects with.
 *
 * One {@link KafkaError} for everything librdkafka reports (its numeric `code`, its
 * `name` such as `"MSG_SIZE_TOO_LARGE"`, and whether it is `retriable` or `fatal`),
 * plus a few errors of this library's own: bad configuration, a closed client, a
 * resource limit, and a librdkafka that cannot be loaded.
 *
 * @module
 */
import { ErrorCode, errorCodeName, RETRIABLE_CODES } from "./error_codes.ts";
export { LibraryLoadError } from "../ffi/loader.ts";
export { ErrorCode, type ErrorCodeName } from "./error_codes.ts";

/** Flags that qualify a {@link KafkaError}. @example `new KafkaError(ErrorCode._FATAL, "x", { fatal: true })` */
export interface KafkaErrorFlags {
  /** The client can no longer be used (e.g. an idempotence guarantee broke). */
  fatal?: boolean;
  /** Retrying the same operation may succeed; defaults from the code. */
  retriable?: boolean;
  /** The current transaction must be aborted. */
  txnRequiresAbort?: boolean;
}

/**
 * An error reported by librdkafka or by a Kafka broker.
 *
 * `name` is librdkafka's name of the code without its `RD_KAFKA_RESP_ERR_` prefix,
 * so `err.name === "MSG_SIZE_TOO_LARGE"` and `err.code === ErrorCode.MSG_SIZE_TOO_LARGE`
 * test the same thing.
 *
 * @example
 * ```ts
 * try {
 *   await producer.send({ topic: "t", value: big });
 * } catch (e) {
 *   if (e instanceof KafkaError && e.code === ErrorCode.MSG_SIZE_TOO_LARGE) shrink();
 *   else if (e instanceof KafkaError && e.retriable) retryLater();
 * }
 * ```
 */
export class KafkaError extends Error {
  /** librdkafka's numeric code (`rd_kafka_resp_err_t`). */
  readonly code: number;
  readonly retriable: boolean;
  readonly fatal: boolean;
  readonly txnRequiresAbort: boolean;

  constructor(code: number, message: string, flags: KafkaErrorFlags = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = errorCodeName(code);
    this.code = code;
    this.fatal = flags.fatal ?? false;
    this.retriable = !this.fatal && (flags.retriable ?? RETRIABLE_CODES.has(code));
    this.txnRequiresAbort = flags.txnRequiresAbort ?? false;
  }
}

/**
 * A configuration property that librdkafka (or this library) refuses.
 *
 * @example
 * ```ts
 * try { new Producer({ "linger.ms": "soon" }); }
 * catch (e) { if (e instanceof ConfigError) console.error(e.key, e.message); }
 * ```
 */
export class ConfigError extends Error {
  override name = "ConfigError";
  /** The offending property name (`undefined` when librdkafka did not say which). */
  readonly key: string | undefined;
  constructor(key: string | undefined, message: string) {
    super(message);
    this.key = key;
  }
}

/**
 * The client (or the object the call was made on) has been closed.
 *
 * @example
 * ```ts
 * await producer.close();
 * await producer.send(msg).catch((e) => e instanceof ClosedError); // true
 * ```
 */
export class ClosedError extends Error {
  override name = "ClosedError";
  constructor(what: string) {
    super(`${what} is closed`);
  }
}

/**
 * A resource limit of this library was reached (clients per process, waiting sends, …).
 *
 * @example
 * ```ts
 * try { new Producer(config); }
 * catch (e) { if (e instanceof LimitError) console.error(e.limit, e.value); }
 * ```
 */
export class LimitError extends Error {
  override name = "LimitError";
  /** The limit's name, as in `configure({ [limit]: … })` or the client's options. */
  readonly limit: string;
  /** The limit's value when it was hit. */
  readonly value: number;
  constructor(limit: string, value: number, hint: string) {
    super(`limit ${limit} (${value}) reached: ${hint}`);
    this.limit = limit;
    this.value = value;
  }
}

/**
 * Builds the {@link KafkaError} for a librdkafka code, using librdkafka's own text
 * when none is given.
 *
 * @example
 * ```ts
 * throw kafkaError(ErrorCode._QUEUE_FULL, "local queue full");
 * ```
 */
export function kafkaError(code: number, message?: string, flags?: KafkaErrorFlags): KafkaError {
  return new KafkaError(code, message ?? describe(code), flags);
}

let describeFn: (code: number) => string = (code) => errorCodeName(code);
/** Installs librdkafka's `rd_kafka_err2str` once the library is loaded (internal). @example `setDescriber((c) => text(c))` */
export function setDescriber(fn: (code: number) => string): void {
  describeFn = fn;
}
function describe(code: number): string {
  return describeFn(code);
}

/** The `ErrorCode` for "no error". @example `if (code === NO_ERROR) …` */
export const NO_ERROR: number = ErrorCode.NO_ERROR;
