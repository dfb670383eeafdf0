/**
 * The loaded librdkafka as `src/` sees it: the call table, the backend, a few
 * helpers for C strings, and librdkafka's error texts. Loading happens on first use.
 *
 * @module
 */
import { backend, library, type OpenLibrary, type Ptr, type SymbolCalls } from "../../ffi/mod.ts";
import { setDescriber } from "../errors.ts";

export { backend };
export type { Ptr };

let cached: SymbolCalls | undefined;
const err2str = new Map<number, string>();

/**
 * librdkafka's functions, loading the library on first use.
 *
 * @example
 * ```ts
 * const q = rd().rd_kafka_queue_get_main(rk);
 * ```
 */
export function rd(): SymbolCalls {
  if (cached) return cached;
  const lib = library();
  cached = lib.call;
  setDescriber((code) => {
    let s = err2str.get(code);
    if (s === undefined) {
      s = backend.readCString(lib.call.rd_kafka_err2str(code)) ?? `error ${code}`;
      err2str.set(code, s);
    }
    return s;
  });
  return cached;
}

/** The opened library (for background calls). @example `runInBackground(lib(), …)` */
export function lib(): OpenLibrary {
  rd();
  return library();
}

const encoder = new TextEncoder();

/**
 * A NUL-terminated UTF-8 copy of `s`, for `const char *` parameters.
 *
 * @example
 * ```ts
 * rd().rd_kafka_topic_new(rk, cstr("events"), backend.NULL);
 * ```
 */
export function cstr(s: string): Uint8Array {
  const out = new Uint8Array(s.length * 3 + 1);
  const { written } = encoder.encodeInto(s, out);
  return out.subarray(0, written + 1);
}

/**
 * Reads the NUL-terminated text in a caller-owned `errstr` buffer.
 *
 * @example
 * ```ts
 * const errstr = new Uint8Array(512);
 * rd().rd_kafka_conf_set(conf, cstr(k), cstr(v), errstr, 512n);
 * console.log(cbufText(errstr));
 * ```
 */
export function cbufText(buf: Uint8Array): string {
  const end = buf.indexOf(0);
  return new TextDecoder().decode(buf.subarray(0, end < 0 ? buf.length : end));
}

/**
 * A zeroed, off-heap byte buffer: its address stays put, so C may keep it.
 *
 * @example
 * ```ts
 * const outs = offHeap(64);
 * ```
 */
export function offHeap(size: number): Uint8Array {
  return new Uint8Array(new ArrayBuffer(size));
}

/**
 * An off-heap array of pointers (`T **`) for a request's array argument.
 *
 * @example
 * ```ts
 * rd().rd_kafka_DeleteTopics(rk, pointerArray(dts), BigInt(dts.length), opts, q);
 * ```
 */
export function pointerArray(items: readonly Ptr[]): Uint8Array {
  const out = offHeap(8 * Math.max(1, items.length));
  const dv = new DataView(out.buffer);
  items.forEach((p, i) => dv.setBigUint64(i * 8, backend.addressBig(p), true));
  return out;
}

/**
 * A `const char **` of these strings. The string buffers are off-heap and kept in
 * `keep`, which the caller holds until the call returned.
 *
 * @example
 * ```ts
 * const names = cstrArray(["a", "b"]);
 * rd().rd_kafka_DescribeConsumerGroups(rk, names.array, 2n, opts, q);
 * ```
 */
export function cstrArray(items: readonly string[]): { array: Uint8Array; keep: Uint8Array[] } {
  const keep = items.map(offHeapCstr);
  return { array: pointerArray(keep.map((b) => backend.ptrOf(b))), keep };
}

/** A NUL-terminated string in off-heap memory (its address stays put). @example `offHeapCstr("t")` */
export function offHeapCstr(s: string): Uint8Array {
  const bytes = cstr(s);
  const out = offHeap(bytes.length);
  out.set(bytes);
  return out;
}
