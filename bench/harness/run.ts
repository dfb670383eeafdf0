/**
 * The benchmark harness: every client (bench/harness/clients.ts) through every
 * scenario (bench/harness/PROTOCOL.md) on a real broker and on the mock cluster, in
 * alternating order, several repetitions; prints medians and ratios to the C
 * program, and writes the raw results, a Markdown report and an SVG chart.
 *
 * Run it through `npm run bench` (scripts/bench.sh), which builds the C programs,
 * installs the peers and starts the broker first. Flags:
 *
 *   --smoke              tiny counts, one repetition (CI: the harness must not rot)
 *   --reps N             repetitions of every cell (default 3)
 *   --tiers kafka,mock   where to run (default both; kafka needs KAFKA_BOOTSTRAP)
 *   --sizes 100,1024,10240   value sizes of the throughput scenarios
 *   --scenarios produce,consume,latency,e2e
 *   --clients c,kafka-fast@bun,...   only these (ids as in clients.ts)
 *   --out DIR            where results go (default bench/results/<time>)
 *   --soak N             kafka-fast alone produces N messages, RSS every tenth
 *                        (default 10 000 000; 20 000 with --smoke; 0 skips it)
 *   --write              also put the report and chart into docs/
 *   --from DIR           no run: the report of DIR/results.json again (with --write, into docs/)
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import process from "node:process";
import { type Client, listClients, type Result, runWorker, type Spec } from "./clients.ts";
import { jsFiller, kafkaTier, mockTier, type Tier } from "./tiers.ts";
import { writeReport } from "./report.ts";
import type { Cell, Run } from "./summary.ts";

const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const smoke = flag("smoke");
const reps = Number(opt("reps", smoke ? "1" : "3"));
const tiers = opt("tiers", "kafka,mock").split(",");
const sizes = opt("sizes", "100,1024,10240").split(",").map(Number);
const scenarios = opt("scenarios", "produce,consume,latency,e2e").split(",");
const only = opt("clients", "");
const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
const outDir = opt("out", `${ROOT}/bench/results/${stamp}`);

/**
 * Messages per run: 30 / 100 / 200 MB of values, so the slowest peer still ends within
 * about 15 s. Consuming from the broker gets more (100 / 300 / 600 MB): C reads 20 000 ×
 * 10 KiB in 0.12 s, too short a phase for start-up not to dominate (measured: 0.46× and
 * 0.12× for Bun and Deno there, 0.88× and 0.89× over 50 000).
 */
function countFor(scenario: string, size: number, tier?: string): number {
  if (scenario === "latency") return smoke ? 50 : 2000;
  if (scenario === "e2e") return smoke ? 20 : 1000;
  if (smoke) return size >= 10240 ? 200 : size >= 1024 ? 1000 : 2000;
  if (scenario === "consume" && tier === "kafka") return size >= 10240 ? 60_000 : size >= 1024 ? 300_000 : 1_000_000;
  return size >= 10240 ? 20_000 : size >= 1024 ? 100_000 : 300_000;
}

/**
 * Partitions of a throughput topic: 8 on a broker; on the mock enough that no
 * partition holds more than 60 000 messages or 3 MiB (it keeps about 100k / 5 MiB
 * and silently drops older ones, which would starve a consumer).
 */
function partitionsFor(tier: Tier, count: number, size: number): number {
  if (tier.name === "kafka") return 8;
  return Math.max(8, Math.ceil(count / 60_000), Math.ceil((count * size) / (3 << 20)));
}

/**
 * The cells of a tier. Not e2e on the mock: its Fetch handler holds a fetch that
 * finds no data for the whole `fetch.wait.max.ms` even when data arrives meanwhile
 * (measured: 501 ms p50 for C and for kafka-fast alike), so it would time the mock.
 */
function cells(tier?: string): Cell[] {
  const out: Cell[] = [];
  for (const scenario of scenarios) {
    if (tier === "mock" && scenario === "e2e") continue;
    const ss = scenario === "latency" || scenario === "e2e" ? [100] : sizes;
    for (const size of ss) {
      out.push({ scenario: scenario as Spec["scenario"], size, count: countFor(scenario, size, tier) });
    }
  }
  return out;
}

const bun = `${ROOT}/node_modules/.bin/bun`;
const deno = `${ROOT}/node_modules/.bin/deno`;
let clients = listClients({ root: ROOT, bun, deno, peersStatus: `${ROOT}/bench/.peers/status` });
if (only) clients = clients.filter((c) => only.split(",").includes(c.id));
const runnable = clients.filter((c) => c.argv);

mkdirSync(outDir, { recursive: true });
const logFile = `${outDir}/workers.log`;
const log = (s: string) => appendFileSync(logFile, s);

/** The C program fills topics when it is built (fastest), else kafka-fast does. */
const c = clients.find((x) => x.id === "c");
const filler = c?.argv
  ? async (bootstrap: string, topic: string, partitions: number, count: number, size: number) => {
    const r = await runWorker(
      c.argv!({ scenario: "fill" as Spec["scenario"], bootstrap, topic, partitions, count, size }),
      300_000,
      log,
    );
    if (r.error) throw new Error(`fill ${topic}: ${r.error}`);
  }
  : jsFiller;

async function openTier(name: string): Promise<Tier> {
  if (name === "mock") return await mockTier(`${ROOT}/bench/native/build/mock`, 1, filler);
  const b = process.env.KAFKA_BOOTSTRAP;
  if (!b) throw new Error("the kafka tier needs KAFKA_BOOTSTRAP (scripts/bench.sh starts a broker and sets it)");
  return kafkaTier(b, filler);
}

let seq = 0;
const fresh = (what: string) => `bench-${what}-${stamp}-${++seq}`.toLowerCase();

/** One cell on one tier: topics set up once, then every client `reps` times, rotating who goes first. */
async function runCell(tierName: string, cell: Cell, runs: Run[]): Promise<void> {
  // A fresh mock per cell: the mock never frees a topic, and old data would pile up.
  const tier = await openTier(tierName);
  try {
    const { scenario, size, count } = cell;
    const parts = scenario === "latency" || scenario === "e2e" ? 1 : partitionsFor(tier, count, size);
    // Consume, latency and e2e share one topic per cell; so does produce on the mock (which never frees a topic's
    // memory; its per-partition cap bounds it). Produce on a broker gets a fresh topic per run, deleted after (disk).
    const shared = fresh(`${scenario}-${size}`);
    if (scenario !== "produce" || tier.name === "mock") await tier.topic(shared, parts);
    if (scenario === "consume") await tier.fill(shared, parts, count, size);
    for (let rep = 0; rep < reps; rep++) {
      const order = runnable.map((_, i) => runnable[(i + rep) % runnable.length]);
      for (const client of order) {
        if (client.skip?.[`${tierName}:${scenario}`]) continue;
        let topic = shared;
        if (scenario === "produce" && tier.name === "kafka") {
          topic = fresh(`produce-${size}`);
          await tier.topic(topic, parts);
        }
        // Fewer latency samples for a client whose every send takes ~100 ms.
        const n = scenario === "latency" && client.latencySamples ? Math.min(count, client.latencySamples) : count;
        const spec: Spec = {
          scenario,
          size,
          count: n,
          bootstrap: tier.bootstrap,
          topic,
          partitions: parts,
          group: fresh("group"),
        };
        log(`\n=== ${tierName} ${scenario} ${size} rep ${rep + 1} ${client.id}\n`);
        const t0 = performance.now();
        const result: Result = await runWorker(client.argv!(spec), smoke ? 60_000 : 240_000, log);
        const wall = (performance.now() - t0) / 1000;
        runs.push({ tier: tierName, ...cell, rep, client: client.id, result });
        const what = result.error ? `FAILED ${result.error}` : summary(scenario, result);
        console.log(`  ${tierName} ${scenario} ${size} B rep ${rep + 1} ${client.id}: ${what} (${wall.toFixed(1)} s)`);
        if (topic !== shared) await tier.drop(topic);
      }
    }
    if (tier.name === "kafka") await tier.drop(shared);
  } finally {
    await tier.close();
  }
}

function summary(scenario: string, r: Result): string {
  if (scenario === "latency" || scenario === "e2e") {
    return `p50 ${r.p50Ms?.toFixed(3)} ms, p99 ${r.p99Ms?.toFixed(3)} ms`;
  }
  return `${Math.round(r.msgs! / r.seconds!)} msg/s, lag p99 ${r.lagP99Ms?.toFixed(1) ?? "-"} ms`;
}

/**
 * RSS over a long run: kafka-fast alone (Bun, Deno) produces `n` messages of 100 B
 * on each tier, RSS sampled every tenth. Not a comparison, so not alternated.
 */
async function soak(tierName: string, n: number): Promise<string[]> {
  const lines: string[] = [];
  const tier = await openTier(tierName);
  try {
    const topic = fresh("soak");
    await tier.topic(topic, 8);
    for (const c of clients.filter((x) => x.argv && x.id.startsWith("kafka-fast@"))) {
      const spec: Spec = {
        scenario: "soak" as Spec["scenario"],
        size: 100,
        count: n,
        bootstrap: tier.bootstrap,
        topic,
        partitions: 8,
      };
      log(`\n=== ${tierName} soak ${n} ${c.id}\n`);
      const r = await runWorker(c.argv!(spec), 900_000, log) as Result & { rssSamplesMiB?: number[] };
      const what = r.error
        ? `FAILED ${r.error}`
        : `${n.toLocaleString("en-US")} messages in ${r.seconds!.toFixed(1)} s, RSS MiB after each tenth: ${
          r.rssSamplesMiB!.join(", ")
        }`;
      console.log(`  ${tierName} soak ${c.id}: ${what}`);
      lines.push(`- ${c.label}, ${tierName}: ${what}`);
      if (r.error) soakFailed++;
    }
    if (tier.name === "kafka") await tier.drop(topic);
  } finally {
    await tier.close();
  }
  return lines;
}
let soakFailed = 0;

/**
 * `--from DIR`: the report of an earlier run again, from its results.json, with
 * today's report code (nothing is measured).
 */
function rerender(dir: string): void {
  const saved = JSON.parse(readFileSync(`${dir}/results.json`, "utf8"));
  const runs = (saved.runs as Run[]).filter((r) => {
    const c = clients.find((x) => x.id === r.client);
    return !c?.skip?.[`${r.tier}:${r.scenario}`];
  });
  const savedArgs = saved.args as string[];
  const md = writeReport({
    outDir: dir,
    runs,
    clients,
    tiers: [...new Set(runs.map((r) => r.tier))],
    cells: cells(),
    reps: Math.max(...runs.map((r) => r.rep)) + 1,
    command: `npm run bench${savedArgs.length ? " -- " + savedArgs.join(" ") : ""}`,
    minutes: saved.minutes,
    measuredAt: saved.measuredAt,
    docs: flag("write") ? `${ROOT}/docs` : undefined,
    soak: saved.soak,
  });
  console.log(md);
}

async function main() {
  if (args.includes("--from")) return rerender(opt("from", ""));
  const runs: Run[] = [];
  console.log(`bench: ${runnable.length} clients, tiers ${tiers.join(",")}, ${reps} rep(s), out ${outDir}`);
  for (const c of clients.filter((c) => !c.argv)) console.log(`  not run: ${c.id}: ${c.missing}`);
  const started = Date.now();
  for (const tierName of tiers) {
    for (const cell of cells(tierName)) await runCell(tierName, cell, runs);
  }
  const soakN = Number(opt("soak", smoke ? "20000" : "10000000"));
  const soakLines: string[] = [];
  if (soakN > 0 && scenarios.includes("produce")) {
    for (const tierName of tiers) soakLines.push(...(await soak(tierName, soakN)));
  }
  const minutes = (Date.now() - started) / 60_000;
  const measuredAt = new Date(started).toISOString();
  writeFileSync(
    `${outDir}/results.json`,
    JSON.stringify({ args, measuredAt, minutes, clients, runs, soak: soakLines }, null, 1),
  );
  const md = writeReport({
    outDir,
    runs,
    clients,
    tiers,
    cells: cells(),
    reps,
    command: `npm run bench${args.length ? " -- " + args.join(" ") : ""}`,
    minutes,
    measuredAt,
    docs: flag("write") ? `${ROOT}/docs` : undefined,
    soak: soakLines,
  });
  console.log("\n" + md);
  const failed = runs.filter((r) => r.result.error);
  if (failed.length || soakFailed) {
    console.log(`${failed.length} run(s) failed (see ${logFile})`);
    process.exit(1);
  }
}

await main();

export type { Client };
