/**
 * The Deno backend: `Deno.dlopen`, `Deno.UnsafePointer(View)` and `nonblocking`
 * symbols. The only file of the library that touches `Deno.*`.
 *
 * Wake-up: librdkafka's `rd_kafka_queue_io_event_enable` writes a byte to a pipe;
 * a libc `read` declared `nonblocking: true` waits for it on a worker thread of
 * Deno's, never on the JS thread. A thread-safe `Deno.UnsafeCallback` with
 * `rd_kafka_queue_cb_event_enable` is not used: librdkafka calls it holding the
 * queue lock and Deno parks that thread until JS runs, which deadlocks.
 *
 * @module
 */
import type { Backend, MessageReader, NativeArg, NativeType, OpenLibrary, Ptr, SymbolSpec, Wakeup } from "./types.ts";
import { LIBC_SYMBOLS } from "./symbols.ts";
import { MESSAGE } from "./constants.ts";

type DenoType = "void" | "i32" | "u32" | "i64" | "u64" | "usize" | "isize" | "pointer" | "buffer";
/** dlopen flags (glibc): resolve now, and never unload the library. */
const RTLD_NOW = 0x2;
const RTLD_NODELETE = 0x1000;

const TYPE: Record<NativeType, DenoType> = {
  void: "void",
  i32: "i32",
  u32: "u32",
  i64: "i64",
  u64: "u64",
  usize: "usize",
  isize: "isize",
  ptr: "pointer",
  buf: "buffer",
};

/** The suffix of the background (nonblocking) variant of a symbol. */
const BG = "__bg";

function open(path: string, symbols: Record<string, SymbolSpec>): OpenLibrary {
  // deno-lint-ignore no-explicit-any
  const defs: Record<string, any> = {};
  for (const [name, spec] of Object.entries(symbols)) {
    const def = {
      name: spec.symbol ?? name,
      parameters: spec.parameters.map((t) => TYPE[t]),
      result: TYPE[spec.result],
      optional: spec.since !== undefined,
    };
    defs[name] = def;
    if (spec.background) defs[name + BG] = { ...def, nonblocking: true };
  }
  const lib = Deno.dlopen(path, defs);
  const missing = new Set<string>();
  // deno-lint-ignore no-explicit-any
  const call: Record<string, any> = {};
  // deno-lint-ignore no-explicit-any
  for (const [name, fn] of Object.entries(lib.symbols as Record<string, any>)) {
    if (fn === null) missing.add(name);
    else call[name] = fn;
  }
  return { path, call, missing, close: () => lib.close() };
}

let libc: OpenLibrary | undefined;
function getLibc(): OpenLibrary {
  libc ??= open("libc.so.6", LIBC_SYMBOLS);
  return libc;
}

// deno-lint-ignore no-explicit-any
let memcpy: ((...a: any[]) => unknown) | undefined;
// deno-lint-ignore no-explicit-any
let memcpyPtr: ((...a: any[]) => unknown) | undefined;

const asPtr = (p: Deno.PointerValue): Ptr => p as unknown as Ptr;
const raw = (p: Ptr): Deno.PointerValue => p as unknown as Deno.PointerValue;

function view(p: Ptr): Deno.UnsafePointerView {
  return new Deno.UnsafePointerView(raw(p) as Deno.PointerObject);
}

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
  if (c.pipe(new Uint8Array(fds.buffer)) !== 0) throw new Error("pipe() failed");
  const [rfd, wfd] = fds;
  let closed = false;
  const buf = new Uint8Array(256);
  (async () => {
    // One outstanding read at a time; it holds a Deno worker thread, not the JS thread.
    while (!closed) {
      const n = Number(await c["read" + BG](rfd, buf, 256n));
      if (closed) break;
      if (n > 0) wake(onWake);
      else if (n === 0) break; // write end closed
      // n < 0: EINTR or similar; read again.
    }
    c.close(rfd);
  })();
  return {
    fd: wfd,
    close() {
      if (closed) return;
      closed = true;
      // Unblock the pending read; it then closes the read end itself, so the fd
      // cannot be reused while a worker thread still reads it.
      c.write(wfd, new Uint8Array([0]), 1n);
      c.close(wfd);
    },
  };
}

/**
 * The Deno implementation of {@link Backend}.
 *
 * @example
 * ```ts
 * import { backend } from "./deno.ts";
 * const lib = backend.open("librdkafka.so.1", SYMBOLS);
 * ```
 */
/**
 * One memcpy of the struct, then typed-array reads (a call through
 * `UnsafePointerView` per field would cost a call each). Addresses go to C as
 * BigInts, read from the copy when a call needs one: Deno passes a BigInt to a
 * 64-bit parameter about ten times faster than a number (measured). Nothing read
 * eagerly is an address: in V8 a number beyond 31 bits is a heap allocation.
 */
const STRUCT_SIZE = BigInt(MESSAGE.size);
const P = MESSAGE.payload >>> 2;
const K = MESSAGE.key >>> 2;
const T = MESSAGE.rkt >>> 2;

class DenoMessageReader implements MessageReader {
  partition = 0;
  offset = 0n;
  len = 0;
  keyLen = 0;
  hasValue = false;
  hasKey = false;
  sameTopic = false;
  #raw = new Uint8Array(new ArrayBuffer(MESSAGE.size));
  #i32 = new Int32Array(this.#raw.buffer);
  #u64 = new BigUint64Array(this.#raw.buffer);
  #i64 = new BigInt64Array(this.#raw.buffer);
  #edge = new Uint8Array(new ArrayBuffer(8));
  /** The previous message's topic handle, as two int32 halves (small integers in V8). */
  #tlo = 0;
  #thi = 0;

  load(m: Ptr): void {
    (memcpyPtr ??= getLibc().call.memcpy_from_ptr)(this.#raw, raw(m), STRUCT_SIZE);
    const i = this.#i32;
    this.partition = i[MESSAGE.partition >>> 2];
    this.len = i[MESSAGE.len >>> 2]; // far below 2^31: librdkafka caps a message
    this.keyLen = i[MESSAGE.key_len >>> 2];
    this.offset = this.#i64[MESSAGE.offset >>> 3];
    this.hasValue = (i[P] | i[P + 1]) !== 0;
    this.hasKey = (i[K] | i[K + 1]) !== 0;
    const tlo = i[T];
    const thi = i[T + 1];
    this.sameTopic = tlo === this.#tlo && thi === this.#thi;
    this.#tlo = tlo;
    this.#thi = thi;
  }

  get topicKey(): bigint {
    return this.#u64[T >>> 1];
  }

  topic(): Ptr {
    return asPtr(Deno.UnsafePointer.create(this.#u64[T >>> 1]));
  }

  copyKey(dst: Uint8Array): void {
    (memcpy ??= getLibc().call.memcpy_from)(dst, this.#u64[K >>> 1], BigInt(dst.length));
  }

  copyValue(dst: Uint8Array): void {
    (memcpy ??= getLibc().call.memcpy_from)(dst, this.#u64[P >>> 1], BigInt(dst.length));
  }

  beforeValue(): number {
    const e = this.#edge;
    (memcpy ??= getLibc().call.memcpy_from)(e, this.#u64[P >>> 1] - 4n, 4n);
    return ((e[0] << 24) | (e[1] << 16) | (e[2] << 8) | e[3]) >>> 0;
  }

  afterValue(): number {
    const e = this.#edge;
    (memcpy ??= getLibc().call.memcpy_from)(e, this.#u64[P >>> 1] + BigInt(this.len), 1n);
    return e[0];
  }

  valueView(): ArrayBuffer {
    return Deno.UnsafePointerView.getArrayBuffer(Deno.UnsafePointer.create(this.#u64[P >>> 1])!, this.len);
  }
}

export const backend: Backend = {
  runtime: "deno",
  runtimeVersion: Deno.version.deno,
  env(name) {
    try {
      return Deno.env.get(name);
    } catch {
      return undefined; // no --allow-env: behave as if unset
    }
  },
  NULL: null as unknown as Ptr,
  open,
  isNull: (p) => p === null || p === undefined,
  ptrOf: (bytes) => asPtr(Deno.UnsafePointer.of(bytes as Uint8Array<ArrayBuffer>)),
  address: (p) => (p === null ? 0 : Number(Deno.UnsafePointer.value(raw(p)))),
  addressBig: (p) => (p === null ? 0n : BigInt(Deno.UnsafePointer.value(raw(p)))),
  fromAddress: (a) => asPtr(Deno.UnsafePointer.create(BigInt(a))),
  readCString: (p) => (p === null ? null : Deno.UnsafePointerView.getCString(raw(p) as Deno.PointerObject)),
  copyBytes(p, len) {
    const out = new Uint8Array(len);
    if (len > 0) view(p).copyInto(out);
    return out;
  },
  view: (p, len) => Deno.UnsafePointerView.getArrayBuffer(raw(p) as Deno.PointerObject, len),
  readI32: (p, off) => view(p).getInt32(off),
  readI64: (p, off) => view(p).getBigInt64(off),
  readPtr: (p, off) => asPtr(view(p).getPointer(off)),
  readUsize: (p, off) => Number(view(p).getBigUint64(off)),
  copyFromAddress(dst, addr, len) {
    (memcpy ??= getLibc().call.memcpy_from)(dst, addr, len);
  },
  pin(path) {
    const h = getLibc().call.dlopen(new TextEncoder().encode(`${path}\0`), RTLD_NOW | RTLD_NODELETE);
    return h !== null;
  },
  messageReader: () => new DenoMessageReader(),
  wakeup,
  background(lib: OpenLibrary, symbol: string, args: readonly NativeArg[]) {
    const fn = lib.call[symbol + BG];
    if (!fn) throw new Error(`${symbol} has no background variant`);
    return fn(...args);
  },
  gc() {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (!gc) return false;
    gc();
    return true;
  },
};
