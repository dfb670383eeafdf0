/**
 * The raw FFI layer: symbols, constants, struct offsets, and the runtime backend.
 * Never imports from `src/`.
 *
 * @example
 * ```ts
 * import { backend, library } from "../ffi/mod.ts";
 * console.log(backend.runtime, library().path);
 * ```
 * @module
 */
export * from "./types.ts";
export * from "./symbols.ts";
export * from "./symbols_admin.ts";
export * from "./constants.ts";
export * from "./constants_admin.ts";
export * from "./loader.ts";
