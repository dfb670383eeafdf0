/**
 * Soak: create/close cycles, per client kind, watching what a leak would move:
 * RSS, the JS heap, open file descriptors and threads, sampled after a forced GC
 * at every tenth of the run.
 *
 *   bun bench/soak/cycles.ts [--cycles 10000] [--kinds producer,consumer,…] [--smoke]
 *   deno run -A --v8-flags=--expose-gc bench/soak/cycles.ts [same flags]
 *
 * Flags: `--cycles N` per kind (default 10 000; `group` runs N/500, at least 1,
 * unless `--group-cycles`; `--mock-cycles` overrides `mock`'s); `--kinds` a comma
 * list of the kinds below; `--smoke` tiny counts for CI (under 20 s), without
 * `group`, all kinds in one process; `--in-process` / `--children` choose one
 * process for every kind or one child process per kind (the default without
 * `--smoke`); `--settle-ms` how long threads may take to end after the last close
 * (default 15 000: Deno's idle FFI worker threads and Bun's JIT workers end after
 * about 10 s); `--json FILE` writes every sample.
 *
 * Kinds: `producer`; `consumer` (a group.id, no subscription); `subscribed`
 * (subscribes and closes while the group join is in flight); `assigned` (a manual
 * assignment that reads one message: the gateway's per-request stream); `group` (a
 * real group join, then one message); `admin`; `mock` (a MockCluster). A join on
 * the mock takes 3 s (librdkafka 2.0.2's mock hard-codes
 * group.initial.rebalance.delay.ms; 2.12 can set it, kafka-fast does not bind
 * that): 10 000 joins would take 8 hours, hence `subscribed` for the full count and
 * `group` for a few. Each kind runs in its own process by default, so one kind's
 * retained memory is not the next kind's baseline and a crash names its kind.
 *
 * Verdict per kind: RSS growth in bytes per cycle, the least-squares slope over
 * the samples from 20 % to 100 % (after warm-up), reported only. Pipes and TCP
 * sockets (what a client opens; the in-process mock broker's side of connections
 * aside) and librdkafka's threads (`rdk:…`) must be back at their start values
 * within 5 s of the last close, all threads but the JS engine's within
 * `--settle-ms` (per kind, or once for the process with `--in-process`),
 * `currentLimits().openClients` at 0 and the background load at zero; otherwise
 * the exit code is 1.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import process from "node:process";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { AdminClient, Consumer, librdkafkaVersion, MockCluster, Producer } from "../../src/mod.ts";
import {
  flag,
  forceGc,
  intOption,
  IS_BUN,
  leaks,
  leftovers,
  mib,
  option,
  printTable,
  RUNTIME,
  type Sample,
  sample,
  settle,
  slope,
  thousands,
  watchMockPorts,
} from "./common.ts";

/** All descriptors, the client kinds among them (pipes, TCP sockets), and the mock broker's side apart. */
const fdCell = (s: Sample) => `${s.fds - s.mockFds} (${s.clientFds})` + (s.mockFds > 0 ? ` +${s.mockFds}` : "");
const threadCell = (s: Sample) => `${s.threads - s.engine} +${s.engine}`;

const SMOKE = flag("--smoke");
const CYCLES = intOption("--cycles", SMOKE ? 30 : 10_000);
const SETTLE_MS = intOption("--settle-ms", 15_000);
const CHILD = option("--child", "");
const JSON_OUT = option("--json", "");
/** --smoke runs in one process (one settle for all kinds); --children forces one process per kind. */
const IN_PROCESS = flag("--in-process") || (SMOKE && !flag("--children"));
const TOPIC = "soak";
const PARTITIONS = 4;

/** What a cycle may use: a mock cluster's address and a topic holding one message per partition. */
interface Env {
  bootstrap: string;
}

interface Kind {
  what: string;
  cycles: number;
  warmup: number;
  cycle(env: Env, i: number): Promise<void>;
}

/** A Consumer's read that must return a message (the topic has one per partition). */
async function readOne(c: Consumer, timeoutMs: number, what: string): Promise<void> {
  const m = await c.read({ timeoutMs });
  if (m === null) throw new Error(`${what}: no message within ${timeoutMs} ms`);
}

const groupCycles = intOption("--group-cycles", Math.max(1, Math.round(CYCLES / 500)));
const KINDS: Record<string, Kind> = {
  producer: {
    what: "new Producer, close",
    cycles: CYCLES,
    warmup: 20,
    cycle: async ({ bootstrap }) => {
      const p = new Producer({ "bootstrap.servers": bootstrap });
      await p.close();
    },
  },
  consumer: {
    what: "new Consumer with a group.id, no subscription, close",
    cycles: CYCLES,
    warmup: 20,
    cycle: async ({ bootstrap }) => {
      const c = new Consumer({ "bootstrap.servers": bootstrap, "group.id": "soak-idle" });
      await c.close();
    },
  },
  subscribed: {
    what: "new Consumer subscribed to a topic, close while the group join is in flight",
    cycles: CYCLES,
    warmup: 20,
    cycle: async ({ bootstrap }, i) => {
      // A few group ids in turn: each is empty again when its turn comes, as after a restart.
      const c = new Consumer({ "bootstrap.servers": bootstrap, "group.id": `soak-sub-${i % 4}` }, { topics: [TOPIC] });
      await c.close();
    },
  },
  assigned: {
    what: "new Consumer assigned one partition, read one message, close",
    cycles: CYCLES,
    warmup: 20,
    cycle: async ({ bootstrap }, i) => {
      const c = new Consumer({ "bootstrap.servers": bootstrap }, {
        assignment: [{ topic: TOPIC, partition: i % PARTITIONS, offset: 0n }],
      });
      await readOne(c, 10_000, "assigned");
      await c.close();
    },
  },
  group: {
    what: "new Consumer subscribed, join the group (3 s on the mock), read one message, close",
    cycles: groupCycles,
    warmup: 1,
    cycle: async ({ bootstrap }, i) => {
      // A new group each time: the last one committed its offset, and a group with a
      // member that just left waits out the session timeout (45 s) before it rebalances.
      const config = {
        "bootstrap.servers": bootstrap,
        "group.id": `soak-join-${i}`,
        "auto.offset.reset": "earliest",
      };
      const c = new Consumer(config, { topics: [TOPIC] });
      await readOne(c, 30_000, "group");
      await c.close();
    },
  },
  admin: {
    what: "new AdminClient, close",
    cycles: CYCLES,
    warmup: 20,
    cycle: async ({ bootstrap }) => {
      const a = new AdminClient({ "bootstrap.servers": bootstrap });
      await a.close();
    },
  },
  mock: {
    what: "MockCluster.create, close",
    cycles: intOption("--mock-cycles", SMOKE ? 3 : CYCLES),
    // librdkafka 2.0.2's mock thread misses the wake-up of about one destroy in three and sleeps out its 1 s poll.
    warmup: SMOKE ? 1 : 3,
    cycle: async () => {
      const m = await MockCluster.create();
      await m.close();
    },
  },
};
const DEFAULT_KINDS = SMOKE ? "producer,consumer,subscribed,assigned,admin,mock" : Object.keys(KINDS).join(",");
const SELECTED = option("--kinds", DEFAULT_KINDS).split(",").filter((k) => k !== "");
for (const k of SELECTED) {
  if (!(k in KINDS)) throw new TypeError(`--kinds: unknown kind "${k}" (known: ${Object.keys(KINDS).join(", ")})`);
}

/** One kind's run, as printed and as written by `--json`. */
interface KindResult {
  kind: string;
  cycles: number;
  wallMs: number;
  samples: Array<Sample & { done: number; ms: number }>;
  end: Sample;
  /** RSS growth per cycle over the last 80 % of the run (least squares), bytes. */
  growth: number;
  problems: string[];
}

/** The cycle counts at which to sample: start, every tenth, end (no repeats for tiny runs). */
function checkpoints(n: number): number[] {
  return [...new Set(Array.from({ length: 11 }, (_, k) => Math.round((k * n) / 10)))];
}

/**
 * Runs one kind. Descriptors and librdkafka threads must be back at their start
 * values within 5 s of the last close; all threads too (within `--settle-ms`)
 * when `allThreads`, else the caller checks them once for the whole process.
 */
async function runKind(name: string, env: Env, allThreads: boolean): Promise<KindResult> {
  const kind = KINDS[name];
  const n = kind.cycles;
  const samples: KindResult["samples"] = [];
  const problems: string[] = [];
  const failed = (i: number, e: unknown) =>
    problems.push(`cycle ${i} failed: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  try {
    // Warm-up: the library loads, the JIT settles, pools (Bun's Workers, Deno's FFI threads) reach their size.
    for (let i = 0; i < Math.min(kind.warmup, n); i++) await kind.cycle(env, n + i);
  } catch (e) {
    failed(-1, e);
  }
  const marks = checkpoints(n);
  const t0 = performance.now();
  console.log(`\n## ${name}: ${kind.what}, ${thousands(n)} cycles (after ${kind.warmup} warm-up)\n`);
  const head = ["done", "RSS MiB", "heap MiB", "fds (pipes+TCP) +mock's", "threads (+engine's)", "elapsed s"];
  console.log(`| ${head.join(" | ")} |`);
  console.log(`|${head.map(() => "---:").join("|")}|`);
  for (let i = 0, m = 0; i <= n; i++) {
    if (i === marks[m]) {
      m++;
      forceGc();
      const s = { ...sample(), done: i, ms: performance.now() - t0 };
      samples.push(s);
      console.log(
        `| ${thousands(i)} | ${mib(s.rss)} | ${mib(s.heap)} | ${fdCell(s)} | ${threadCell(s)} | ` +
          `${(s.ms / 1000).toFixed(1)} |`,
      );
    }
    if (i === n) break;
    if (problems.length > 0) break;
    try {
      await kind.cycle(env, i);
    } catch (e) {
      failed(i, e);
    }
  }
  const wallMs = performance.now() - t0;
  const start = samples[0];
  const settleStart = performance.now();
  // Up to 5 s: the mock broker (in this process) keeps its end of a connection whose
  // JoinGroup it holds, in CLOSE_WAIT, until the 3 s join delay ends.
  let end = await settle(5_000, (x) => leaks(start, x, false).length === 0);
  if (allThreads) end = await settle(SETTLE_MS, (x) => leaks(start, x, true).length === 0);
  const settledMs = performance.now() - settleStart;
  problems.push(...leaks(start, end, allThreads));
  const late = samples.filter((s) => s.done >= 0.2 * n);
  const growth = slope(late.map((s) => s.done), late.map((s) => s.rss));
  console.log(
    `\n${name}: ${(wallMs / Math.max(1, n)).toFixed(2)} ms/cycle; RSS ${mib(start.rss)} -> ` +
      `${mib(samples[samples.length - 1].rss)} MiB, growth ${thousands(growth)} B/cycle over the last 80 %; ` +
      `after settling (${(settledMs / 1000).toFixed(1)} s): fds ${fdCell(start)} -> ${fdCell(end)}, ` +
      `threads ${threadCell(start)} -> ${threadCell(end)}, librdkafka's ${start.rdk} -> ${end.rdk}` +
      (problems.length > 0 ? `\n${name}: PROBLEM: ${problems.join("; ")}` : ""),
  );
  return { kind: name, cycles: n, wallMs, samples, end, growth, problems };
}

/**
 * Runs the kinds here, with one mock cluster (and its topic) for all of them. With
 * several kinds, all threads are checked once at the end (one settle, not one per kind).
 */
async function runHere(kinds: readonly string[]): Promise<KindResult[]> {
  const cluster = await MockCluster.create();
  const env: Env = { bootstrap: cluster.bootstrapServers };
  watchMockPorts(env.bootstrap);
  await cluster.createTopic(TOPIC, { partitions: PARTITIONS });
  const seed = new Producer({ "bootstrap.servers": env.bootstrap });
  await seed.sendMulti(Array.from({ length: PARTITIONS }, (_, p) => ({ topic: TOPIC, partition: p, value: "soak" })));
  await seed.close();
  const results: KindResult[] = [];
  for (const k of kinds) results.push(await runKind(k, env, kinds.length === 1));
  await cluster.close();
  const left = leftovers();
  // The baseline: the first kind's start (librdkafka loaded, the runtime's pools started).
  const first = results[0]?.samples[0];
  if (kinds.length > 1 && first) {
    const end = await settle(SETTLE_MS, (x) => leaks(first, x, true).length === 0);
    console.log(
      `\nthe process after the last close: fds ${fdCell(first)} -> ${fdCell(end)}, ` +
        `threads ${threadCell(first)} -> ${threadCell(end)}`,
    );
    left.push(...leaks(first, end, true).map((p) => `the whole process: ${p}`));
  }
  if (left.length > 0) {
    console.log(`\nPROBLEM at the end: ${left.join("; ")}`);
    results[results.length - 1]?.problems.push(...left);
  }
  return results;
}

const RESULT_TAG = "SOAK-RESULT ";

/** Runs one kind in a child process of the same runtime; its output passes through. */
function runChild(kind: string): Promise<KindResult> {
  const script = fileURLToPath(import.meta.url);
  const pass = ["--cycles", String(CYCLES), "--settle-ms", String(SETTLE_MS), "--group-cycles", String(groupCycles)];
  pass.push("--mock-cycles", String(KINDS.mock.cycles));
  if (SMOKE) pass.push("--smoke");
  const args = IS_BUN
    ? [script, "--child", kind, ...pass]
    : ["run", "-A", "--v8-flags=--expose-gc", script, "--child", kind, ...pass];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
    let result: KindResult | undefined;
    let buffered = "";
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.startsWith(RESULT_TAG)) result = JSON.parse(line.slice(RESULT_TAG.length));
        else console.log(line);
      }
    });
    child.on("close", (code, signal) => {
      if (buffered) console.log(buffered);
      if (result && code === 0) return resolve(result);
      const how = signal ? `killed by ${signal}` : `exit code ${code}`;
      const crashed: KindResult = result ?? {
        kind,
        cycles: KINDS[kind].cycles,
        wallMs: 0,
        samples: [],
        end: { rss: 0, heap: 0, fds: -1, clientFds: 0, mockFds: 0, threads: -1, rdk: 0, engine: 0, names: {} },
        growth: NaN,
        problems: [],
      };
      if (!result) crashed.problems.push(`the child process ended without a result (${how})`);
      resolve(crashed);
    });
  });
}

function summary(results: readonly KindResult[]): void {
  console.log(`\n# Summary: ${RUNTIME}, librdkafka ${librdkafkaVersion()}\n`);
  const rows = results.map((r) => {
    const s = r.samples;
    const first = s[0], last = s[s.length - 1];
    const at20 = s.find((x) => x.done >= 0.2 * r.cycles);
    const cell = (f: (x: Sample) => string) => (first && last ? `${f(first)} → ${f(last)}` : "-");
    return [
      r.kind,
      thousands(r.cycles),
      r.cycles > 0 && r.wallMs > 0 ? (r.wallMs / r.cycles).toFixed(2) : "-",
      cell((x) => mib(x.rss)),
      at20 ? mib(at20.rss) : "-",
      Number.isFinite(r.growth) ? thousands(r.growth) : "-",
      cell((x) => mib(x.heap)),
      first ? `${first.clientFds} → ${r.end.clientFds}` : "-",
      first ? `${first.threads - first.engine} → ${r.end.threads - r.end.engine}` : "-",
      first ? `${first.rdk} → ${r.end.rdk}` : "-",
      r.problems.length === 0 ? "ok" : "FAIL",
    ];
  });
  printTable(
    [
      "kind",
      "cycles",
      "ms/cycle",
      "RSS MiB start → end",
      "at 20 %",
      "B/cycle (last 80 %)",
      "heap MiB",
      "fds¹",
      "threads²",
      "rdk:³",
      "",
    ],
    rows,
  );
  console.log(
    "\n¹ pipes and TCP sockets (what a client opens), the mock broker's side of connections aside; ² the JS engine's housekeeping threads aside " +
      "(common.ts ENGINE_THREADS); ³ librdkafka's threads (the mock cluster's 4 included). fds and threads: " +
      "at the start, and after the last close once settled.",
  );
  for (const r of results) for (const p of r.problems) console.log(`- ${r.kind}: ${p}`);
}

if (CHILD) {
  const [result] = await runHere([CHILD]);
  console.log(RESULT_TAG + JSON.stringify(result));
  process.exit(0);
} else {
  const env = ["MALLOC_ARENA_MAX", "KAFKA_FAST_LIBRDKAFKA"].filter((k) => process.env[k]).map((k) =>
    `${k}=${process.env[k]}`
  );
  console.log(`# kafka-fast soak: create/close cycles${SMOKE ? " (smoke)" : ""}`);
  console.log(
    `${RUNTIME}; librdkafka ${librdkafkaVersion()}; kinds ${SELECTED.join(", ")}` + (env.length ? `; ${env}` : ""),
  );
  const t0 = performance.now();
  const results: KindResult[] = [];
  if (IN_PROCESS) results.push(...await runHere(SELECTED));
  else for (const k of SELECTED) results.push(await runChild(k));
  summary(results);
  console.log(`\nwall time ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify({ runtime: RUNTIME, results }, null, 1));
  const failed = results.some((r) => r.problems.length > 0);
  process.exit(failed ? 1 : 0);
}
