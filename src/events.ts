/**
 * A small typed event emitter for client events (`error`, `log`, `stats`).
 *
 * Listeners run on the JS thread, inside the drain that found the event. A
 * listener that throws does not stop the drain: the exception is reported with
 * `queueMicrotask` rethrow semantics (an unhandled error), as for any callback.
 *
 * @module
 */
import type { KafkaError } from "./errors.ts";

/** A log line from librdkafka (`log.queue` is always on, so logs arrive as events). @example `producer.on("log", (l: LogEntry) => console.log(l.facility, l.message))` */
export interface LogEntry {
  /** syslog level: 0 emerg … 3 error, 4 warning, … 7 debug. */
  level: number;
  severity: string;
  /** librdkafka's facility, e.g. `"FAIL"`, `"BROKER"`. */
  facility: string;
  message: string;
  /** The client's name, e.g. `"rdkafka#producer-1"`. */
  client: string;
}

/**
 * The events every client emits.
 *
 * @example
 * ```ts
 * producer.on("error", (e) => console.error(e.name, e.message, e.fatal));
 * producer.on("stats", (s) => metrics.observe(s.msg_cnt));
 * ```
 */
export interface ClientEvents {
  /** An error librdkafka reported on its own (broker down, authentication, fatal). */
  error: (err: KafkaError) => void;
  /** A librdkafka log line; with no listener logs go to stderr as librdkafka prints them. */
  log: (entry: LogEntry) => void;
  /** librdkafka's statistics JSON (set `statistics.interval.ms`), parsed. */
  // deno-lint-ignore no-explicit-any
  stats: (stats: Record<string, any>) => void;
}

// deno-lint-ignore no-explicit-any
type Listener = (...args: any[]) => void;

/**
 * Typed listeners, kept apart from the client object so that the native core can
 * emit without holding the public object (which must stay collectable).
 *
 * @example
 * ```ts
 * const em = new Emitter();
 * em.on("log", (l) => console.log(l.message));
 * em.emit("log", { level: 6, severity: "info", facility: "X", message: "hi", client: "c" });
 * ```
 */
/** What the native side emits through (see {@link Emitter.relay}). @example `relay.emit("error", err)` */
export interface EventRelay {
  /** Calls the listeners, if the emitter still lives; false when there was none. */
  emit(event: string, ...args: unknown[]): boolean;
}

/** A function of its own, so that the closure holds the WeakRef and nothing else. */
function relayOf(ref: WeakRef<Emitter>): EventRelay {
  return { emit: (event, ...args) => ref.deref()?.emit(event, ...args) ?? false };
}

export class Emitter {
  #listeners = new Map<string, Listener[]>();

  on(event: string, fn: Listener): void {
    if (typeof fn !== "function") throw new TypeError(`listener for "${event}" must be a function`);
    const list = this.#listeners.get(event) ?? [];
    list.push(fn);
    this.#listeners.set(event, list);
  }

  off(event: string, fn: Listener): void {
    const list = this.#listeners.get(event);
    if (!list) return;
    const i = list.indexOf(fn);
    if (i >= 0) list.splice(i, 1);
  }

  /**
   * An emitter for the native side (a client's core), that emits here while this
   * emitter lives without keeping it alive. The core is what a FinalizationRegistry
   * holds to close a dropped client; if it held the listeners, a listener that uses
   * its client (most do) would keep that client from ever being collected.
   */
  relay(): EventRelay {
    return relayOf(new WeakRef(this));
  }

  /** Calls every listener; returns false when there was none. */
  emit(event: string, ...args: unknown[]): boolean {
    const list = this.#listeners.get(event);
    if (!list || list.length === 0) return false;
    for (const fn of [...list]) {
      try {
        fn(...args);
      } catch (e) {
        queueMicrotask(() => {
          throw e;
        });
      }
    }
    return true;
  }
}
