/**
 * The Bun backend: `bun:ffi` plus a small pool of Workers for calls that wait.
 * The only file of the library that imports `bun:ffi`.
 *
 * Wake-up: librdkafka's `rd_kafka_queue_io_event_enable` writes a byte to a pipe
 * whose read end Bun watches as an ordinary stream. No thread-safe `JSCallback` is
 * called from librdkafka's threads: Bun's have a record of heap corruption when
 * called from foreign threads (see docs/design-notes.md).
 *
 * Background calls (`rd_kafka_destroy`, …) run in Workers that open librdkafka
 * themselves, one at a time (Bun has crashed when Workers `dlopen` concurrently,
 * oven-sh/bun #40972). Pointers cross to a Worker as numbers. This same file is
 * the Workers' entry point.
 *
 * @module
 */
import { CString, dlopen, ptr, read, toArrayBuffer } from "bun:ffi";
import type { Backend, MessageReader, NativeArg, NativeType, OpenLibrary, Ptr, SymbolSpec, Wakeup } from "./types.ts";
import { LIBC_SYMBOLS } from "./symbols.ts";
import { MESSAGE } from "./constants.ts";

/** dlopen flags (glibc): resolve now, and never unload the library. */
const RTLD_NOW = 0x2;
const RTLD_NODELETE = 0x1000;

const TYPE: Record<NativeType, string> = {
  void: "void",
  i32: "i32",
  u32: "u32",
  i64: "i64",
  u64: "u64",
  usize: "u64",
  isize: "i64",
  ptr: "ptr",
  buf: "ptr",
};

// deno-lint-ignore no-explicit-any
type AnyFn = (...a: any[]) => any;

function toBun(spec: SymbolSpec): { args: string[]; returns: string } {
  return { args: spec.parameters.map((t) => TYPE[t]), returns: TYPE[spec.result] };
}

function open(path: string, symbols: Record<string, SymbolSpec>): OpenLibrary {
  const required: Record<string, ReturnType<typeof toBun>> = {};
  const optional: string[] = [];
  const aliases: string[] = [];
  for (const [name, spec] of Object.entries(symbols)) {
    if (spec.symbol !== undefined) aliases.push(name);
    else if (spec.since === undefined) required[name] = toBun(spec);
    else optional.push(name);
  }
  // deno-lint-ignore no-explicit-any
  const libs: any[] = [];
  const call: Record<string, AnyFn> = {};
  // bun:ffi refuses an empty symbol list.
  if (Object.keys(required).length > 0) {
    libs.push(dlopen(path, required as never));
    Object.assign(call, libs[0].symbols);
  }
  const missing = new Set<string>();
  // bun:ffi binds by key, so a symbol declared under another name opens alone.
  for (const name of [...optional, ...aliases]) {
    const cName = symbols[name].symbol ?? name;
    try {
      const one = dlopen(path, { [cName]: toBun(symbols[name]) } as never);
      libs.push(one);
      call[name] = one.symbols[cName];
    } catch (e) {
      if (symbols[name].since === undefined) throw e;
      missing.add(name);
    }
  }
  return { path, call, missing, close: () => libs.forEach((l) => l.close()) };
}

let libc: OpenLibrary | undefined;
function getLibc(): OpenLibrary {
  libc ??= open("libc.so.6", LIBC_SYMBOLS);
  return libc;
}

/**
 * memcpy bound with pointer-typed arguments and no result: Bun's fastest call shape
 * (a number into a `ptr` parameter), measured at about 7 ns against 17 ns for `u64`.
 */
let memcpy: AnyFn | undefined;
function bindMemcpy(): AnyFn {
  return dlopen("libc.so.6", { memcpy: { args: ["ptr", "ptr", "i32"], returns: "void" } } as never).symbols
    .memcpy as AnyFn;
}

const num = (p: Ptr): number => p as unknown as number;
const asPtr = (n: number | bigint | null): Ptr => (n === null ? 0 : Number(n)) as unknown as Ptr;

/** Runs a wake-up handler; an exception surfaces as an uncaught error but never stops the wake-ups. */
function wake(onWake: () => void): void {
  try {
    onWake();
  } catch (e) {
    queueMicrotask(() => {
      throw e;
    });
  }
}

function wakeup(onWake: () => void): Wakeup {
  const c = getLibc().call;
  const fds = new Int32Array(2);
  if (c.pipe(fds) !== 0) throw new Error("pipe() failed");
  const [rfd, wfd] = fds;
  let closed = false;
  const reader = Bun.file(rfd).stream().getReader();
  (async () => {
    while (!closed) {
      let done: boolean;
      try {
        done = (await reader.read()).done;
      } catch {
        break; // the stream errors when its fd closes under it; nothing to deliver then
      }
      if (done || closed) break;
      wake(onWake);
    }
    // Detach Bun's stream from the fd before closing it (cancel leaves the fd open),
    // so a later fd with the same number is never read by this stream.
    await reader.cancel().catch(() => {});
    c.close(rfd);
  })();
  return {
    fd: wfd,
    close() {
      if (closed) return;
      closed = true;
      // Wake the pending read so the loop ends and closes the read end itself.
      c.write(wfd, new Uint8Array([0]), 1);
      c.close(wfd);
    },
  };
}

// --- the background Worker pool -------------------------------------------

interface Job {
  id: number;
  symbol: string;
  args: NativeArg[];
}
interface PoolWorker {
  worker: Worker;
  ready: Promise<void>;
  busy: boolean;
  path: string;
}

const ERROR_CLASSES: Record<string, ErrorConstructor> = { TypeError, RangeError };
const pool: PoolWorker[] = [];
const jobs = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
let nextJob = 1;
let spawning: Promise<void> = Promise.resolve();

function spawn(lib: OpenLibrary): PoolWorker {
  const worker = new Worker(new URL(import.meta.url).href);
  let ready!: () => void;
  const opened = new Promise<void>((r) => (ready = r));
  // Opening librdkafka in several Workers at once has crashed Bun: start them one by one.
  const turn = spawning.then(() => {
    const bg = Object.entries(specs.get(lib) ?? {}).filter(([, s]) => s.background);
    worker.postMessage({ init: lib.path, specs: Object.fromEntries(bg) });
    return opened;
  });
  spawning = turn.catch(() => {});
  const pw: PoolWorker = { worker, busy: false, ready: turn, path: lib.path };
  worker.onmessage = (ev: MessageEvent) => {
    const d = ev.data as { ready?: true; id: number; ok?: unknown; err?: string; errName?: string };
    if (d.ready) return ready();
    const job = jobs.get(d.id);
    jobs.delete(d.id);
    pw.busy = false;
    if (!pool.some((w) => w.busy)) pool.forEach((w) => w.worker.unref());
    if (!job) return;
    // The error's class survives the Worker boundary: a TypeError stays a TypeError, as on Deno.
    if (d.err !== undefined) job.reject(new (ERROR_CLASSES[d.errName ?? ""] ?? Error)(d.err));
    else job.resolve(d.ok);
  };
  pool.push(pw);
  return pw;
}

async function background(lib: OpenLibrary, symbol: string, args: readonly NativeArg[]) {
  // The caller (src/native/background.ts) bounds concurrency, so a free worker or a
  // new one is always right; the pool never outgrows the limit.
  const pw = pool.find((w) => !w.busy && w.path === lib.path) ?? spawn(lib);
  pw.busy = true;
  pool.forEach((w) => w.worker.ref());
  await pw.ready;
  const id = nextJob++;
  return await new Promise((resolve, reject) => {
    jobs.set(id, { resolve, reject });
    const job: Job = { id, symbol, args: args.map((a) => (typeof a === "bigint" ? Number(a) : a)) };
    pw.worker.postMessage(job);
  });
}

const specs = new WeakMap<OpenLibrary, Record<string, SymbolSpec>>();

/**
 * The Bun implementation of {@link Backend}.
 *
 * @example
 * ```ts
 * import { backend } from "./bun.ts";
 * const lib = backend.open("librdkafka.so.1", SYMBOLS);
 * ```
 */
/**
 * One memcpy of the struct into JS memory, then typed-array reads with addresses
 * as numbers (two 32-bit halves): no BigInt but the offset. Measured against a
 * `read.*` per field: in the consumer's drain those did not inline and cost more
 * than the one call. Lengths are the low 32 bits of `size_t`.
 */
class BunMessageReader implements MessageReader {
  partition = 0;
  offset = 0n;
  len = 0;
  keyLen = 0;
  hasValue = false;
  hasKey = false;
  topicKey = 0;
  sameTopic = false;
  #value = 0;
  #key = 0;
  #raw = new Uint8Array(MESSAGE.size);
  #u32 = new Uint32Array(this.#raw.buffer);
  #i32 = new Int32Array(this.#raw.buffer);
  #i64 = new BigInt64Array(this.#raw.buffer);

  load(m: Ptr): void {
    (memcpy ??= bindMemcpy())(this.#raw, m, MESSAGE.size);
    const u = this.#u32;
    const rkt = u[MESSAGE.rkt >>> 2] + u[(MESSAGE.rkt >>> 2) + 1] * 4294967296;
    this.sameTopic = rkt === this.topicKey;
    this.topicKey = rkt;
    this.partition = this.#i32[MESSAGE.partition >>> 2];
    this.#value = u[MESSAGE.payload >>> 2] + u[(MESSAGE.payload >>> 2) + 1] * 4294967296;
    this.len = u[MESSAGE.len >>> 2];
    this.#key = u[MESSAGE.key >>> 2] + u[(MESSAGE.key >>> 2) + 1] * 4294967296;
    this.keyLen = u[MESSAGE.key_len >>> 2];
    this.offset = this.#i64[MESSAGE.offset >>> 3];
    this.hasValue = this.#value !== 0;
    this.hasKey = this.#key !== 0;
  }

  topic(): Ptr {
    return asPtr(this.topicKey);
  }

  copyKey(dst: Uint8Array): void {
    (memcpy ??= bindMemcpy())(dst, this.#key, dst.length);
  }

  copyValue(dst: Uint8Array): void {
    (memcpy ??= bindMemcpy())(dst, this.#value, dst.length);
  }

  beforeValue(): number {
    const b = read.u32((this.#value - 4) as never, 0); // little-endian load of big-endian bytes
    return (((b & 0xff) << 24) | ((b & 0xff00) << 8) | ((b >>> 8) & 0xff00) | (b >>> 24)) >>> 0;
  }

  afterValue(): number {
    return read.u8((this.#value + this.len) as never, 0);
  }

  valueView(): ArrayBuffer {
    return toArrayBuffer(this.#value as never, 0, this.len);
  }
}

export const backend: Backend = {
  runtime: "bun",
  runtimeVersion: Bun.version,
  env: (name) => process.env[name],
  NULL: 0 as unknown as Ptr,
  open(path, symbols) {
    const lib = open(path, symbols);
    specs.set(lib, symbols);
    return lib;
  },
  isNull: (p) => !p,
  ptrOf: (bytes) => asPtr(ptr(bytes)),
  address: (p) => num(p),
  addressBig: (p) => BigInt(num(p)),
  fromAddress: (a) => asPtr(a),
  readCString: (p) => (p ? new CString(num(p) as never).toString() : null),
  copyBytes(p, len) {
    if (len === 0) return new Uint8Array(0);
    return new Uint8Array(toArrayBuffer(num(p) as never, 0, len)).slice();
  },
  view: (p, len) => toArrayBuffer(num(p) as never, 0, len),
  readI32: (p, off) => read.i32(num(p) as never, off),
  readI64: (p, off) => read.i64(num(p) as never, off),
  readPtr: (p, off) => asPtr(read.ptr(num(p) as never, off)),
  readUsize: (p, off) => read.ptr(num(p) as never, off),
  copyFromAddress(dst, addr, len) {
    (memcpy ??= bindMemcpy())(dst, Number(addr), Number(len));
  },
  pin(path) {
    const h = getLibc().call.dlopen(new TextEncoder().encode(`${path}\0`), RTLD_NOW | RTLD_NODELETE);
    return !!h;
  },
  messageReader: () => new BunMessageReader(),
  wakeup,
  background,
  gc() {
    Bun.gc(true);
    return true;
  },
};

// --- Worker entry ------------------------------------------------------------
declare const self: Worker & { onmessage: ((ev: MessageEvent) => void) | null };
if (!Bun.isMainThread) {
  let fns: Record<string, AnyFn> = {};
  self.onmessage = (ev: MessageEvent) => {
    const d = ev.data as Job & { init?: string; specs?: Record<string, SymbolSpec> };
    if (d.init) {
      const defs = Object.fromEntries(Object.entries(d.specs ?? {}).map(([n, s]) => [n, toBun(s)]));
      try {
        fns = dlopen(d.init, defs as never).symbols as Record<string, AnyFn>;
      } catch {
        // Each job then reports "not a background symbol" instead of hanging.
      }
      self.postMessage({ ready: true });
      return;
    }
    try {
      const fn = fns[d.symbol];
      if (!fn) throw new Error(`${d.symbol} is not a background symbol`);
      const ok = fn(...d.args);
      self.postMessage({ id: d.id, ok: typeof ok === "bigint" ? Number(ok) : ok });
    } catch (e) {
      self.postMessage({ id: d.id, err: (e as Error)?.message ?? String(e), errName: (e as Error)?.name });
    }
  };
}
