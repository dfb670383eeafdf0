/**
 * The Producer: `send` and `sendMulti` settle at librdkafka's delivery reports.
 *
 * Each accepted message gets an integer id, passed to librdkafka as its
 * `msg_opaque`; delivery reports come back as events on the client's main queue
 * (`RD_KAFKA_EVENT_DR`, many messages per event) and settle the promise with that
 * id (DESIGN.md rule 6). The JS thread never waits: enqueueing is a
 * non-blocking call, reports arrive through the wake-up pipe, and `flush`/`close`
 * wait for the report count to reach zero instead of calling `rd_kafka_flush`.
 *
 * @module
 */
import { EVENT, RD_KAFKA_PRODUCER } from "../../ffi/mod.ts";
import { ClosedError } from "../errors.ts";
import { type ClientEvents, Emitter } from "../events.ts";
import { checkConfig, type ClientConfig } from "../native/conf.ts";
import { checkOptions as checkCallOptions, checkTimeout, closeTimeout } from "../validate.ts";
import { NativeClient, registerOwner } from "../native/client.ts";
import { ProducerCore } from "./core.ts";
import type { DeliveryReport, ProducerOptions, SendResult } from "./types.ts";
import { normalize, normalizeAt, type Outgoing, type ProducerMessage } from "./encode.ts";

export type { Headers, Payload, ProducerMessage } from "./encode.ts";
export type { ClientConfig } from "../native/conf.ts";
export type { DeliveryReport, ProducerOptions, SendResult } from "./types.ts";

const registry = new FinalizationRegistry<ProducerCore>((core) => {
  // The user dropped an open producer: deliver what it accepted, then free it.
  void core.close(30_000).catch(() => {});
});

/**
 * A Kafka producer for Bun and Deno.
 *
 * `config` is librdkafka's own property map. Defaults that differ from
 * librdkafka's: `partitioner` is `murmur2_random` (keyed messages land on the same
 * partition as with the Java client); `log.queue` is always on (logs are events).
 *
 * @example
 * ```ts
 * import { Producer } from "kafka-fast";
 * await using producer = new Producer({ "bootstrap.servers": "127.0.0.1:9092" });
 * const report = await producer.send({ topic: "events", key: "k", value: "hello" });
 * console.log(report.partition, report.offset);
 * ```
 */
export class Producer {
  #core: ProducerCore;
  #emitter = new Emitter();

  /**
   * @throws {ConfigError} for an unknown property or a value librdkafka refuses.
   * @throws {LimitError} when `maxClients` clients are open.
   * @throws {LibraryLoadError} when librdkafka cannot be loaded.
   */
  constructor(config: ClientConfig, options: ProducerOptions = {}) {
    checkConfig(config);
    const opts = checkOptions(options);
    const core = new ProducerCore(this.#emitter.relay(), opts);
    core.native = new NativeClient(config, {
      type: RD_KAFKA_PRODUCER,
      events: EVENT.DR,
      defaults: { partitioner: "murmur2_random", "client.software.name": "kafka-fast" },
      drainBudget: opts.drainBudget,
      emitter: this.#emitter.relay(),
      sink: core,
    });
    this.#core = core;
    registry.register(this, core, this);
    registerOwner(this, core.native);
  }

  /** librdkafka's name of this client, e.g. `"rdkafka#producer-1"`. @example `producer.name` */
  get name(): string {
    return this.#core.native.name;
  }

  /** True once `close()` was called. @example `if (!producer.closed) …` */
  get closed(): boolean {
    return this.#core.closing;
  }

  /** Messages accepted (or waiting for room) whose report has not come yet. @example `producer.pending` */
  get pending(): number {
    return this.#core.pendingCount;
  }

  /**
   * Produces one message; resolves at its delivery report.
   *
   * @throws {TypeError} (rejects) for a field of the wrong type, naming it.
   * @throws {KafkaError} (rejects) when the message cannot be delivered.
   * @throws {ClosedError} (rejects) after `close()`.
   * @example
   * ```ts
   * const r = await producer.send({ topic: "t", key: "k", value: new Uint8Array([1, 2]), headers: { h: "v" } });
   * ```
   */
  send(message: ProducerMessage): Promise<DeliveryReport> {
    let out: Outgoing;
    try {
      this.#core.checkOpen();
      out = normalize(message, "message");
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#core.send(out);
  }

  /**
   * Produces a batch with as few FFI crossings as librdkafka allows: consecutive
   * messages for one topic without headers or timestamps cross as one
   * `rd_kafka_produce_batch` call; others as one `rd_kafka_produceva` call each.
   *
   * Resolves once every message has its report, with one {@link SendResult} per
   * message in input order (`Promise.allSettled`'s shape); it never rejects for a
   * per-message failure. If any message is malformed the call rejects with a
   * `TypeError` naming it (`messages[3].value`) and nothing is sent.
   *
   * @example
   * ```ts
   * const results = await producer.sendMulti([{ topic: "t", value: "a" }, { topic: "t", value: "b" }]);
   * const failed = results.filter((r) => r.status === "rejected");
   * ```
   */
  sendMulti(messages: readonly ProducerMessage[]): Promise<SendResult[]> {
    let outs: Outgoing[];
    try {
      this.#core.checkOpen();
      if (!Array.isArray(messages)) throw new TypeError("sendMulti(messages): messages must be an array");
      const n = messages.length;
      outs = new Array(n);
      for (let i = 0; i < n; i++) outs[i] = normalizeAt(messages[i], "messages", i);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#core.sendMulti(outs);
  }

  /**
   * Resolves when every message accepted so far has its delivery report.
   *
   * @throws {KafkaError} (rejects) `_TIMED_OUT` when `timeoutMs` passes first.
   * @example
   * ```ts
   * await producer.flush({ timeoutMs: 10_000 });
   * ```
   */
  flush(options?: { timeoutMs?: number }): Promise<void> {
    if (this.#core.closing) return Promise.reject(new ClosedError("producer"));
    try {
      const o = checkCallOptions(options, "flush(options)");
      return this.#core.flush(checkTimeout(o.timeoutMs, "flush: timeoutMs", 30_000, true));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Flushes (up to `timeoutMs`), fails what is still undelivered with `_PURGE_QUEUE`,
   * and frees the client off the JS thread. Idempotent.
   *
   * @example
   * ```ts
   * await producer.close({ timeoutMs: 5_000 });
   * ```
   */
  close(options?: { timeoutMs?: number }): Promise<void> {
    let timeoutMs: number;
    try {
      // Checked before anything changes: a refused close leaves the producer open, and registered.
      timeoutMs = closeTimeout(options);
    } catch (e) {
      return Promise.reject(e);
    }
    registry.unregister(this);
    return this.#core.close(timeoutMs);
  }

  /** `await using producer = new Producer(…)` closes it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Listens to `error`, `log` or `stats`.
   *
   * @example
   * ```ts
   * producer.on("error", (e) => { if (e.fatal) alert(e); });
   * ```
   */
  on<E extends keyof ClientEvents>(event: E, listener: ClientEvents[E]): this {
    this.#emitter.on(event, listener);
    return this;
  }

  /** Removes a listener added with {@link on}. @example `producer.off("log", fn)` */
  off<E extends keyof ClientEvents>(event: E, listener: ClientEvents[E]): this {
    this.#emitter.off(event, listener);
    return this;
  }

  /**
   * Triggers a fatal error, as librdkafka's `rd_kafka_test_fatal_error` does, to
   * test how an application handles one. Testing only.
   *
   * @example
   * ```ts
   * producer.testFatalError(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, "test");
   * ```
   */
  testFatalError(code: number, reason: string): void {
    this.#core.checkOpen();
    this.#core.testFatal(code, reason);
  }
}

function checkOptions(o: ProducerOptions): Required<ProducerOptions> {
  if (o === null || typeof o !== "object" || Array.isArray(o)) {
    throw new TypeError("Producer options must be an object");
  }
  const known = ["queueFull", "queueFullTimeoutMs", "maxWaitingSends", "drainBudget", "failOnAuthError"];
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) {
      throw new TypeError(`unknown Producer option "${k}" (librdkafka properties go in the first argument)`);
    }
  }
  const int = (k: keyof ProducerOptions, d: number, min: number) => {
    const v = o[k] ?? d;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
      throw new TypeError(`Producer option ${k} must be an integer >= ${min}, got ${String(v)}`);
    }
    return v;
  };
  const queueFull = o.queueFull ?? "wait";
  if (queueFull !== "wait" && queueFull !== "error") {
    throw new TypeError(`Producer option queueFull must be "wait" or "error", got ${String(queueFull)}`);
  }
  const failOnAuthError = o.failOnAuthError ?? true;
  if (typeof failOnAuthError !== "boolean") {
    throw new TypeError(`Producer option failOnAuthError must be a boolean, got ${String(failOnAuthError)}`);
  }
  return {
    failOnAuthError,
    queueFull,
    queueFullTimeoutMs: checkTimeout(o.queueFullTimeoutMs, "Producer option queueFullTimeoutMs", 30_000, true),
    maxWaitingSends: int("maxWaitingSends", 1_000_000, 0),
    drainBudget: int("drainBudget", 2_000, 1),
  };
}
