/**
 * `NativeClient`: the one owner of an `rd_kafka_t`, its main queue and its wake-up.
 *
 * librdkafka's own threads do all network work and put results (delivery reports,
 * errors, logs, statistics) on the main queue as events. When that queue turns
 * non-empty librdkafka writes a byte to our pipe (`rd_kafka_queue_io_event_enable`);
 * the runtime wakes us as for any I/O, and we drain the queue with `timeout_ms = 0`
 * polls, at most `drainBudget` messages per macrotask so one burst never holds the
 * event loop for long (DESIGN.md rules 2 and 3). There is no polling timer.
 *
 * Close order (DESIGN.md rule 4): stop the wake-up and mark closed, destroy the
 * queue and topic handles, then `rd_kafka_destroy` off the JS thread.
 *
 * @module
 */
import { EVENT, type Ptr } from "../../ffi/mod.ts";
import { ClosedError, ConfigError, ErrorCode, KafkaError } from "../errors.ts";
import { after, MAX_TIMEOUT_MS } from "../validate.ts";
import { buildConf, checkConfig, type ClientConfig, has } from "./conf.ts";
import { type BackgroundCall, runInBackground } from "./background.ts";
import { type OAuthBearerProvider, TokenRefresher } from "./oauth.ts";
import { acquireClient, releaseClient } from "./limits.ts";
import { backend, cbufText, offHeap, rd } from "./lib.ts";
import type { EventRelay } from "../events.ts";

/** librdkafka's log levels (syslog). @example `LOG_LEVELS[3] === "error"` */
export const LOG_LEVELS = ["emerg", "alert", "crit", "error", "warning", "notice", "info", "debug"] as const;

/** What an owner (producer, consumer) does with the events only it understands. @example `class ProducerCore implements EventSink { … }` */
export interface EventSink {
  /**
   * Handles one event of a type the owner subscribed to, spending at most `budget`
   * (messages); returns what it spent. An owner that cannot finish within the
   * budget keeps the event (`holding` turns true) and finishes it in `resume`.
   */
  onEvent(type: number, ev: Ptr, budget: number): number;
  /** True while the owner keeps a partly handled event. */
  readonly holding: boolean;
  /** Continues the kept event; returns what it spent. */
  resume(budget: number): number;
  /** Destroys a kept event at once (close). */
  release(): void;
  /** Runs after every drain slice (also an empty one). */
  afterDrain(): void;
  /** A fatal error: the client cannot be used any more. */
  onFatal(err: KafkaError): void;
  /** Any other error librdkafka reported on its own (before listeners see it). */
  onError(err: KafkaError): void;
  /**
   * Consumers: false stops polling the main queue (nothing asked for messages,
   * or a rebalance is being handled); the owner calls `kick()` when that changes.
   */
  wants?(): boolean;
  /**
   * Consumers: a first look at each main-queue event before its type is read.
   * Returns true when it handled the event and took ownership of it.
   */
  peek?(ev: Ptr): boolean;
  /** True right after `onEvent` when the owner kept the event (it destroys it later). */
  readonly adopted?: boolean;
  /** An ERROR event the owner handles itself (e.g. a consumer's end of partition); true if it did. */
  claimError?(code: number, ev: Ptr): boolean;
}

/**
 * Takes the events of one extra queue (admin results) instead of the owner's sink.
 *
 * @example
 * ```ts
 * const q = client.addQueue({ onEvent: (type, ev) => handle(type, ev), onClose: () => rejectAll() });
 * ```
 */
export interface QueueHandler {
  /** One event; it is destroyed when this returns. */
  onEvent(type: number, ev: Ptr): void;
  /** The client is being destroyed: the queue is gone after this. */
  onClose?(): void;
}

interface ExtraQueue {
  q: Ptr;
  handler: QueueHandler | undefined;
}

/** Options of {@link NativeClient}. @example `{ type: RD_KAFKA_PRODUCER, events: EVENT.DR, drainBudget: 2000, emitter, sink }` */
export interface NativeClientOptions {
  type: number;
  /** Event types the owner handles besides ERROR, LOG and STATS. */
  events: number;
  /** A consumer: poll the consumer queue (main queue forwarded to it) instead of the main queue. */
  consumer?: boolean;
  /** Properties set after the user's (e.g. `log.queue`). */
  overrides?: Record<string, string>;
  /** Properties set before the user's, so the user may change them. */
  defaults?: Record<string, string>;
  /** Most messages handled per drain slice. */
  drainBudget: number;
  emitter: EventRelay;
  sink: EventSink;
  /** Answers librdkafka's SASL/OAUTHBEARER token refresh events (checked with `checkProvider`). */
  oauthBearerProvider?: OAuthBearerProvider;
}

/**
 * What `close({ timeoutMs })` of any client may add to `timeoutMs` for the part
 * that cannot be skipped: failing what is left and destroying the handle (with the
 * group closed, or abandoned, a destroy returns in milliseconds).
 */
export const CLOSE_MARGIN_MS = 1_000;

/** How {@link NativeClient.destroy} ends the handle. @example `{ noConsumerClose: true, deadline: performance.now() + 1000 }` */
export interface DestroyOptions {
  /** The consumer close already ran (or was given up on): `RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE`. */
  noConsumerClose?: boolean;
  /**
   * The consumer group did not terminate in time, so `rd_kafka_destroy` would wait
   * for it (a final commit waits for an unreachable coordinator up to
   * `session.timeout.ms`, and a retried request can wait longer): destroy without
   * joining librdkafka's threads (`RD_KAFKA_DESTROY_F_IMMEDIATE`). They end on their
   * own when librdkafka gives up; the handle's memory is not freed.
   */
  abandon?: boolean;
  /** `performance.now()` by which the promise settles (see {@link NativeClient.destroy}). */
  deadline?: number;
  /** How the error names the client, e.g. "consumer rdkafka#consumer-2". */
  what?: string;
}

const WAKE_BYTE = new Uint8Array([1]);
/** Longest a drain slice runs before it yields to the event loop (milliseconds). */
const SLICE_MS = 1;
/** Messages handled between two looks at the clock. */
const CHUNK = 256;

/**
 * The owner of one librdkafka handle. Internal: the public classes wrap it.
 *
 * @example
 * ```ts
 * const client = new NativeClient(config, { type: RD_KAFKA_PRODUCER, events: EVENT.DR, … });
 * await client.destroy();
 * ```
 */
export class NativeClient {
  readonly rk: Ptr;
  readonly name: string;
  #queue: Ptr;
  /** Queues drained before the main one on every wake-up, never held back by `wants()`. */
  #extra: ExtraQueue[] = [];
  /** Calls on this handle running off the JS thread: destroy waits for them. */
  #background = new Set<Promise<unknown>>();
  /** Aborted at destroy: calls of this handle still waiting for a background slot reject. */
  #leaving = new AbortController();
  #wakeup: { fd: number; close(): void };
  #opts: NativeClientOptions;
  #closed = false;
  #destroyed: Promise<void> | undefined;
  #sliceScheduled = false;
  #draining = false;
  /** When the first synchronous drain of this macrotask began (-1: none yet). */
  #turnStart = -1;
  #logOuts = offHeap(24);
  #tokens: TokenRefresher | undefined;
  fatalError: KafkaError | undefined;
  /** The `group.id` a consumer was created with (undefined without one, and for other clients). */
  readonly groupId: string | undefined;

  constructor(config: ClientConfig, opts: NativeClientOptions) {
    this.#opts = opts;
    const group = config["group.id"];
    this.groupId = opts.consumer && group !== undefined && group !== "" ? String(group) : undefined;
    checkConfig(config);
    const c = rd();
    acquireClient();
    let conf: Ptr | undefined;
    try {
      const defaults = Object.fromEntries(Object.entries(opts.defaults ?? {}).filter(([k]) => !has(config, k)));
      conf = buildConf({ ...defaults, ...config }, { "log.queue": "true", ...opts.overrides });
      const oauth = opts.oauthBearerProvider ? EVENT.OAUTHBEARER_TOKEN_REFRESH : 0;
      c.rd_kafka_conf_set_events(conf, opts.events | EVENT.ERROR | EVENT.LOG | EVENT.STATS | oauth);
      const errstr = new Uint8Array(512);
      const rk: Ptr = c.rd_kafka_new(opts.type, conf, errstr, 512n);
      if (backend.isNull(rk)) {
        c.rd_kafka_conf_destroy(conf); // rd_kafka_new owns the conf only when it succeeds
        throw new ConfigError(undefined, `librdkafka refused the configuration: ${cbufText(errstr).trim()}`);
      }
      this.rk = rk;
    } catch (e) {
      releaseClient();
      throw e;
    }
    this.name = backend.readCString(c.rd_kafka_name(this.rk)) ?? "rdkafka";
    if (opts.oauthBearerProvider) {
      this.#tokens = new TokenRefresher(opts.oauthBearerProvider, () => (this.#closed ? undefined : this.rk));
    }
    if (opts.consumer) {
      // One queue, one wake-up: logs, errors and statistics follow the messages.
      c.rd_kafka_poll_set_consumer(this.rk);
      this.#queue = c.rd_kafka_queue_get_consumer(this.rk);
    } else {
      this.#queue = c.rd_kafka_queue_get_main(this.rk);
    }
    c.rd_kafka_set_log_queue(this.rk, backend.NULL);
    this.#wakeup = backend.wakeup(() => this.#drain());
    c.rd_kafka_queue_io_event_enable(this.#queue, this.#wakeup.fd, WAKE_BYTE, 1n);
    // Events queued before the wake-up existed (early logs) would never signal: look now.
    this.#schedule();
  }

  /** True for a consumer's handle (its queue is the consumer queue; it has a group). */
  get isConsumer(): boolean {
    return this.#opts.consumer === true;
  }

  /** True once {@link destroy} began. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Drains soon, from a fresh macrotask (used when the owner knows work is queued). */
  #schedule(): void {
    if (this.#sliceScheduled) return;
    this.#sliceScheduled = true;
    setImmediate(() => {
      this.#sliceScheduled = false;
      this.#drain();
    });
  }

  /**
   * Serves the main queue with zero-timeout polls, until it is empty, the message
   * budget is spent, or the slice has run for SLICE_MS (checked every CHUNK messages).
   */
  #drain(): void {
    if (this.#closed || this.#draining) return; // a wake-up already in flight at close still arrives
    this.#draining = true;
    try {
      this.#drainSlice();
    } finally {
      this.#draining = false;
    }
  }

  #drainSlice(): void {
    const sink = this.#opts.sink;
    const until = performance.now() + SLICE_MS;
    let budget = this.#opts.drainBudget;
    let handled = 0;
    while (sink.holding && budget > 0) {
      budget -= sink.resume(Math.min(budget, CHUNK));
      handled++;
      if (performance.now() >= until) budget = 0;
    }
    for (const { q, handler } of this.#extra) {
      const r = this.#pollQueue(q, budget, until, false, handler);
      budget = r.budget;
      handled += r.handled;
    }
    const r = this.#pollQueue(this.#queue, budget, until, true);
    budget = r.budget;
    handled += r.handled;
    // Also after an empty drain: a wake-up may mean an internal op was served
    // inside the poll (a consumer's close finishing), which the owner checks for.
    sink.afterDrain();
    void handled;
    // Stopped at the budget (or inside a big event): more may be queued and
    // librdkafka will not signal again until we poll, so go on in the next macrotask.
    if ((budget <= 0 || sink.holding) && !this.#closed) this.#schedule();
  }

  #pollQueue(
    q: Ptr,
    budget: number,
    until: number,
    gated: boolean,
    handler?: QueueHandler,
  ): { budget: number; handled: number } {
    const c = rd();
    const sink = this.#opts.sink;
    let handled = 0;
    let sinceCheck = 0;
    while (budget > 0 && !sink.holding && !this.#closed) {
      if (gated && sink.wants && !sink.wants()) break;
      const ev: Ptr = c.rd_kafka_queue_poll(q, 0);
      if (backend.isNull(ev)) break;
      handled++;
      budget--;
      if (++sinceCheck >= CHUNK) {
        sinceCheck = 0;
        if (performance.now() >= until) budget = 0;
      }
      if (sink.peek?.(ev)) continue;
      const type: number = c.rd_kafka_event_type(ev);
      let kept = false;
      try {
        if (type === EVENT.ERROR) this.#onError(ev);
        else if (type === EVENT.LOG) this.#onLog(ev);
        else if (type === EVENT.STATS) this.#onStats(ev);
        else if (type === EVENT.OAUTHBEARER_TOKEN_REFRESH) this.#tokens?.onEvent(ev);
        else if (handler) handler.onEvent(type, ev);
        else {
          const spent = Math.max(1, sink.onEvent(type, ev, Math.min(budget + 1, CHUNK))) - 1;
          budget -= spent;
          sinceCheck += spent;
          kept = sink.holding || sink.adopted === true;
        }
      } finally {
        if (!kept) c.rd_kafka_event_destroy(ev);
      }
    }
    return { budget, handled };
  }

  #onError(ev: Ptr): void {
    const c = rd();
    let code: number = c.rd_kafka_event_error(ev);
    let text = backend.readCString(c.rd_kafka_event_error_string(ev)) ?? "";
    const fatal = c.rd_kafka_event_error_is_fatal(ev) !== 0;
    if (!fatal && this.#opts.sink.claimError?.(code, ev)) return;
    if (fatal) {
      const buf = new Uint8Array(512);
      code = c.rd_kafka_fatal_error(this.rk, buf, 512n);
      text = cbufText(buf) || text;
    }
    const err = new KafkaError(code, text, { fatal });
    if (fatal && !this.fatalError) {
      this.fatalError = err;
      this.#opts.sink.onFatal(err);
    } else if (!fatal) {
      this.#opts.sink.onError(err);
    }
    this.#opts.emitter.emit("error", err);
  }

  #onLog(ev: Ptr): void {
    const outs = this.#logOuts;
    if (rd().rd_kafka_event_log(ev, outs, outs.subarray(8), outs.subarray(16)) !== 0) return;
    const dv = new DataView(outs.buffer);
    const fac = backend.readCString(backend.fromAddress(dv.getBigUint64(0, true)));
    const msg = backend.readCString(backend.fromAddress(dv.getBigUint64(8, true)));
    const level = dv.getInt32(16, true);
    const entry = {
      level,
      severity: LOG_LEVELS[level] ?? "debug",
      facility: fac ?? "",
      message: msg ?? "",
      client: this.name,
    };
    if (!this.#opts.emitter.emit("log", entry)) {
      // No listener: keep librdkafka's default of printing to stderr.
      // deno-lint-ignore no-console -- librdkafka prints logs to stderr by default; so do we
      console.error(`%${level}|${entry.facility}|${this.name}| ${entry.message}`);
    }
  }

  #onStats(ev: Ptr): void {
    const text = backend.readCString(rd().rd_kafka_event_stats(ev));
    if (text) this.#opts.emitter.emit("stats", JSON.parse(text));
  }

  /** Messages (and requests) librdkafka still holds for this client. @example `client.outqLen()` */
  outqLen(): number {
    return rd().rd_kafka_outq_len(this.rk);
  }

  /**
   * A new queue of this client whose events wake us like the main queue's and
   * are drained first, never held back by `wants()` (results of commits, close).
   * The client destroys it at {@link destroy}.
   *
   * @example
   * ```ts
   * const results = client.addQueue();
   * rd().rd_kafka_commit_queue(client.rk, backend.NULL, results, backend.NULL, 7n);
   * ```
   */
  addQueue(handler?: QueueHandler): Ptr {
    if (this.#closed) throw new Error("addQueue after destroy");
    const c = rd();
    const q: Ptr = c.rd_kafka_queue_new(this.rk);
    c.rd_kafka_queue_io_event_enable(q, this.#wakeup.fd, WAKE_BYTE, 1n);
    this.#extra.push({ q, handler });
    return q;
  }

  /**
   * Destroys a queue made by {@link addQueue} before the client goes (an admin
   * client made from this one closing). Events still on it are destroyed; requests
   * still in flight hold their own reference to it, so this is safe at any time.
   *
   * @example
   * ```ts
   * client.removeQueue(q);
   * ```
   */
  removeQueue(q: Ptr): void {
    const i = this.#extra.findIndex((e) => e.q === q);
    if (i < 0) return;
    this.#extra.splice(i, 1);
    const c = rd();
    c.rd_kafka_queue_io_event_enable(q, -1, backend.NULL, 0n);
    this.#unfreed.add(q);
    // Called from a listener inside a drain, the queue may be the one being polled:
    // free it once the (synchronous) drain has returned (or at destroy, if sooner).
    if (this.#draining) queueMicrotask(() => this.#freeQueue(q));
    else this.#freeQueue(q);
  }

  #unfreed = new Set<Ptr>();

  #freeQueue(q: Ptr): void {
    if (!this.#unfreed.delete(q)) return;
    const c = rd();
    for (let ev: Ptr = c.rd_kafka_queue_poll(q, 0); !backend.isNull(ev); ev = c.rd_kafka_queue_poll(q, 0)) {
      c.rd_kafka_event_destroy(ev);
    }
    c.rd_kafka_queue_destroy(q);
  }

  /**
   * Runs a call that waits on this handle (metadata, cluster id, …) off the JS
   * thread. {@link destroy} waits for every such call first: freeing the handle
   * under a call still using it would crash the process.
   *
   * @example
   * ```ts
   * const err = await client.background("rd_kafka_controllerid", [client.rk, 5000], { what: "controllerId", waitMs: 5000 });
   * ```
   */
  background(symbol: string, args: readonly unknown[], call: BackgroundCall = {}): Promise<unknown> {
    if (this.#closed) return Promise.reject(new ClosedError(this.name));
    const p = runInBackground(symbol, args, { ...call, signal: call.signal ?? this.#leaving.signal });
    this.#background.add(p);
    const done = () => this.#background.delete(p);
    p.then(done, done);
    return p;
  }

  /** Drains what is queued now, at once (close: results that must still settle their promises). @example `client.drainNow()` */
  drainNow(): void {
    this.#drain();
  }

  /** Drains what is queued now and then as usual; for owners that just enqueued work. @example `client.kick()` */
  kick(): void {
    this.#schedule();
  }

  /**
   * Stops the wake-up, runs `beforeDestroy` (owners destroy their topic handles),
   * destroys the queues, then the handle off the JS thread, after the calls still
   * running on it (freeing a handle under a call would crash the process).
   * Idempotent: a second call returns the first one's promise.
   *
   * With a `deadline`, the promise settles by then whatever librdkafka does: when
   * the destroy has not returned, it rejects with a `_TIMED_OUT` {@link KafkaError}
   * saying so, and the destroy goes on in the background (the client's slot is
   * given back when it returns).
   *
   * @example
   * ```ts
   * await client.destroy(undefined, { deadline: performance.now() + 1000, what: "producer" });
   * ```
   */
  destroy(beforeDestroy?: () => void, opts: DestroyOptions = {}): Promise<void> {
    if (this.#destroyed) return this.#bounded(this.#destroyed, opts);
    this.#closed = true;
    // Calls still waiting for a background slot never run: the handle is going.
    this.#leaving.abort(new ClosedError(`${this.name} (closed before the call could start)`));
    const c = rd();
    const extra = this.#extra;
    const queues = [...extra.map((e) => e.q), this.#queue];
    for (const q of queues) c.rd_kafka_queue_io_event_enable(q, -1, backend.NULL, 0n);
    this.#wakeup.close();
    this.#opts.sink.release();
    for (const e of extra) {
      try {
        e.handler?.onClose?.();
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
    // Events still queued hold references librdkafka waits for at destroy.
    for (const q of queues) {
      for (let ev: Ptr = c.rd_kafka_queue_poll(q, 0); !backend.isNull(ev); ev = c.rd_kafka_queue_poll(q, 0)) {
        c.rd_kafka_event_destroy(ev);
      }
    }
    beforeDestroy?.();
    for (const q of queues) c.rd_kafka_queue_destroy(q);
    for (const q of [...this.#unfreed]) this.#freeQueue(q);
    this.#extra = [];
    // RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE (0x8): the consumer close already ran or timed out.
    // RD_KAFKA_DESTROY_F_IMMEDIATE (0x4): do not wait for librdkafka's threads (see DestroyOptions.abandon).
    const flags = opts.abandon ? 0xc : opts.noConsumerClose ? 0x8 : 0;
    const destroy = () =>
      flags === 0
        ? runInBackground("rd_kafka_destroy", [this.rk], { urgent: true })
        : runInBackground("rd_kafka_destroy_flags", [this.rk, flags], { urgent: true });
    // Calls still running on the handle finish first (each is bounded by its own timeout).
    const waiting = [...this.#background];
    this.#busyAtDestroy = waiting.length;
    const done = waiting.length === 0 ? destroy() : Promise.allSettled(waiting).then(destroy);
    // The slot is given back even if the call failed on the JS side (it never ran then).
    this.#destroyed = done.then(() => {}).finally(() => releaseClient());
    return this.#bounded(this.#destroyed, opts);
  }

  /** Calls that were still running on the handle when destroy began (for its error). */
  #busyAtDestroy = 0;

  /** `destroyed`, or a `_TIMED_OUT` rejection at `opts.deadline` if it has not settled by then. */
  #bounded(destroyed: Promise<void>, opts: DestroyOptions): Promise<void> {
    const left = (opts.deadline ?? Infinity) - performance.now();
    if (left === Infinity) return destroyed;
    return new Promise<void>((resolve, reject) => {
      const cancel = after(Math.max(0, Math.min(left, MAX_TIMEOUT_MS)), () => {
        const why = this.#busyAtDestroy > 0
          ? `${this.#busyAtDestroy} call(s) on it (committed, watermarks, metadata, …) still run, each until its own timeoutMs`
          : "librdkafka's destroy has not returned";
        reject(
          new KafkaError(
            ErrorCode._TIMED_OUT,
            `${opts.what ?? this.name} close: not freed in time: ${why}; it is freed in the background ` +
              "when that returns (until then the client counts towards maxClients)",
          ),
        );
      });
      destroyed.then(() => {
        cancel();
        resolve();
      }, (e) => {
        cancel();
        reject(e);
      });
    });
  }

  /**
   * Drains at once, for a caller that just asked for events (a read), unless
   * synchronous drains already ran SLICE_MS in this macrotask: a loop of awaited
   * reads is one chain of microtasks, and without this limit it would never let
   * timers or I/O run while a backlog lasts. Past the limit the drain waits for
   * the next macrotask.
   *
   * @example
   * ```ts
   * client.drainInTurn();
   * ```
   */
  drainInTurn(): void {
    const now = performance.now();
    if (this.#turnStart < 0) {
      this.#turnStart = now;
      setImmediate(() => (this.#turnStart = -1));
    } else if (now - this.#turnStart >= SLICE_MS) {
      this.#schedule();
      return;
    }
    this.#drain();
  }
}

const owners = new WeakMap<object, NativeClient>();

/**
 * Records the client a public object (Producer, Consumer) owns, so that an admin
 * client can share its handle. The map holds the public object weakly.
 *
 * @example
 * ```ts
 * registerOwner(this, core.native);
 * ```
 */
export function registerOwner(owner: object, client: NativeClient): void {
  owners.set(owner, client);
}

/** The client a public object owns, if it is one of ours. @example `const native = clientOf(producer)` */
export function clientOf(owner: unknown): NativeClient | undefined {
  return owner !== null && typeof owner === "object" ? owners.get(owner) : undefined;
}
