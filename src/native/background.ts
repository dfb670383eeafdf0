/**
 * The background execution environment: runs librdkafka calls that can wait
 * (`rd_kafka_destroy`, `rd_kafka_mock_cluster_destroy`, …) off the JS thread.
 *
 * Deno runs them as `nonblocking` FFI symbols on its own worker threads; Bun in a
 * small pool of Workers (see `ffi/bun.ts`). Either way at most
 * `maxBackgroundCalls` run at once; the rest wait here in order.
 *
 * @module
 */
import type { NativeArg } from "../../ffi/mod.ts";
import { backend, lib } from "./lib.ts";
import { maxBackground } from "./limits.ts";

let running = 0;
const waiting: Array<() => void> = [];

/**
 * Runs a symbol declared `background: true` off the JS thread.
 *
 * @example
 * ```ts
 * await runInBackground("rd_kafka_destroy", [rk]);
 * ```
 */
export async function runInBackground(symbol: string, args: readonly NativeArg[]): Promise<unknown> {
  if (running >= maxBackground()) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await backend.background(lib(), symbol, args);
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** Calls running or waiting now (for tests and metrics). @example `backgroundLoad().running` */
export function backgroundLoad(): { running: number; waiting: number } {
  return { running, waiting: waiting.length };
}
