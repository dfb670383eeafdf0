/**
 * Process-wide resource limits: how many clients may be open at once, how many
 * calls may wait in the background execution environment at once, and how many
 * bytes unreleased zero-copy messages may hold.
 *
 * Every librdkafka client owns several OS threads (one per broker plus internal
 * ones), so an unbounded number of clients is a resource leak waiting to happen.
 *
 * @module
 */
import { LimitError } from "../errors.ts";

/** The process-wide limits; see {@link configure}. @example `const { maxClients } = currentLimits()` */
export interface Limits {
  /** Most clients (producers, consumers, admin clients, mock clusters) open at once. Default 32. */
  maxClients: number;
  /**
   * Most calls that wait (destroy, …) running off the JS thread at once. On Bun
   * this is the size of the Worker pool; on Deno the number of concurrent
   * `nonblocking` calls. Further calls queue in order. Default 4.
   */
  maxBackgroundCalls: number;
  /**
   * Most bytes (keys and values) that zero-copy consumed messages may hold in
   * librdkafka's memory, across all consumers, until they are released. A read
   * that finds the limit reached rejects with {@link LimitError} and takes nothing
   * from the queue. Default 256 MiB.
   */
  maxHeldBytes: number;
}

const limits: Limits = { maxClients: 32, maxBackgroundCalls: 4, maxHeldBytes: 256 * 1024 * 1024 };
let openClients = 0;
let heldBytes = 0;

/**
 * Changes process-wide limits. Lowering `maxClients` below the number open
 * affects only new clients.
 *
 * @example
 * ```ts
 * import { configure } from "kafka-fast";
 * configure({ maxClients: 8, maxBackgroundCalls: 2 });
 * ```
 */
export function configure(next: Partial<Limits>): Readonly<Limits> {
  if (next === null || typeof next !== "object" || Array.isArray(next)) {
    throw new TypeError("configure(limits): limits must be an object");
  }
  const entries = Object.entries(next);
  // Every entry is checked before any is applied: a refused call changes nothing.
  for (const [k, v] of entries) {
    if (!(k in limits)) throw new TypeError(`configure: unknown limit "${k}"`);
    if (!Number.isInteger(v) || (v as number) < 1) {
      throw new RangeError(`configure: ${k} must be a positive integer, got ${String(v)}`);
    }
  }
  for (const [k, v] of entries) (limits as unknown as Record<string, number>)[k] = v as number;
  return { ...limits };
}

/**
 * The limits in force, the clients open now, the bytes zero-copy messages hold,
 * and the background calls running (`backgroundCalls`, closes included) and
 * waiting for a slot (`backgroundWaiting`).
 *
 * @example
 * ```ts
 * console.log(currentLimits().openClients);
 * ```
 */
export function currentLimits(): Readonly<
  Limits & { openClients: number; heldBytes: number; backgroundCalls: number; backgroundWaiting: number }
> {
  const load = loadOf();
  return {
    ...limits,
    openClients,
    heldBytes,
    backgroundCalls: load.running + load.urgent,
    backgroundWaiting: load.waiting,
  };
}

let loadOf: () => { running: number; waiting: number; urgent: number } = () => ({ running: 0, waiting: 0, urgent: 0 });
/** Lets the background pool report its load here (it imports this module, not the reverse). @example `setLoadSource(backgroundLoad)` */
export function setLoadSource(f: typeof loadOf): void {
  loadOf = f;
}

/** Counts bytes a zero-copy message holds (negative to give them back). @example `addHeldBytes(len)` */
export function addHeldBytes(n: number): void {
  heldBytes += n;
}

/** True while zero-copy messages hold at least `maxHeldBytes`. @example `if (heldBytesFull()) …` */
export function heldBytesFull(): boolean {
  return heldBytes >= limits.maxHeldBytes;
}

/**
 * Keeps the process alive while a client is open, on every runtime: an open
 * client may still owe delivery reports or a group leave, and exiting under it
 * loses them. Without this Bun exited with a producer open (librdkafka never
 * destroyed), while Deno's pending wake-up read kept the process alive: now both
 * keep it alive until close() (or until the GC closes a dropped client).
 */
let keepAlive: ReturnType<typeof setInterval> | undefined;

/** Takes one client slot or throws {@link LimitError}. @example `acquireClient(); try { … } catch { releaseClient(); }` */
export function acquireClient(): void {
  if (openClients >= limits.maxClients) {
    throw new LimitError(
      "maxClients",
      limits.maxClients,
      "close a client first, or raise it with configure({ maxClients })",
    );
  }
  openClients++;
  keepAlive ??= setInterval(() => {}, 1_000_000_000);
}

/** Returns a slot taken by {@link acquireClient}. @example `releaseClient()` */
export function releaseClient(): void {
  openClients = Math.max(0, openClients - 1);
  if (openClients === 0 && keepAlive !== undefined) {
    clearInterval(keepAlive);
    keepAlive = undefined;
  }
}

/** The background limit, read by the background queue. @example `maxBackground()` */
export function maxBackground(): number {
  return limits.maxBackgroundCalls;
}
