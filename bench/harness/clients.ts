/**
 * Every client the harness measures, on every runtime it runs on, and how to start
 * its worker. A client that cannot run here stays in the list with the reason, so the
 * table says why instead of leaving it out.
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { spawn } from "node:child_process";

/** One worker spec (bench/harness/PROTOCOL.md). @example `{ scenario: "produce", size: 100, count: 1000, bootstrap, topic, partitions: 8 }` */
export interface Spec {
  scenario: "produce" | "consume" | "latency" | "e2e";
  size: number;
  count: number;
  bootstrap: string;
  topic: string;
  partitions: number;
  group?: string;
}

/** A client on one runtime. @example `{ id: "kafkajs@node20", label: "KafkaJS (Node 20)", argv: (s) => [...] }` */
export interface Client {
  id: string;
  label: string;
  /** The command line of one run; absent when the client cannot run here. */
  argv?: (spec: Spec) => string[];
  /** Why it cannot run here. */
  missing?: string;
  /** Scenarios it cannot run on a tier ("mock:consume"), and why: skipped and shown, not failed. */
  skip?: Record<string, string>;
  /** Fewer latency samples for a client whose every awaited send takes ~100 ms (so a run ends in seconds). */
  latencySamples?: number;
}

/** The worker's result line, parsed; `error` when the run failed. @example `r.msgs / r.seconds` */
export interface Result {
  client?: string;
  version?: string;
  mode?: string;
  msgs?: number;
  seconds?: number;
  cpuSec?: number;
  lagP99Ms?: number | null;
  lagMaxMs?: number | null;
  p50Ms?: number | null;
  p99Ms?: number | null;
  rssPeakMiB?: number | null;
  runtime?: string;
  error?: string;
}

/** What bench/peers.sh found: `peer NAME VERSION`, `runtime NAME PATH VERSION`, `missing NAME REASON`. */
interface Peers {
  peers: Map<string, string>;
  runtimes: Map<string, { path: string; version: string }>;
  missing: Map<string, string>;
}

function readPeers(statusFile: string): Peers {
  const out: Peers = { peers: new Map(), runtimes: new Map(), missing: new Map() };
  if (!existsSync(statusFile)) return out;
  for (const line of readFileSync(statusFile, "utf8").split("\n")) {
    const [kind, name, ...rest] = line.trim().split(/\s+/);
    if (kind === "peer") out.peers.set(name, rest[0]);
    else if (kind === "runtime") out.runtimes.set(name, { path: rest[0], version: rest[1] });
    else if (kind === "missing") out.missing.set(name, rest.join(" "));
  }
  return out;
}

/**
 * The clients, in the order the tables list them: C first (the ceiling), then
 * kafka-fast, then the peers.
 *
 * @example
 * ```ts
 * const clients = listClients({ root: ".", bun: "node_modules/.bin/bun", deno: "node_modules/.bin/deno", peersStatus: "bench/.peers/status" });
 * ```
 */
export function listClients(o: { root: string; bun: string; deno: string; peersStatus: string }): Client[] {
  const p = readPeers(o.peersStatus);
  const json = (s: Spec) => JSON.stringify(s);
  const cBin = `${o.root}/bench/native/build/bench`;
  const w = (f: string) => `${o.root}/bench/workers/${f}`;
  const list: Client[] = [
    {
      id: "c",
      label: "librdkafka from C",
      argv: existsSync(cBin)
        ? (
          s,
        ) => [
          cBin,
          s.scenario,
          s.bootstrap,
          s.topic,
          String(s.size),
          String(s.count),
          String(s.partitions),
          s.group ?? "-",
        ]
        : undefined,
      missing: existsSync(cBin) ? undefined : "bench/native/build/bench not built (gcc and librdkafka-dev needed)",
    },
    { id: "kafka-fast@bun", label: "kafka-fast (Bun)", argv: (s) => [o.bun, w("kafka-fast.ts"), json(s)] },
    {
      id: "kafka-fast@deno",
      label: "kafka-fast (Deno)",
      argv: (s) => [o.deno, "run", "-A", w("kafka-fast.ts"), json(s)],
    },
  ];
  const peer = (id: string, label: string, pkg: string, runtime: string, file: string) => {
    const rt = runtime === "bun" ? { path: o.bun } : p.runtimes.get(runtime);
    const why = p.missing.get(pkg) ?? (p.peers.has(pkg) ? undefined : `${pkg} not installed (bench/peers.sh)`) ??
      (rt ? undefined : p.missing.get(runtime) ?? `${runtime} not available (bench/peers.sh)`);
    list.push(why ? { id, label, missing: why } : { id, label, argv: (s) => [rt!.path, w(file), json(s)] });
  };
  peer("kafkajs@bun", "KafkaJS (Bun)", "kafkajs", "bun", "kafkajs.mjs");
  peer("kafkajs@node", "KafkaJS (Node)", "kafkajs", "node20", "kafkajs.mjs");
  peer("platformatic@bun", "@platformatic/kafka (Bun)", "@platformatic/kafka", "bun", "platformatic.mjs");
  peer("platformatic@node", "@platformatic/kafka (Node)", "@platformatic/kafka", "node24", "platformatic.mjs");
  peer("node-rdkafka@node", "node-rdkafka (Node)", "node-rdkafka", "node20", "node-rdkafka.mjs");
  peer("kafka-crab@bun", "kafka-crab-js (Bun)", "kafka-crab-js", "bun", "kafka-crab.mjs");
  peer("kafka-crab@node", "kafka-crab-js (Node)", "kafka-crab-js", "node24", "kafka-crab.mjs");
  // Its send() confirms through a flush that takes about 100 ms even for one message (measured), so 2 000 awaited
  // sends would take 200 s a run.
  for (const c of list) if (c.id.startsWith("kafka-crab@")) c.latencySamples = 200;
  // Measured: every run fails with "Listing offsets failed … ListOffsets(v5)" on librdkafka 2.0.2's mock (and a
  // group join fails with "Connection closed" on 2.12's).
  for (const c of list) {
    if (c.id.startsWith("platformatic@")) {
      c.skip = { "mock:consume": "it cannot read librdkafka's mock's ListOffsets v5 answer (every run failed)" };
    }
  }
  return list;
}

/**
 * Runs one worker to its result line (or its failure), killing it after `timeoutMs`.
 * The worker's whole output goes to `log`.
 *
 * @example
 * ```ts
 * const r = await runWorker(client.argv!(spec), 180_000, (s) => logFile.write(s));
 * ```
 */
export function runWorker(argv: string[], timeoutMs: number, log: (s: string) => void): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let timedOut = false;
    child.stdout!.on("data", (d) => (out += d, log(String(d))));
    child.stderr!.on("data", (d) => log(String(d)));
    const t = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(t);
      resolve({ error: `cannot start: ${e.message}` });
    });
    child.on("close", (code, signal) => {
      clearTimeout(t);
      const line = out.split("\n").find((l) => l.startsWith("RESULT "));
      let r: Result | undefined;
      try {
        r = line ? JSON.parse(line.slice(7)) : undefined;
      } catch { /* a torn line counts as no result */ }
      if (timedOut) resolve({ ...r, error: `killed after ${timeoutMs / 1000} s` });
      else if (r && (code === 0 || r.error)) resolve(r);
      else resolve({ ...r, error: `exit ${signal ?? code} without a result` });
    });
  });
}
