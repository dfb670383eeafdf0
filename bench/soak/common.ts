/**
 * Shared by the soak scripts (`cycles.ts`, `stream.ts`): flags, process samples
 * (RSS, JS heap, open file descriptors, threads), a forced garbage collection,
 * the slope of RSS over a run, the end-of-run checks, and table printing.
 *
 * Samples come from `/proc/self` where it exists (Linux): `VmRSS` and `Threads`
 * from `status`, one entry per descriptor in `fd`. Elsewhere RSS falls back to
 * `process.memoryUsage()` and the descriptor and thread counts read as -1 (not
 * checked). Runs on Bun and on Deno unchanged.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import process from "node:process";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { currentLimits } from "../../src/mod.ts";
// Internal on purpose: the soak checks the background pool drained, which the public API only shows in newer builds.
import { backgroundLoad } from "../../src/native/background.ts";

const runtimeGlobals = globalThis as unknown as {
  Bun?: { version: string; gc(full: boolean): void };
  Deno?: { version: { deno: string } };
  gc?: () => void;
};

/** `"Bun 1.4.5"` or `"Deno 2.9.6"`. @example `console.log(RUNTIME)` */
export const RUNTIME: string = runtimeGlobals.Bun
  ? `Bun ${runtimeGlobals.Bun.version}`
  : `Deno ${runtimeGlobals.Deno?.version.deno ?? "?"}`;

/** True on Bun. @example `if (IS_BUN) …` */
export const IS_BUN: boolean = runtimeGlobals.Bun !== undefined;

// --- flags -------------------------------------------------------------------

const argv = process.argv.slice(2);

/** True when `--name` was given. @example `const smoke = flag("--smoke")` */
export function flag(name: string): boolean {
  return argv.includes(name);
}

/** The value after `--name`, or `dflt`. @example `const kinds = option("--kinds", "producer")` */
export function option(name: string, dflt: string): string {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
}

/**
 * A whole number after `--name` (`_` allowed as a separator: `10_000_000`), or `dflt`.
 *
 * @example
 * ```ts
 * const cycles = intOption("--cycles", 10_000);
 * ```
 */
export function intOption(name: string, dflt: number): number {
  const raw = option(name, String(dflt)).replaceAll("_", "");
  const v = Number(raw);
  if (!Number.isSafeInteger(v) || v < 0) throw new TypeError(`${name} must be a whole number >= 0, got "${raw}"`);
  return v;
}

// --- samples -----------------------------------------------------------------

/** One look at the process. @example `const s = sample(); console.log(s.rss)` */
export interface Sample {
  /** Resident set size, bytes. */
  rss: number;
  /** JS heap in use, bytes (V8's or JavaScriptCore's). */
  heap: number;
  /** Open file descriptors (-1: unknown on this system). */
  fds: number;
  /**
   * Of those, the kinds a Kafka client opens: pipes (librdkafka's and kafka-fast's
   * wake-ups) and TCP sockets, the mock broker's side of connections aside. Files,
   * Unix sockets and event descriptors are the runtime's (Deno opens a Unix socket
   * pair a few seconds after start, with or without clients).
   */
  clientFds: number;
  /** The in-process mock broker's side of TCP connections (see {@link watchMockPorts}). */
  mockFds: number;
  /** Threads of the process (-1: unknown on this system). */
  threads: number;
  /** Of those, librdkafka's own (named `rdk:…`). */
  rdk: number;
  /** Of those, the JS engine's and its allocator's housekeeping threads (see {@link ENGINE_THREADS}). */
  engine: number;
  /** Threads by name (`/proc/self/task/…/comm`, digits dropped): which kind grew, when one did. */
  names: Record<string, number>;
}

/**
 * Threads the JS engine starts and ends by itself as it compiles and collects:
 * JavaScriptCore's JIT and GC threads and mimalloc's scavenger (Bun), V8's
 * platform workers (Deno). Their number follows the engine's activity, not the
 * clients: they are counted but not held to the start value. Everything else is:
 * librdkafka's `rdk:` threads, Bun's `Worker`s (the background pool), Deno's
 * `tokio-runtime-w` threads (where a nonblocking FFI call waits: one that never
 * returns keeps its thread), the runtimes' own.
 *
 * @example
 * ```ts
 * ENGINE_THREADS.test("JITWorker") === true;
 * ```
 */
export const ENGINE_THREADS: RegExp =
  /^(JITWorker|HeapHelper|JSCWarmUp|.*ollector Thread|mi-scavenger|V8 DefaultWorke)/;

const hasProc = existsSync("/proc/self/status");
const mockPorts = new Set<number>();

/**
 * Marks the ports of an in-process MockCluster (its `bootstrapServers`). Sockets
 * on them are the mock broker's side of connections: it keeps the side of a
 * client that left in the middle of a group join open (CLOSE_WAIT) until the
 * member's session times out (45 s by default), which is the mock's doing, not a
 * client's leak. They are counted apart (`mockFds`).
 *
 * @example
 * ```ts
 * watchMockPorts(cluster.bootstrapServers);
 * ```
 */
export function watchMockPorts(bootstrap: string): void {
  for (const hp of bootstrap.split(",")) mockPorts.add(Number(hp.slice(hp.lastIndexOf(":") + 1)));
}

function statusField(status: string, name: string): number {
  const m = new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(status);
  return m ? Number(m[1]) : -1;
}

/** TCP socket inodes (from /proc/net/tcp and tcp6), true for those on a watched mock port. */
function tcpInodes(): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9) out.set(f[9], mockPorts.has(parseInt(f[1].slice(f[1].lastIndexOf(":") + 1), 16)));
    }
  }
  return out;
}

/** A directory entry that may vanish while we read it (a thread ending, a descriptor closing). */
function tryRead(read: () => string): string | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/**
 * Samples RSS, heap, descriptors and threads now (no garbage collection first: see {@link forceGc}).
 *
 * @example
 * ```ts
 * forceGc();
 * const { rss, fds, threads } = sample();
 * ```
 */
export function sample(): Sample {
  const mem = process.memoryUsage();
  if (!hasProc) {
    const unknown = { fds: -1, clientFds: 0, mockFds: 0, threads: -1, rdk: 0, engine: 0, names: {} };
    return { rss: mem.rss, heap: mem.heapUsed, ...unknown };
  }
  const status = readFileSync("/proc/self/status", "utf8");
  // readdirSync opens the directory itself: one more than the process holds, the same in every sample.
  const fdList = readdirSync("/proc/self/fd");
  const tcp = tcpInodes();
  let clientFds = 0, mockFds = 0;
  for (const fd of fdList) {
    const link = tryRead(() => readlinkSync(`/proc/self/fd/${fd}`)) ?? "";
    if (link.startsWith("pipe:")) clientFds++;
    else if (link.startsWith("socket:[")) {
      const onMock = tcp.get(link.slice(8, -1));
      if (onMock === true) mockFds++;
      else if (onMock === false) clientFds++;
    }
  }
  const names: Record<string, number> = {};
  let rdk = 0, engine = 0;
  for (const tid of readdirSync("/proc/self/task")) {
    const comm = tryRead(() => readFileSync(`/proc/self/task/${tid}/comm`, "utf8"))?.trim();
    if (comm === undefined) continue;
    const name = comm.replace(/\d+/g, "");
    names[name] = (names[name] ?? 0) + 1;
    if (comm.startsWith("rdk:")) rdk++;
    else if (ENGINE_THREADS.test(comm)) engine++;
  }
  return {
    rss: statusField(status, "VmRSS") * 1024,
    heap: mem.heapUsed,
    fds: fdList.length,
    clientFds,
    mockFds,
    threads: statusField(status, "Threads"),
    rdk,
    engine,
    names,
  };
}

let warnedNoGc = false;

/**
 * A full, synchronous garbage collection: `Bun.gc(true)`, or `globalThis.gc` on
 * Deno (run it with `--v8-flags=--expose-gc`). Returns false, once warning, when
 * there is none: samples then include garbage the collector has not reached.
 *
 * @example
 * ```ts
 * forceGc();
 * ```
 */
export function forceGc(): boolean {
  if (runtimeGlobals.Bun) {
    runtimeGlobals.Bun.gc(true);
    return true;
  }
  if (typeof runtimeGlobals.gc === "function") {
    runtimeGlobals.gc();
    return true;
  }
  if (!warnedNoGc) {
    warnedNoGc = true;
    console.error("warning: no forced GC (run Deno with --v8-flags=--expose-gc); samples include uncollected garbage");
  }
  return false;
}

// --- arithmetic --------------------------------------------------------------

/**
 * The least-squares slope of `y` over `x` (0 for fewer than two points): bytes
 * per cycle when `x` counts cycles and `y` is RSS. Fitted over every sample in
 * the range, so one late sample (a collection that happened to run) weighs less
 * than in `(last - first) / n`.
 *
 * @example
 * ```ts
 * slope([0, 10, 20], [100, 110, 120]) === 1;
 * ```
 */
export function slope(x: readonly number[], y: readonly number[]): number {
  const n = Math.min(x.length, y.length);
  if (n < 2) return 0;
  let sx = 0, sy = 0;
  for (let i = 0; i < n; i++) {
    sx += x[i];
    sy += y[i];
  }
  const mx = sx / n, my = sy / n;
  let num = 0, den = 0;
  for (let i = 0; i < n; i++) {
    num += (x[i] - mx) * (y[i] - my);
    den += (x[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** Bytes as MiB with one decimal. @example `mib(3 * 2 ** 20) === "3.0"` */
export const mib = (n: number): string => (n / 2 ** 20).toFixed(1);

/** A count with thousands separators. @example `thousands(1234567) === "1,234,567"` */
export const thousands = (n: number): string => Math.round(n).toLocaleString("en-US");

// --- end of run --------------------------------------------------------------

/**
 * What must be true once every client is closed: no client counted open, no
 * background call running or waiting. Returns the problems found (empty: fine).
 *
 * @example
 * ```ts
 * const problems = leftovers();
 * if (problems.length > 0) process.exitCode = 1;
 * ```
 */
export function leftovers(): string[] {
  const problems: string[] = [];
  const limits = currentLimits();
  if (limits.openClients !== 0) problems.push(`currentLimits().openClients is ${limits.openClients}, expected 0`);
  const load = backgroundLoad() as unknown as Record<string, number>;
  const busy = Object.entries(load).filter(([, v]) => v !== 0);
  if (busy.length > 0) {
    problems.push(`background load is not zero: ${busy.map(([k, v]) => `${k} ${v}`).join(", ")}`);
  }
  return problems;
}

/**
 * Samples (after a forced GC) every 100 ms until `back(sample)` holds or
 * `timeoutMs` passed, and returns the last sample. Runtimes end idle pool threads
 * on their own some seconds after their last job (Deno's FFI workers and Bun's JIT
 * workers after about 10 s): such a thread still alive right after the last close
 * is not a leak, one that never ends is.
 *
 * @example
 * ```ts
 * const end = await settle(15_000, (s) => s.threads <= start.threads);
 * ```
 */
export async function settle(timeoutMs: number, back: (s: Sample) => boolean): Promise<Sample> {
  const until = performance.now() + timeoutMs;
  for (;;) {
    forceGc();
    const s = sample();
    if (back(s) || performance.now() >= until) return s;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The leaks a settled sample shows against the start: more pipes or TCP sockets
 * (the mock broker's side of connections aside), more librdkafka threads, or (when
 * `threads` is true) more threads other than the engine's housekeeping ones.
 *
 * @example
 * ```ts
 * problems.push(...leaks(start, end, true));
 * ```
 */
export function leaks(start: Sample, end: Sample, threads: boolean): string[] {
  const out: string[] = [];
  if (end.clientFds > start.clientFds) {
    out.push(`pipes and TCP sockets ${start.clientFds} -> ${end.clientFds} (the mock broker's side aside)`);
  }
  if (end.rdk > start.rdk) out.push(`librdkafka threads ${start.rdk} -> ${end.rdk}`);
  if (threads && end.threads - end.engine > start.threads - start.engine) {
    const grew = Object.entries(end.names)
      .filter(([n, c]) => c > (start.names[n] ?? 0) && !ENGINE_THREADS.test(n))
      .map(([n, c]) => `${n} ${start.names[n] ?? 0} -> ${c}`);
    out.push(
      `threads ${start.threads - start.engine} -> ${end.threads - end.engine} besides the engine's (${
        grew.join(", ")
      })`,
    );
  }
  return out;
}

// --- output ------------------------------------------------------------------

/**
 * Prints a Markdown table; columns after the first `left` are right-aligned.
 *
 * @example
 * ```ts
 * printTable(["kind", "cycles"], [["producer", "10,000"]]);
 * ```
 */
export function printTable(head: readonly string[], rows: readonly (readonly string[])[], left = 1): void {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    "| " + cells.map((c, i) => (i < left ? c.padEnd(w[i]) : c.padStart(w[i]))).join(" | ") + " |";
  console.log(line(head));
  console.log("|" + w.map((n, i) => "-".repeat(n + 1) + (i < left ? "-" : ":")).join("|") + "|");
  for (const r of rows) console.log(line(r));
}
