/**
 * The fuzzer's command line. Each seed runs in a child process of the same
 * runtime (a crash, an abort inside librdkafka or a hang then names its seed),
 * which prints every operation as it makes it; a failing seed prints the end of
 * that sequence, the violations and the command that replays it.
 *
 * ```sh
 * node_modules/.bin/bun test/fuzz/run.ts --seeds 1..20 --steps 300 --known-bugs
 * node_modules/.bin/deno run -A --v8-flags=--expose-gc test/fuzz/run.ts --seed 7 --steps 300
 * KAFKA_FAST_LIBRDKAFKA=$(bash scripts/librdkafka.sh) node_modules/.bin/bun test/fuzz/run.ts --seeds 1..5
 * ```
 *
 * Options: `--seed N` or `--seeds A..B` (default 1..3), `--steps N` (default 100),
 * `--allowance MS` (scheduling slack added to every documented bound, default
 * 5000), `--exclude a,b` (operations, or `misuse:<generator>`, left out: known
 * bugs), `--known-bugs` (exclude those of {@link knownBugs}, as CI does), `--log
 * DIR` (every seed's full log), `--runtime-info`, `--quiet`, and `--child`
 * (internal: run one seed in this process).
 *
 * @module
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runtime } from "../helpers/runtime.ts";
import { librdkafkaVersion } from "../../src/mod.ts";
import { parseVersion } from "../../ffi/mod.ts";

/**
 * Operations (or misuse generators) left out by `--known-bugs` and by the CI run,
 * because they hit a bug the fuzzer found and reported with a reproduction. Each
 * is a flag the engine honours; remove an entry once its bug is fixed.
 *
 * @example
 * ```ts
 * await runSeeds({ seeds: [1], steps: 100, exclude: knownBugs() });
 * ```
 */
export function knownBugs(): string[] {
  return [
    // Fixed, and covered by test/edges_*.test.ts: configure() applying part of a refused call,
    // admin calls taking an array as options, a fromClient admin close leaving a call in flight,
    // watermarkOffsets ignoring its timeoutMs on 2.0.2 while the leader is down.
    ...(parseVersion(librdkafkaVersion()) < parseVersion("2.3.0")
      ? [
        // librdkafka < 2.3.0 aborts the process when a cooperative-sticky consumer's group is closed
        // before its first assignment (rdkafka_sticky_assignor.c: Assertion `assignor_state' failed;
        // librdkafka #4381, fixed in 2.3.0). close() now waits for the first assignment within its
        // timeout, but a close whose timeout ends first (a broker down throughout) still can.
        "cooperative-sticky",
      ]
      : []),
  ];
}

/** What a seed's child process did. @example `if (!r.ok) console.log(r.excerpt, r.replay)` */
export interface SeedResult {
  seed: number;
  ok: boolean;
  /** "pass", "violation", "hang", "crash (signal …)", "no exit", "timeout". */
  outcome: string;
  ms: number;
  /** The child's output (stdout, then stderr). */
  log: string;
  /** The last lines of the sequence and the violations, for a failure message. */
  excerpt: string;
  replay: string;
  /** Operations the child made (from its PASS/FAIL line). */
  calls: number;
}

/** Options of {@link runSeeds}. @example `{ seeds: [1, 2], steps: 100, exclude: knownBugs() }` */
export interface RunSeedsOptions {
  seeds: readonly number[];
  steps: number;
  allowance?: number;
  exclude?: readonly string[];
  /** Called with each line a child prints (for live output). */
  onLine?: (seed: number, line: string) => void;
  /** Called when a seed is done. */
  onResult?: (r: SeedResult) => void;
}

const RUN_PATH = fileURLToPath(import.meta.url);

/** How to run this file in a new process of the current runtime. */
function runtimeArgs(): string[] {
  return runtime === "bun" ? [RUN_PATH] : ["run", "-A", "--v8-flags=--expose-gc", RUN_PATH];
}

/**
 * The command that replays one seed, as a user types it from the repository root.
 *
 * @example
 * ```ts
 * replayCommand(7, 100, 5_000, []); // "node_modules/.bin/bun test/fuzz/run.ts --seed 7 --steps 100"
 * ```
 */
export function replayCommand(seed: number, steps: number, allowance: number, exclude: readonly string[]): string {
  const lib = process.env.KAFKA_FAST_LIBRDKAFKA ? `KAFKA_FAST_LIBRDKAFKA=${process.env.KAFKA_FAST_LIBRDKAFKA} ` : "";
  const exe = runtime === "bun" ? "node_modules/.bin/bun" : "node_modules/.bin/deno run -A --v8-flags=--expose-gc";
  const extra = (allowance !== 5_000 ? ` --allowance ${allowance}` : "") +
    (exclude.length ? ` --exclude ${exclude.join(",")}` : "");
  return `${lib}${exe} test/fuzz/run.ts --seed ${seed} --steps ${steps}${extra}`;
}

/** Runs one seed in a child process. */
function runChild(seed: number, o: RunSeedsOptions): Promise<SeedResult> {
  const allowance = o.allowance ?? 5_000;
  const exclude = o.exclude ?? [];
  const args = [
    ...runtimeArgs(),
    "--child",
    "--seed",
    String(seed),
    "--steps",
    String(o.steps),
    "--allowance",
    String(allowance),
  ];
  if (exclude.length) args.push("--exclude", exclude.join(","));
  const t0 = performance.now();
  // Generous: the child detects its own hangs after 120 s without progress.
  const limitMs = 240_000 + o.steps * 1_000;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env: process.env });
    let out = "";
    let err = "";
    let partial = "";
    let finishedAt = 0;
    let killedFor = "";
    const kill = (why: string) => {
      killedFor = why;
      child.kill("SIGKILL");
    };
    const timer = setTimeout(() => kill("timeout"), limitMs);
    let exitTimer: ReturnType<typeof setTimeout> | undefined;
    child.stdout.on("data", (d: Uint8Array) => {
      const s = new TextDecoder().decode(d);
      out += s;
      const lines = (partial + s).split("\n");
      partial = lines.pop()!;
      for (const line of lines) {
        o.onLine?.(seed, line);
        // After its last line the child must end by itself: every client is closed.
        if (/^(PASS|FAIL) seed=/.test(line) && !exitTimer) {
          finishedAt = performance.now();
          exitTimer = setTimeout(() => kill("no exit"), 20_000);
        }
      }
    });
    child.stderr.on("data", (d: Uint8Array) => (err += new TextDecoder().decode(d)));
    child.on("close", (code: number | null, signal: string | null) => {
      clearTimeout(timer);
      if (exitTimer) clearTimeout(exitTimer);
      if (partial) o.onLine?.(seed, partial);
      let outcome = code === 0 ? "pass" : code === 1 ? "violation" : code === 3 ? "hang" : `crash (exit ${code})`;
      if (signal) outcome = `crash (signal ${signal})`;
      if (killedFor === "no exit") {
        outcome = `no exit: the process was still alive ${
          Math.round((performance.now() - finishedAt) / 1000)
        } s after its last line`;
      } else if (killedFor) outcome = `timeout after ${limitMs / 1000} s`;
      const calls = Number(/calls=(\d+)/.exec(out)?.[1] ?? 0);
      const ok = outcome === "pass" && /^PASS seed=/m.test(out);
      const log = err ? `${out}\n--- stderr ---\n${err}` : out;
      resolve({
        seed,
        ok,
        outcome,
        ms: performance.now() - t0,
        log,
        excerpt: excerpt(out, err),
        replay: replayCommand(seed, o.steps, allowance, exclude),
        calls,
      });
    });
  });
}

/** The last operations before the failure, the violations, and the end of stderr (librdkafka's own asserts print there). */
function excerpt(out: string, err: string): string {
  const lines = out.split("\n");
  const firstViolation = lines.findIndex((l) => l.startsWith("VIOLATION") || l.startsWith("HANG"));
  const end = firstViolation >= 0 ? firstViolation + 1 : lines.length;
  const seq = lines.slice(Math.max(0, end - 80), end);
  const tail = lines.slice(end).filter((l) => /^(FAIL|PASS| {2}violation| {2}pending|VIOLATION)/.test(l));
  const errLines = err.split("\n").filter((l) => !/^%\d\|/.test(l)).slice(-15);
  return [...seq, ...tail, ...(errLines.some((l) => l.trim()) ? ["--- stderr (last lines) ---", ...errLines] : [])]
    .join("\n");
}

/**
 * Runs seeds one after another, each in its own child process.
 *
 * @example
 * ```ts
 * const results = await runSeeds({ seeds: [1, 2, 3], steps: 60 });
 * for (const r of results) if (!r.ok) console.log(r.excerpt, r.replay);
 * ```
 */
export async function runSeeds(o: RunSeedsOptions): Promise<SeedResult[]> {
  const results: SeedResult[] = [];
  for (const seed of o.seeds) {
    const r = await runChild(seed, o);
    results.push(r);
    o.onResult?.(r);
  }
  return results;
}

/** Parses `A..B` or `N`. */
function parseSeeds(s: string): number[] {
  const m = /^(\d+)\.\.(\d+)$/.exec(s);
  if (m) return Array.from({ length: Number(m[2]) - Number(m[1]) + 1 }, (_, i) => Number(m[1]) + i);
  if (/^\d+$/.test(s)) return [Number(s)];
  throw new Error(`bad seeds "${s}": N or A..B`);
}

async function main(argv: readonly string[]): Promise<number> {
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const steps = Number(arg("--steps") ?? 100);
  const allowance = Number(arg("--allowance") ?? 5_000);
  const exclude = (arg("--exclude") ?? "").split(",").filter(Boolean);
  if (argv.includes("--known-bugs")) exclude.push(...knownBugs().filter((b) => !exclude.includes(b)));
  if (argv.includes("--child")) {
    const { runSeed } = await import("./engine.ts");
    const code = await runSeed({ seed: Number(arg("--seed")), steps, allowance, excluded: new Set(exclude) });
    // A failed run may leave clients open (they keep the process alive): end it. A passed one must end by itself.
    if (code !== 0) process.exit(code);
    return code;
  }
  const say = (s: string) => writeSyncOut(s);
  if (argv.includes("--runtime-info")) {
    const { librdkafkaVersion } = await import("../../src/mod.ts");
    const version = runtime === "bun"
      ? `bun ${(globalThis as unknown as { Bun: { version: string } }).Bun.version}`
      : `deno ${(globalThis as unknown as { Deno: { version: { deno: string } } }).Deno.version.deno}`;
    say(`runtime: ${version}; librdkafka ${librdkafkaVersion()} (${process.env.KAFKA_FAST_LIBRDKAFKA ?? "system"})`);
    if (!arg("--seed") && !arg("--seeds")) return 0;
  }
  const seeds = arg("--seed") ? parseSeeds(arg("--seed")!) : parseSeeds(arg("--seeds") ?? "1..3");
  const logDir = arg("--log");
  if (logDir) mkdirSync(logDir, { recursive: true });
  const live = seeds.length === 1 && !argv.includes("--quiet");
  const t0 = performance.now();
  const results = await runSeeds({
    seeds,
    steps,
    allowance,
    exclude,
    onLine: live ? (_s, line) => say(line) : undefined,
    onResult: (r) => {
      if (logDir) writeFileSync(join(logDir, `${runtime}-seed-${r.seed}.log`), r.log);
      say(`seed ${r.seed}: ${r.outcome}, ${r.calls} calls, ${(r.ms / 1000).toFixed(1)} s`);
      if (r.ok) return;
      const file = join(logDir ?? join(tmpdir(), "kafka-fast-fuzz"), `${runtime}-seed-${r.seed}.log`);
      if (!logDir) mkdirSync(join(tmpdir(), "kafka-fast-fuzz"), { recursive: true });
      writeFileSync(file, r.log);
      if (!live) say(r.excerpt);
      say(`FAILED seed ${r.seed} (${r.outcome}); full log: ${file}\n  replay: ${r.replay}`);
    },
  });
  const failed = results.filter((r) => !r.ok);
  const calls = results.reduce((a, r) => a + r.calls, 0);
  say(
    `${results.length - failed.length}/${results.length} seeds passed (${steps} steps each, ${calls} calls) in ` +
      `${((performance.now() - t0) / 1000).toFixed(0)} s on ${runtime}` +
      (failed.length ? `; failed: ${failed.map((r) => r.seed).join(", ")}` : ""),
  );
  return failed.length ? 1 : 0;
}

function writeSyncOut(s: string): void {
  process.stdout.write(`${s}\n`);
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
