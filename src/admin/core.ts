/**
 * The AdminClient's engine: one request table over librdkafka's Admin API.
 *
 * Every admin request returns at once and answers with one result event on a queue
 * of ours (DESIGN.md rule 1: nothing waits on the JS thread). The queue is an extra
 * queue of a {@link NativeClient}, so its results wake us through the same pipe as
 * everything else; the request's integer id travels as the AdminOptions opaque and
 * comes back with `rd_kafka_event_opaque` (rule 6). The result is read inside the
 * drain (result objects die with their event) and settles the request's promise.
 *
 * The handle is the AdminClient's own, or that of a producer or consumer it was made
 * from (`AdminClient.fromClient`); then the admin client owns only its queue.
 *
 * @module
 */
import { ADMIN_OP_ANY, type Ptr } from "../../ffi/mod.ts";
import { ClosedError, ErrorCode, KafkaError, kafkaError } from "../errors.ts";
import type { BackgroundCall } from "../native/background.ts";
import { CLOSE_MARGIN_MS, type EventSink, type NativeClient, type QueueHandler } from "../native/client.ts";
import { after } from "../validate.ts";
import { clampMs } from "./read.ts";
import { backend, cbufText, rd } from "../native/lib.ts";

/**
 * One admin request: how to send it and how to read its answer.
 *
 * @example
 * ```ts
 * await core.request({ what: "deleteTopics(t)", event: ADMIN_EVENT.DELETETOPICS, timeoutMs: 30_000,
 *   send: (opts, q) => rd().rd_kafka_DeleteTopics(core.rk, arr, 1n, opts, q), parse: readTopicResults });
 * ```
 */
export interface RequestSpec<T> {
  /** How errors name the call, e.g. `createTopics(orders)`. */
  what: string;
  /** The result event type expected (`ADMIN_EVENT.*`). */
  event: number;
  /** librdkafka's request timeout; the promise settles by then (librdkafka answers `_TIMED_OUT`). */
  timeoutMs: number;
  /** Also ask the broker to wait this long for the operation to finish cluster-wide (topics, partitions). */
  operationTimeoutMs?: number;
  /** Ask the broker to check the request without applying it. */
  validateOnly?: boolean;
  /** More options, set on the AdminOptions before the call. */
  options?: (opts: Ptr) => void;
  /** Calls the `rd_kafka_<Request>` function with these options and queue. */
  send: (opts: Ptr, queue: Ptr) => void;
  /** Reads the result event into plain objects (inside the drain; the event dies after). */
  parse: (ev: Ptr) => T;
}

interface Pending {
  what: string;
  event: number;
  parse: (ev: Ptr) => unknown;
  resolve(v: unknown): void;
  reject(e: unknown): void;
  /** Stops the timer of a request whose timeout is below {@link MIN_REQUEST_TIMEOUT_MS}. */
  cancel?: () => void;
}

/**
 * The shortest request timeout librdkafka is given. librdkafka 2.12 frees a
 * `ListOffsets` (or `DeleteRecords`) request twice when its timeout is 0: the
 * timeout timer fires on librdkafka's main thread while the call that started
 * the request still runs on ours (`free(): invalid pointer`, a crash on both
 * runtimes within a few hundred calls; docs/RELIABILITY.md). A shorter timeout
 * than this is kept by a timer of ours, and the late answer is dropped.
 */
export const MIN_REQUEST_TIMEOUT_MS = 1_000;

/** Internal: see the module comment. @example `const core = new AdminCore("admin client")` */
export class AdminCore implements QueueHandler {
  native!: NativeClient;
  queue!: Ptr;
  /** True once close began (or the client this one shares was destroyed). */
  closing = false;
  /** What a ClosedError names: "admin client", or why it is closed. */
  #label: string;
  #pending = new Map<number, Pending>();
  #next = 1;
  /** The public AdminClient, held while requests wait (see ConsumerCore's #pin). */
  #pin: object | null = null;
  owner: WeakRef<object> | undefined;
  #idle: (() => void)[] = [];
  /**
   * Whether the cluster reports a controller that is one of its brokers (the
   * requests librdkafka sends to the controller need one): found out once.
   */
  controllerUsable: boolean | undefined;
  /** The cluster id librdkafka reported, once asked (null: none in time). */
  clusterId: string | null | undefined;

  constructor(label: string) {
    this.#label = label;
  }

  /** Attaches to a client: a result queue of ours on its handle. */
  attach(native: NativeClient): void {
    this.native = native;
    this.queue = native.addQueue(this);
  }

  get rk(): Ptr {
    return this.native.rk;
  }

  /** Throws ClosedError once closed or once the shared client was destroyed. */
  check(): void {
    if (this.closing || this.native.closed) {
      throw new ClosedError(
        this.native.closed && !this.closing ? `${this.#label} (its client was closed)` : this.#label,
      );
    }
  }

  /** Requests waiting for their result. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /**
   * Sends one request. Rejects with {@link ClosedError} when closed, with the
   * whole-call {@link KafkaError} when librdkafka or the broker refuses the request.
   */
  request<T>(spec: RequestSpec<T>): Promise<T> {
    try {
      this.check();
    } catch (e) {
      return Promise.reject(e);
    }
    const c = rd();
    const id = this.#next++;
    const opts: Ptr = c.rd_kafka_AdminOptions_new(this.rk, ADMIN_OP_ANY);
    let p: Promise<T>;
    try {
      const errstr = new Uint8Array(512);
      const set = (name: string, err: number) => {
        if (err !== 0) throw new TypeError(`${spec.what}: ${name}: ${cbufText(errstr) || kafkaError(err).message}`);
      };
      const ms = clampMs(spec.timeoutMs);
      const libMs = Math.max(ms, MIN_REQUEST_TIMEOUT_MS);
      set("timeoutMs", c.rd_kafka_AdminOptions_set_request_timeout(opts, libMs, errstr, 512n));
      if (spec.operationTimeoutMs !== undefined) {
        const ms = clampMs(spec.operationTimeoutMs);
        set("operation timeout", c.rd_kafka_AdminOptions_set_operation_timeout(opts, ms, errstr, 512n));
      }
      if (spec.validateOnly) {
        set("validateOnly", c.rd_kafka_AdminOptions_set_validate_only(opts, 1, errstr, 512n));
      }
      spec.options?.(opts);
      c.rd_kafka_AdminOptions_set_opaque(opts, BigInt(id));
      let pending!: Pending;
      p = new Promise<T>((resolve, reject) => {
        pending = {
          what: spec.what,
          event: spec.event,
          parse: spec.parse,
          resolve: resolve as (v: unknown) => void,
          reject,
        };
        this.#pending.set(id, pending);
      });
      // librdkafka copies the options and the request's objects before it returns.
      spec.send(opts, this.queue);
      if (ms < libMs) pending.cancel = after(ms, () => this.#expire(id, ms));
    } catch (e) {
      this.#pending.delete(id);
      return Promise.reject(e);
    } finally {
      c.rd_kafka_AdminOptions_destroy(opts);
    }
    this.#pin ??= this.owner?.deref() ?? null;
    return p;
  }

  /**
   * Runs a call that waits on the handle (metadata, cluster id) off the JS thread;
   * the request counts as pending meanwhile, so close waits for it too.
   */
  async background(symbol: string, args: readonly unknown[], call: BackgroundCall): Promise<unknown> {
    this.check();
    const id = this.#next++;
    this.#pending.set(id, { what: symbol, event: -1, parse: () => undefined, resolve() {}, reject() {} });
    this.#pin ??= this.owner?.deref() ?? null;
    try {
      // Past close()'s wait the caller's promise has already rejected (see guard); the call
      // still ends here, so whoever made it frees what it returns.
      return await this.native.background(symbol, args, call);
    } finally {
      this.#settled(id);
    }
  }

  /** The public promises of calls in flight: rejected with ClosedError when close stops waiting. */
  #guards = new Set<(e: Error) => void>();

  /**
   * The promise an AdminClient method returns: `p`, or a ClosedError as soon as
   * close() stops waiting for it (a call running off the JS thread goes on until its
   * own timeout, with its buffers, and its late result is freed and dropped).
   */
  guard<T>(p: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#guards.add(reject);
      p.then((v) => {
        this.#guards.delete(reject);
        resolve(v);
      }, (e) => {
        this.#guards.delete(reject);
        reject(e);
      });
    });
  }

  /** A request whose timeout (below librdkafka's floor) passed: `_TIMED_OUT`, as librdkafka says it. */
  #expire(id: number, ms: number): void {
    const w = this.#pending.get(id);
    if (!w) return;
    this.#settled(id);
    w.reject(new KafkaError(ErrorCode._TIMED_OUT, `${w.what}: no answer within timeoutMs ${ms}`));
  }

  #settled(id: number): void {
    this.#pending.get(id)?.cancel?.();
    this.#pending.delete(id);
    if (this.#pending.size > 0) return;
    this.#pin = null;
    for (const f of this.#idle.splice(0)) f();
  }

  // --- QueueHandler: our result queue ---------------------------------------------

  onEvent(type: number, ev: Ptr): void {
    const c = rd();
    const id = Number(c.rd_kafka_event_opaque(ev));
    const w = this.#pending.get(id);
    if (!w || w.event < 0) return;
    this.#settled(id);
    try {
      if (type !== w.event) throw new KafkaError(-195, `${w.what}: unexpected result event type ${type}`);
      const err: number = c.rd_kafka_event_error(ev);
      if (err !== 0) {
        const text = backend.readCString(c.rd_kafka_event_error_string(ev)) ?? kafkaError(err).message;
        throw new KafkaError(err, `${w.what}: ${text}`);
      }
      w.resolve(w.parse(ev));
    } catch (e) {
      w.reject(e);
    }
  }

  onClose(): void {
    this.#rejectAll();
  }

  #rejectAll(): void {
    const closed = new ClosedError(this.closing ? this.#label : `${this.#label} (its client was closed)`);
    for (const [id, w] of [...this.#pending]) {
      w.cancel?.();
      this.#pending.delete(id);
      if (w.event >= 0) w.reject(closed);
    }

    this.#pin = null;
    for (const f of this.#idle.splice(0)) f();
  }

  /**
   * Refuses new requests, waits up to `timeoutMs` for those in flight, rejects the
   * rest with ClosedError, then frees the handle (own) or only our queue (shared).
   */
  close(timeoutMs: number, own: boolean): Promise<void> {
    // A second close gets the first one's promise: it settles when the handle is freed.
    this.#closed ??= this.#close(timeoutMs, own);
    return this.#closed;
  }

  #closed: Promise<void> | undefined;

  async #close(timeoutMs: number, own: boolean): Promise<void> {
    this.closing = true;
    const deadline = performance.now() + timeoutMs;
    if (this.#pending.size > 0 && !this.native.closed) {
      await new Promise<void>((resolve) => {
        const cancel = after(timeoutMs, resolve);
        this.#idle.push(() => {
          cancel();
          resolve();
        });
      });
    }
    // A call whose answer just came delivers it first (its caller's continuation is queued).
    if (this.#guards.size > 0) await new Promise((r) => setTimeout(r, 0));
    // What is still in flight (close gave up, or the client this one shares was closed under
    // it) goes on off the JS thread until its own timeout, with its buffers; its caller is
    // told now, and the late result is freed and dropped.
    const closed = new ClosedError(this.#label);
    for (const reject of [...this.#guards]) reject(closed);
    this.#guards.clear();
    this.#rejectAll();
    if (own) {
      await this.native.destroy(undefined, {
        deadline: deadline + CLOSE_MARGIN_MS,
        what: `admin client ${this.native.name}`,
      });
    } else if (!this.native.closed) this.native.removeQueue(this.queue);
  }
}

/**
 * The sink of an admin client's own handle: only errors, logs and statistics come
 * on its main queue, and NativeClient handles those itself.
 *
 * @example
 * ```ts
 * new NativeClient(config, { type: RD_KAFKA_PRODUCER, events: 0, sink: adminSink(), … });
 * ```
 */
export function adminSink(): EventSink {
  return {
    holding: false,
    onEvent: () => 1,
    resume: () => 0,
    release() {},
    afterDrain() {},
    onFatal() {},
    onError() {},
  };
}
