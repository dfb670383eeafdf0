/**
 * The background execution environment: runs librdkafka calls that can wait
 * (`rd_kafka_destroy`, `rd_kafka_committed`, mock-cluster operations, …) off the
 * JS thread.
 *
 * Deno runs them as `nonblocking` FFI symbols on its own worker threads; Bun in a
 * small pool of Workers (see `ffi/bun.ts`).
 *
 * Two lanes, because a full pool must never hold up a shutdown:
 * - ordinary calls (the ones an application asks for: committed, watermarks,
 *   subscribe, metadata): at most `maxBackgroundCalls` run at
 *   once; the rest wait in call order, each at most its own timeout (default
 *   30 s), then reject with a {@link LimitError} naming the limit and what runs;
 * - urgent calls (destroying a client, handing a rebalance back to librdkafka,
 *   mock-cluster operations): start at once, outside the limit. There is at most
 *   one per client (or mock cluster) at a time, so `maxClients` bounds them.
 *
 * Measured before the lanes existed: four slow `committed` calls filled the pool
 * and an unrelated producer's `close()` waited 7.9 s behind them, silently.
 *
 * @module
 */
import type { NativeArg } from "../../ffi/mod.ts";
import { LimitError } from "../errors.ts";
import { after } from "../validate.ts";
import { backend, lib } from "./lib.ts";
import { maxBackground, setLoadSource } from "./limits.ts";

/** How one background call is run. @example `{ what: "committed", waitMs: 5000 }` */
export interface BackgroundCall {
  /** How errors name the call, e.g. `"committed"`. Default: the C function's name. */
  what?: string;
  /** Longest the call may wait for a free slot before it rejects with LimitError. Default 30 000 ms. */
  waitMs?: number;
  /** Runs at once, outside `maxBackgroundCalls` (closing a client, a rebalance). */
  urgent?: boolean;
  /** Aborting it while the call still waits for a slot rejects it with the signal's reason; it never runs. */
  signal?: AbortSignal;
}

interface Waiter {
  start(): void;
  cancel(): void;
}

let running = 0;
let urgentRunning = 0;
const runningNames = new Map<string, number>();
const waiting: Waiter[] = [];

/**
 * Runs a symbol declared `background: true` off the JS thread.
 *
 * @throws {LimitError} (rejects) when no slot frees up within `waitMs`.
 * @example
 * ```ts
 * await runInBackground("rd_kafka_committed", [rk, list, 5000], { what: "committed", waitMs: 5000 });
 * ```
 */
export async function runInBackground(
  symbol: string,
  args: readonly NativeArg[],
  call: BackgroundCall = {},
): Promise<unknown> {
  const what = call.what ?? symbol;
  if (call.urgent) {
    urgentRunning++;
    try {
      return await backend.background(lib(), symbol, args);
    } finally {
      urgentRunning--;
    }
  }
  // A waiter is handed the slot of the call that finishes (running stays the same).
  if (call.signal?.aborted) throw call.signal.reason;
  if (running >= maxBackground() || waiting.length > 0) await slot(what, call.waitMs ?? 30_000, call.signal);
  else running++;
  runningNames.set(what, (runningNames.get(what) ?? 0) + 1);
  try {
    return await backend.background(lib(), symbol, args);
  } finally {
    const n = (runningNames.get(what) ?? 1) - 1;
    if (n === 0) runningNames.delete(what);
    else runningNames.set(what, n);
    const w = running <= maxBackground() ? waiting.shift() : undefined;
    if (w) w.start();
    else running--;
  }
}

/** Waits for a free slot, in call order, at most `waitMs` (or until `signal` aborts). */
function slot(what: string, waitMs: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const leave = () => {
      const i = waiting.indexOf(w);
      if (i >= 0) waiting.splice(i, 1);
      cancelTimer();
      signal?.removeEventListener("abort", onAbort);
    };
    const onAbort = () => {
      leave();
      reject(signal!.reason);
    };
    const w: Waiter = {
      start: () => {
        leave();
        resolve();
      },
      cancel: () => leave(),
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    const cancelTimer = after(waitMs, () => {
      leave();
      const busy = [...runningNames].map(([n, c]) => (c > 1 ? `${n} ×${c}` : n)).join(", ");
      reject(
        new LimitError(
          "maxBackgroundCalls",
          maxBackground(),
          `${what} could not start within ${waitMs} ms: every background slot was busy (${busy}); ` +
            "wait for those calls, give them shorter timeouts, or raise configure({ maxBackgroundCalls })",
        ),
      );
    });
    waiting.push(w);
  });
}

/**
 * Background calls now: `running` and `waiting` ordinary calls, `urgent` ones
 * (closes, rebalances) outside the limit.
 *
 * @example
 * ```ts
 * const { running, waiting } = backgroundLoad();
 * ```
 */
export function backgroundLoad(): { running: number; waiting: number; urgent: number } {
  return { running, waiting: waiting.length, urgent: urgentRunning };
}

setLoadSource(backgroundLoad);
