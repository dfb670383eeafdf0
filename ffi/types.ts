/**
 * The neutral FFI vocabulary shared by both runtime backends.
 *
 * `ffi/symbols.ts` declares librdkafka once in these terms; `ffi/bun.ts` and
 * `ffi/deno.ts` translate them to `bun:ffi` and `Deno.dlopen`. Above this line a
 * native pointer is the opaque {@link Ptr}: Bun represents pointers as numbers and
 * Deno as objects (or `null`), and no code outside the backends may care which.
 *
 * @module
 */

/** Parameter and result types a symbol may use. `buf` is a `Uint8Array` passed by address. @example `["ptr", "usize"]` */
export type NativeType =
  | "void"
  | "i32"
  | "u32"
  | "i64"
  | "u64"
  | "usize"
  | "isize"
  | "ptr"
  | "buf";

/** One C function: its parameter and result types, and the librdkafka version it first appeared in. @example `{ parameters: ["ptr"], result: "void", since: "2.3.0" }` */
export interface SymbolSpec {
  readonly parameters: readonly NativeType[];
  readonly result: NativeType;
  /** librdkafka version (e.g. "2.2.0") that added the symbol; absent means "in 2.0.2". */
  readonly since?: string;
  /**
   * The C function's name when the key differs: a second declaration of one
   * function with other parameter types (e.g. a pointer passed as its address).
   */
  readonly symbol?: string;
  /** Declare a second, waiting variant that runs off the JS thread (see {@link Backend.background}). */
  readonly background?: boolean;
}

declare const ptrBrand: unique symbol;
/**
 * An opaque native pointer. Never build one from a number; get it from a symbol's
 * result or from {@link Backend.ptrOf}. `null` pointers are represented by {@link Backend.NULL}.
 *
 * @example
 * ```ts
 * const rk: Ptr = lib.call.rd_kafka_new(0, conf, errbuf, 512n);
 * if (lib.isNull(rk)) throw new Error("rd_kafka_new failed");
 * ```
 */
export type Ptr = { readonly [ptrBrand]: true };

/** A value that may be passed where a symbol takes a pointer or integer. @example `lib.call.rd_kafka_poll(rk as NativeArg, 0)` */
// deno-lint-ignore no-explicit-any
export type NativeArg = any;

/** The loaded library: one synchronous function per declared symbol. @example `calls.rd_kafka_version()` */
// deno-lint-ignore no-explicit-any
export type SymbolCalls = Record<string, (...args: NativeArg[]) => any>;

/** A wake-up channel: librdkafka writes a byte to `fd` when a queue turns non-empty. @example `const w = backend.wakeup(drain); w.close();` */
export interface Wakeup {
  /** The write end, handed to `rd_kafka_queue_io_event_enable`. */
  readonly fd: number;
  /** Stops listening and closes both ends. Idempotent. */
  close(): void;
}

/**
 * What one runtime (Bun or Deno) provides to the rest of the library.
 *
 * @example
 * ```ts
 * const backend = await loadBackend();
 * const lib = backend.open("/usr/lib/x86_64-linux-gnu/librdkafka.so.1", SYMBOLS);
 * console.log(backend.readCString(lib.call.rd_kafka_version_str()));
 * ```
 */
export interface Backend {
  /** "bun" or "deno". */
  readonly runtime: "bun" | "deno";
  /** The runtime's own version string. */
  readonly runtimeVersion: string;
  /** Reads an environment variable; `undefined` when unset or not permitted. */
  env(name: string): string | undefined;
  /** The null pointer of this runtime. */
  readonly NULL: Ptr;
  /**
   * Opens a shared library and binds the symbols present in it; symbols absent from
   * the library are left out of `call` and listed in `missing`.
   */
  open(path: string, symbols: Record<string, SymbolSpec>): OpenLibrary;
  /** True when `p` is a null pointer. */
  isNull(p: Ptr | null | undefined): boolean;
  /** The address of an off-heap `Uint8Array`'s first byte (stable while it lives). */
  ptrOf(bytes: Uint8Array): Ptr;
  /** A pointer's address as a number (safe below 2^53, true on x86_64 user space). */
  address(p: Ptr): number;
  /** A pointer's address as a BigInt, the fast form for 64-bit parameters (hot paths). */
  addressBig(p: Ptr): bigint;
  /** The pointer at an address previously taken with {@link address}. */
  fromAddress(addr: number | bigint): Ptr;
  /** Reads a NUL-terminated UTF-8 string; `null` for a null pointer. */
  readCString(p: Ptr): string | null;
  /** Copies `len` bytes at `p` into a new `Uint8Array`. */
  copyBytes(p: Ptr, len: number): Uint8Array;
  /** A zero-copy `ArrayBuffer` over `len` bytes at `p`; valid only while the C memory lives. */
  view(p: Ptr, len: number): ArrayBuffer;
  /** Reads an `int32_t` at `p + off`. */
  readI32(p: Ptr, off: number): number;
  /** Reads an `int64_t` at `p + off`. */
  readI64(p: Ptr, off: number): bigint;
  /** Reads a pointer at `p + off`. */
  readPtr(p: Ptr, off: number): Ptr;
  /** Reads a pointer-sized unsigned integer at `p + off` as a number. */
  readUsize(p: Ptr, off: number): number;
  /** Copies `len` bytes from the C address `addr` into `dst` (libc `memcpy`; no allocation). */
  copyFromAddress(dst: Uint8Array, addr: bigint, len: bigint): void;
  /** A reader of `rd_kafka_message_t` fields (see {@link MessageReader}); one per consumer. */
  messageReader(): MessageReader;
  /** Creates a pipe whose read end calls `onWake` (on the JS thread) when bytes arrive. */
  wakeup(onWake: () => void): Wakeup;
  /**
   * Keeps the library at `path` loaded until the process ends (`dlopen` with
   * `RTLD_NODELETE`): librdkafka's threads may outlive every handle (a destroy
   * given up on at a close deadline), and Deno unloads FFI libraries at exit,
   * which then crashed the process (docs/runtime-bugs.md). Returns false when
   * the pin failed.
   */
  pin(path: string): boolean;
  /** Runs `symbol(...args)` off the JS thread; only symbols declared `background: true`. */
  background(lib: OpenLibrary, symbol: string, args: readonly NativeArg[]): Promise<unknown>;
  /** Forces a full garbage collection when the runtime exposes one (tests only). */
  gc(): boolean;
}

/**
 * The fields of one `rd_kafka_message_t`, read the cheapest way the runtime has: on
 * Bun with `read.*` at fixed offsets (JIT intrinsics: no call into C, addresses stay
 * numbers); on Deno with one `memcpy` of the struct into JS memory (addresses stay
 * BigInts, which Deno passes to C several times faster than numbers). One reader is
 * reused for every message: `load` overwrites the fields.
 *
 * @example
 * ```ts
 * const r = backend.messageReader();
 * r.load(m);
 * const value = r.hasValue ? new Uint8Array(r.len) : null;
 * if (value) r.copyValue(value);
 * ```
 */
export interface MessageReader {
  /** Reads the message at `m` (a live `rd_kafka_message_t *`). */
  load(m: Ptr): void;
  partition: number;
  offset: bigint;
  /** The value's length (0 for a null value too: see `hasValue`). */
  len: number;
  keyLen: number;
  hasValue: boolean;
  hasKey: boolean;
  /** The topic handle's address, a stable key for a map of topic names. */
  readonly topicKey: number | bigint;
  /** True when the topic handle is the one of the message loaded before (so `topicKey` need not be read). */
  sameTopic: boolean;
  /** The topic handle (`rd_kafka_topic_t *`). */
  topic(): Ptr;
  /** Copies the first `dst.length` key bytes into `dst`. */
  copyKey(dst: Uint8Array): void;
  /** Copies the first `dst.length` value bytes into `dst`. */
  copyValue(dst: Uint8Array): void;
  /** The 4 bytes just before the value, as a big-endian unsigned integer (the value must be non-empty). */
  beforeValue(): number;
  /** The byte just after the value (the value must be non-empty and inside a larger buffer). */
  afterValue(): number;
  /** A zero-copy `ArrayBuffer` over the value; valid only while the message lives. */
  valueView(): ArrayBuffer;
}

/** A library opened by a backend. @example `const lib = backend.open(path, SYMBOLS); lib.close();` */
export interface OpenLibrary {
  readonly path: string;
  readonly call: SymbolCalls;
  /** Symbols declared but not found in the library. */
  readonly missing: ReadonlySet<string>;
  close(): void;
}
