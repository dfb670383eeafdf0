/**
 * Finds and opens librdkafka for the running runtime, and checks its version.
 *
 * Order: the path in `KAFKA_FAST_LIBRDKAFKA` when it is set (and then only that
 * path: silently loading another librdkafka than the one asked for would hide a
 * misconfiguration), else the system's `librdkafka.so.1` through the dynamic
 * linker's search path, then well-known directories. The library opens on first
 * use, not at import, so importing kafka-fast never throws.
 *
 * @module
 */
import type { Backend, OpenLibrary } from "./types.ts";
import { type SymbolName, SYMBOLS } from "./symbols.ts";
import { MIN_LIBRDKAFKA_VERSION, MIN_LIBRDKAFKA_VERSION_STR } from "./constants.ts";

/**
 * librdkafka could not be loaded (not installed, wrong path, or too old).
 *
 * @example
 * ```ts
 * try { librdkafkaVersion(); } catch (e) { if (e instanceof LibraryLoadError) console.error(e.tried); }
 * ```
 */
export class LibraryLoadError extends Error {
  override name = "LibraryLoadError";
  /** Every path tried, with the reason each failed. */
  readonly tried: readonly string[];
  constructor(message: string, tried: readonly string[]) {
    super(message);
    this.tried = tried;
  }
}

const INSTALL_HINT = "Install librdkafka (Debian/Ubuntu: `apt-get install librdkafka1`; " +
  "macOS: `brew install librdkafka`) or set KAFKA_FAST_LIBRDKAFKA=/path/to/librdkafka.so";

const SYSTEM_PATHS = [
  "librdkafka.so.1",
  "/usr/lib/x86_64-linux-gnu/librdkafka.so.1",
  "/usr/lib/aarch64-linux-gnu/librdkafka.so.1",
  "/usr/local/lib/librdkafka.so.1",
  "/usr/lib/librdkafka.so.1",
  "/usr/lib64/librdkafka.so.1",
];

async function importBackend(): Promise<Backend> {
  // Non-literal specifiers keep each runtime from resolving the other's backend
  // (Deno's type checker cannot resolve `bun:ffi`).
  const file = "Bun" in globalThis ? "./bun.ts" : "./deno.ts";
  const mod = await import(new URL(file, import.meta.url).href);
  return mod.backend as Backend;
}

/**
 * The backend of the running runtime (Bun or Deno).
 *
 * @example
 * ```ts
 * import { backend } from "./loader.ts";
 * console.log(backend.runtime); // "bun" or "deno"
 * ```
 */
export const backend: Backend = await importBackend();

let lib: OpenLibrary | undefined;

/** Encodes `rd_kafka_version()`'s 0xMMmmrrxx as "M.m.r". */
function versionString(v: number): string {
  return `${(v >>> 24) & 0xff}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}`;
}

/** Parses "2.3.0" into the same encoding as `rd_kafka_version()` (pre-release byte 0xff). @example `parseVersion("2.0.2") === 0x020002ff` */
export function parseVersion(s: string): number {
  const [a = 0, b = 0, c = 0] = s.split(".").map((x) => parseInt(x, 10));
  return ((a << 24) | (b << 16) | (c << 8) | 0xff) >>> 0;
}

function openFirst(): OpenLibrary {
  const explicit = backend.env("KAFKA_FAST_LIBRDKAFKA");
  const candidates = explicit ? [explicit] : SYSTEM_PATHS;
  const tried: string[] = [];
  for (const path of candidates) {
    let opened: OpenLibrary;
    try {
      opened = backend.open(path, SYMBOLS);
    } catch (e) {
      tried.push(`${path}: ${(e as Error).message.split("\n")[0]}`);
      continue;
    }
    const v = opened.call.rd_kafka_version() >>> 0;
    if (v < MIN_LIBRDKAFKA_VERSION) {
      tried.push(`${path}: librdkafka ${versionString(v)} is older than ${MIN_LIBRDKAFKA_VERSION_STR}`);
      opened.close();
      continue;
    }
    // librdkafka's threads may outlive every handle (a consumer abandoned at a close
    // deadline): the library must stay mapped until the process ends.
    backend.pin(path);
    return opened;
  }
  throw new LibraryLoadError(
    `could not load librdkafka >= ${MIN_LIBRDKAFKA_VERSION_STR}. Tried:\n  ${tried.join("\n  ")}\n` +
      (explicit ? "KAFKA_FAST_LIBRDKAFKA is set: unset it to use the system librdkafka. " : "") + INSTALL_HINT,
    tried,
  );
}

/**
 * The opened librdkafka, loading it on first use.
 *
 * @throws {LibraryLoadError} when no usable librdkafka is found.
 * @example
 * ```ts
 * const rk = library().call.rd_kafka_conf_new();
 * ```
 */
export function library(): OpenLibrary {
  lib ??= openFirst();
  return lib;
}

/**
 * The loaded librdkafka's version string, e.g. `"2.0.2"`.
 *
 * @example
 * ```ts
 * import { librdkafkaVersion } from "kafka-fast";
 * console.log(librdkafkaVersion());
 * ```
 */
export function librdkafkaVersion(): string {
  return backend.readCString(library().call.rd_kafka_version_str()) ?? "unknown";
}

/**
 * True when the loaded librdkafka has `name` (symbols newer than 2.0.2 are optional).
 *
 * @example
 * ```ts
 * if (hasSymbol("rd_kafka_produceva")) { … }
 * ```
 */
export function hasSymbol(name: SymbolName): boolean {
  return !library().missing.has(name);
}

/**
 * Throws a {@link LibraryLoadError} naming the version `name` needs when the loaded
 * librdkafka lacks it.
 *
 * @example
 * ```ts
 * requireSymbol("rd_kafka_some_newer_call");
 * ```
 */
export function requireSymbol(name: SymbolName): void {
  if (!hasSymbol(name)) {
    throw missingSymbolError(name, (SYMBOLS[name] as { since?: string }).since ?? MIN_LIBRDKAFKA_VERSION_STR);
  }
}

/**
 * The error for a librdkafka function that the loaded library lacks.
 *
 * @example
 * ```ts
 * throw missingSymbolError("rd_kafka_DescribeTopics", "2.3.0");
 * ```
 */
export function missingSymbolError(name: string, since: string): LibraryLoadError {
  return new LibraryLoadError(
    `${name} needs librdkafka >= ${since}; the loaded one is ${librdkafkaVersion()} (${library().path})`,
    [library().path],
  );
}
