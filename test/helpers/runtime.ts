/**
 * Test helpers that differ by runtime: running a script in a fresh process of the
 * same runtime, forcing GC, sleeping.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { backend } from "../../ffi/mod.ts";

/** "bun" or "deno". @example `if (runtime === "deno") …` */
export const runtime: "bun" | "deno" = backend.runtime;

/** Resolves after `ms`. @example `await sleep(10)` */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Forces a full collection (Bun.gc / V8 gc with --expose-gc). @example `forceGc()` */
export function forceGc(): void {
  if (!backend.gc()) throw new Error("no GC hook: run Deno with --v8-flags=--expose-gc");
}

/** Result of {@link runScript}. */
export interface ScriptResult {
  status: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs `file` in a new process of the current runtime, with extra environment.
 *
 * @example
 * ```ts
 * const r = runScript(new URL("./fixtures/x.ts", import.meta.url), { FOO: "1" });
 * ```
 */
export function runScript(file: URL, env: Record<string, string> = {}, timeoutMs = 60_000): ScriptResult {
  const path = file.pathname;
  const exe = process.execPath;
  const args = runtime === "bun" ? [path] : ["run", "-A", "--v8-flags=--expose-gc", path];
  const t0 = performance.now();
  const r = spawnSync(exe, args, {
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: timeoutMs,
    killSignal: "SIGKILL",
  });
  return {
    status: r.status,
    signal: r.signal,
    stdout: r.stdout ?? "",
    stderr: r.stderr ?? "",
    ms: performance.now() - t0,
  };
}

/**
 * Polls `check` until it passes, then resolves; past `timeoutMs` rethrows its last
 * error. For changes that reach a broker's view a moment after the call that made
 * them (deleted topics, new partitions, configs, ACLs).
 *
 * @example
 * ```ts
 * await eventually(async () => assert.equal((await admin.describeTopics([t]))[0].partitions.length, 5));
 * ```
 */
export async function eventually(check: () => void | Promise<void>, timeoutMs = 15_000, stepMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(stepMs);
    }
  }
}
