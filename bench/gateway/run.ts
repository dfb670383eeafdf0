/**
 * The sidecar comparison (issue 7, part 3): the same HTTP front end
 * (bench/gateway/frontend.ts) in three variants behind one load generator (wrk, on
 * 127.0.0.1), on a real Kafka broker:
 *
 *   kafka-fast  the front end produces with kafka-fast in process
 *   proxy       the front end calls a local HTTP "Kafka proxy" (bench/gateway/proxy.mjs,
 *               KafkaJS on Node 20) over loopback for every message: the anti-pattern
 *   kafkajs     the front end produces with KafkaJS in process
 *
 * Every answer waits for the broker's ack (acks=all). Per run: start the processes,
 * warm up, run wrk (bench/gateway/post.lua), read CPU time and RSS from /proc for the
 * front end and the proxy, and the front end's event-loop lag from its /stats; then
 * stop them. Variants take turns in rotating order (a b c, b c a, c a b), the table
 * is the medians. At the end the topic must hold at least as many messages as wrk
 * received 202s, and every variant must have had some 202s; otherwise exit 1.
 *
 *   node_modules/.bin/bun bench/gateway/run.ts [flags]
 *
 *   --smoke              1 rep, 2 s runs, 1 s warm-up: checks it all end to end (CI)
 *   --reps N             repetitions of every variant (default 3)
 *   --duration S         seconds of each measured wrk run (default 15)
 *   --warmup S           seconds of wrk before each measured run (default 3)
 *   --connections N      wrk connections (default 32); --threads N wrk threads (default 1)
 *   --runtime bun|deno   the front end's runtime; "bun,deno" runs both (default bun)
 *   --variants a,b,c     a subset of kafka-fast,proxy,kafkajs
 *   --linger MS[,MS]     kafka-fast's linger.ms in variant (a) (default 5); several: one row each
 *   --partitions N       of the topic the run creates (default 6; deleted at the end)
 *   --keep-topic         do not delete the topic at the end
 *   --out DIR            results.json, report.md, processes.log (default bench/results/gateway-<time>)
 *   --write              also put the report between the gateway markers of docs/BENCHMARKS.md
 *   --block NAME         which markers: <!-- NAME:begin --> … <!-- NAME:end --> (default gateway)
 *   --from DIR           no run: print DIR/report.md again (with --write, into docs/)
 *
 * The broker: KAFKA_BOOTSTRAP if set, else scripts/kafka.sh's (started when it is not
 * running, and left running).
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { spawn, spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import process from "node:process";
import { AdminClient, librdkafkaVersion } from "../../src/mod.ts";
import { type Combo, comboName, type Facts, type Row, sameCombo, table } from "./report.ts";

const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const smoke = flag("smoke");
const reps = Number(opt("reps", smoke ? "1" : "3"));
const duration = Number(opt("duration", smoke ? "2" : "15"));
const warmup = Number(opt("warmup", smoke ? "1" : "3"));
const connections = Number(opt("connections", "32"));
const threads = Number(opt("threads", "1"));
const partitions = Number(opt("partitions", "6"));
const linger = opt("linger", "5");
const lingers = linger.split(",");
const runtimes = opt("runtime", "bun").split(",");
const variants = opt("variants", "kafka-fast,proxy,kafkajs").split(",");
const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
const outDir = opt("out", `${ROOT}/bench/results/gateway-${stamp}`);
const BIN = { bun: `${ROOT}/node_modules/.bin/bun`, deno: `${ROOT}/node_modules/.bin/deno`, node: "node" };
const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

function die(msg: string): never {
  console.error(`gateway: ${msg}`);
  process.exit(1);
}

for (const v of variants) if (!["kafka-fast", "proxy", "kafkajs"].includes(v)) die(`unknown variant ${v}`);
for (const r of runtimes) if (r !== "bun" && r !== "deno") die(`--runtime must be bun or deno, got ${r}`);
if (![reps, duration, warmup, connections, threads, partitions].every((n) => Number.isInteger(n) && n > 0)) {
  die("--reps, --duration, --warmup, --connections, --threads and --partitions must be positive integers");
}

/** Output of a command, or undefined when it cannot run (a fact we then print as "?"). */
function capture(cmd: string, argv: string[]): string | undefined {
  const r = spawnSync(cmd, argv, { encoding: "utf8", cwd: ROOT });
  return r.status === 0 ? (r.stdout + r.stderr).trim() : undefined;
}

// --- processes ------------------------------------------------------------------

interface Proc {
  name: string;
  pid: number;
  port: number;
  kill(signal: NodeJS.Signals): void;
  exited: Promise<number | null>;
  alive(): boolean;
  tail(): string;
}

/**
 * Starts a server and waits for its `{"listening": port, "pid": pid}` line; the pid
 * it reports is the runtime's own process, the one whose /proc figures count.
 */
function start(name: string, cmd: string, argv: string[]): Promise<Proc> {
  const child = spawn(cmd, argv, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const log: string[] = [];
  const keep = (chunk: Buffer) => {
    log.push(chunk.toString());
    if (log.length > 200) log.splice(0, log.length - 200);
  };
  let done = false;
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code) => {
      done = true;
      resolve(code);
    })
  );
  child.stderr.on("data", keep);
  const tail = () => log.join("").split("\n").slice(-25).join("\n");
  return new Promise((resolve, reject) => {
    let buf = "";
    let ready = false;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${name} did not listen within 60 s:\n${tail()}`));
    }, 60_000);
    child.stdout.on("data", (chunk: Buffer) => {
      keep(chunk);
      buf += chunk.toString();
      const line = buf.split("\n").find((l) => l.startsWith('{"listening"'));
      if (!line || ready) return;
      ready = true;
      clearTimeout(timer);
      buf = "";
      const { listening, pid } = JSON.parse(line);
      resolve({
        name,
        pid,
        port: listening,
        kill: (s) => child.kill(s),
        exited,
        alive: () => !done,
        tail,
      });
    });
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`${name}: ${cmd}: ${e.message}`));
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) before listening:\n${tail()}`));
    });
  });
}

/** SIGTERM, then SIGKILL after 10 s: a front end that cannot close must not hang the run. */
async function stop(p: Proc): Promise<void> {
  if (!p.alive()) return;
  p.kill("SIGTERM");
  let killed = false;
  const t = setTimeout(() => {
    killed = true;
    p.kill("SIGKILL");
  }, 10_000);
  await p.exited;
  clearTimeout(t);
  if (killed) console.error(`gateway: ${p.name} did not exit within 10 s of SIGTERM; killed`);
}

/** utime + stime of every thread of the process, in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // fields 14 and 15 of proc(5)
}

/** Current and peak resident set, MiB. */
function memory(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (key: string) => Number(status.match(new RegExp(`^${key}:\\s+(\\d+)`, "m"))?.[1] ?? NaN);
  return { rss: kib("VmRSS") / 1024, hwm: kib("VmHWM") / 1024 };
}

async function getJson(port: number, path: string): Promise<Record<string, unknown>> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status}`);
  return await res.json();
}

/** What post.lua's done() prints, plus what wrk itself said (kept for the log). */
interface WrkResult {
  duration_us: number;
  requests: number;
  accepted: number;
  unavailable: number;
  other: number;
  connect: number;
  read: number;
  write: number;
  timeout: number;
  p50_us: number;
  p99_us: number;
  p999_us: number;
  max_us: number;
  text: string;
}

function wrk(port: number, topic: string, seconds: number): Promise<WrkResult> {
  const url = `http://127.0.0.1:${port}/topics/${topic}`;
  const argv = [
    `-t${threads}`,
    `-c${connections}`,
    `-d${seconds}s`,
    "--timeout",
    "10s",
    "-s",
    "bench/gateway/post.lua",
  ];
  const child = spawn("wrk", [...argv, url], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  child.stdout.on("data", (c: Buffer) => text += c.toString());
  child.stderr.on("data", (c: Buffer) => text += c.toString());
  return new Promise((resolve, reject) => {
    child.on("error", (e) => reject(new Error(`wrk: ${e.message} (apt-get install wrk)`)));
    child.on("exit", (code) => {
      const line = text.split("\n").find((l) => l.startsWith("WRKJSON "));
      if (code !== 0 || !line) return reject(new Error(`wrk exited ${code}:\n${text}`));
      resolve({ ...JSON.parse(line.slice(8)), text });
    });
  });
}

// --- one run --------------------------------------------------------------------

let answered202 = 0;

async function runOnce(c: Combo, bootstrap: string, topic: string, kafkaPid?: number): Promise<Row> {
  let proxy: Proc | undefined;
  let fe: Proc | undefined;
  try {
    if (c.variant === "proxy") {
      proxy = await start("proxy", BIN.node, ["bench/gateway/proxy.mjs", "--port", "0", "--bootstrap", bootstrap]);
    }
    const feArgs = ["bench/gateway/frontend.ts", "--sink", c.variant, "--port", "0", "--bootstrap", bootstrap];
    feArgs.push("--topic", topic, "--linger", c.linger ?? lingers[0]);
    if (proxy) feArgs.push("--proxy", `http://127.0.0.1:${proxy.port}`);
    fe = c.runtime === "bun"
      ? await start(`front end (${c.runtime})`, BIN.bun, feArgs)
      : await start(`front end (${c.runtime})`, BIN.deno, ["run", "-A", ...feArgs]);

    const warm = await wrk(fe.port, topic, warmup);
    answered202 += warm.accepted;
    await getJson(fe.port, "/stats?reset=1");
    const cpu0 = [cpuSeconds(fe.pid), proxy ? cpuSeconds(proxy.pid) : 0, kafkaPid ? cpuSeconds(kafkaPid) : NaN];
    const w = await wrk(fe.port, topic, duration);
    answered202 += w.accepted;
    const cpu1 = [cpuSeconds(fe.pid), proxy ? cpuSeconds(proxy.pid) : 0, kafkaPid ? cpuSeconds(kafkaPid) : NaN];
    const stats = await getJson(fe.port, "/stats") as { accepted: number; lag: Row["lag"] };
    const feMem = memory(fe.pid);
    const pxMem = proxy ? memory(proxy.pid) : undefined;
    if (!fe.alive() || (proxy && !proxy.alive())) throw new Error("a process died during the run");
    if (stats.accepted < w.accepted) {
      throw new Error(`the front end counted ${stats.accepted} 202s, wrk ${w.accepted}`);
    }
    const seconds = w.duration_us / 1e6;
    return {
      ...c,
      rps: w.accepted / seconds,
      requests: w.requests,
      accepted: w.accepted,
      non202: w.unavailable + w.other,
      socketErrors: w.connect + w.read + w.write + w.timeout,
      p50: w.p50_us / 1000,
      p99: w.p99_us / 1000,
      p999: w.p999_us / 1000,
      cpuFe: cpu1[0] - cpu0[0],
      cpuProxy: cpu1[1] - cpu0[1],
      cpuBroker: cpu1[2] - cpu0[2],
      seconds,
      rssFe: feMem.hwm,
      rssProxy: pxMem?.hwm ?? 0,
      lag: stats.lag,
    };
  } catch (e) {
    const logs = [fe, proxy].filter((p): p is Proc => !!p).map((p) => `--- ${p.name}:\n${p.tail()}`).join("\n");
    throw new Error(`${comboName(c)}: ${(e as Error).message}\n${logs}`);
  } finally {
    if (fe) await stop(fe);
    if (proxy) await stop(proxy);
    // What the processes printed (their last 200 chunks), for reading after the run.
    mkdirSync(outDir, { recursive: true });
    for (const p of [fe, proxy]) {
      if (p) appendFileSync(`${outDir}/processes.log`, `--- ${comboName(c)}, ${p.name}:\n${p.tail()}\n`);
    }
  }
}

// --- setup, the runs, the checks ------------------------------------------------

/** The pid of scripts/kafka.sh's broker, when that is the one in use: its CPU is part of the cost. */
function brokerPid(): number | undefined {
  if (process.env.KAFKA_BOOTSTRAP) return undefined;
  try {
    const pid = Number(readFileSync(`${ROOT}/.cache/kafka/run/kafka.pid`, "utf8").trim());
    cpuSeconds(pid);
    return pid;
  } catch {
    return undefined;
  }
}

function broker(): { bootstrap: string; kafka: string } {
  if (process.env.KAFKA_BOOTSTRAP) return { bootstrap: process.env.KAFKA_BOOTSTRAP, kafka: "external broker" };
  if (spawnSync("bash", ["scripts/kafka.sh", "status"], { cwd: ROOT }).status !== 0) {
    console.error("gateway: starting the broker (bash scripts/kafka.sh up)");
    if (spawnSync("bash", ["scripts/kafka.sh", "up"], { cwd: ROOT, stdio: "inherit" }).status !== 0) {
      die("scripts/kafka.sh up failed");
    }
  }
  const libs = `${ROOT}/.cache/kafka/libs`;
  const jar = existsSync(libs) ? readdirSync(libs).find((f) => /^kafka-server-\d.*\.jar$/.test(f)) : undefined;
  return { bootstrap: "127.0.0.1:9092", kafka: jar ? `Apache Kafka ${jar.slice(13, -4)}` : "Apache Kafka ?" };
}

function facts(kafka: string): Facts {
  const peers = `${ROOT}/bench/.peers/node_modules/kafkajs/package.json`;
  return {
    date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
    cores: `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? "?"}`,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    bun: capture(BIN.bun, ["--version"]) ?? "?",
    deno: capture(BIN.deno, ["--version"])?.split("\n")[0].replace(/^deno /, "").split(" ")[0] ?? "?",
    node: capture(BIN.node, ["--version"]) ?? "?",
    // wrk -v prints its version and exits 1.
    wrk: spawnSync("wrk", ["-v"], { encoding: "utf8" }).stdout?.split("\n")[0].split(" ")[1] ?? "?",
    kafkajs: existsSync(peers) ? JSON.parse(readFileSync(peers, "utf8")).version : "?",
    librdkafka: librdkafkaVersion(),
    kafka,
    command: `node_modules/.bin/bun bench/gateway/run.ts ${args.join(" ")}`.trim(),
    reps,
    duration,
    warmup,
    connections,
    threads,
    linger,
  };
}

async function main(): Promise<void> {
  const from = opt("from", "");
  if (from) {
    // The report of an earlier run, into docs/ without measuring again.
    const report = readFileSync(`${from}/report.md`, "utf8");
    if (flag("write")) writeDocs(report);
    else console.log(report);
    return;
  }
  if (spawnSync("wrk", ["-v"]).error) die("wrk not found (apt-get install -y wrk)");
  if (!existsSync(`${ROOT}/bench/.peers/node_modules/kafkajs`)) {
    console.error("gateway: installing KafkaJS (bash bench/peers.sh)");
    spawnSync("bash", ["bench/peers.sh"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
    if (!existsSync(`${ROOT}/bench/.peers/node_modules/kafkajs`)) die("KafkaJS could not be installed");
  }
  const { bootstrap, kafka } = broker();
  const topic = `gateway-${stamp.toLowerCase()}`;
  const admin = new AdminClient({ "bootstrap.servers": bootstrap });
  const [created] = await admin.createTopics([{ name: topic, partitions, replicationFactor: 1 }], {
    timeoutMs: 30_000,
  });
  if (created.error) die(`creating ${topic}: ${created.error.name} ${created.error.message}`);
  // Closed during the runs: its librdkafka threads would share the cores with what is measured.
  await admin.close();

  const kafkaPid = brokerPid();
  const combos: Combo[] = runtimes.flatMap((runtime) =>
    variants.flatMap((variant) =>
      variant === "kafka-fast" ? lingers.map((l) => ({ variant, runtime, linger: l })) : [{ variant, runtime }]
    )
  );
  const rows: Row[] = [];
  const t0 = performance.now();
  let failed = false;
  for (let r = 0; r < reps; r++) {
    const order = combos.map((_, i) => combos[(i + r) % combos.length]);
    for (const c of order) {
      try {
        const row = await runOnce(c, bootstrap, topic, kafkaPid);
        rows.push(row);
        console.error(
          `gateway: rep ${r + 1}/${reps} ${comboName(c)}: ${row.rps.toFixed(0)} req/s, ` +
            `p99 ${row.p99.toFixed(1)} ms, lag max ${row.lag.max.toFixed(1)} ms, non-2xx ${row.non202}, ` +
            `socket errors ${row.socketErrors}`,
        );
      } catch (e) {
        failed = true;
        console.error(`gateway: FAILED ${(e as Error).message}`);
      }
    }
  }

  // Every 202 promised an acknowledged message; the topic must hold them all.
  const verifier = new AdminClient({ "bootstrap.servers": bootstrap });
  const offsets = await verifier.listOffsets(
    Array.from({ length: partitions }, (_, partition) => ({ topic, partition, spec: "latest" as const })),
    { timeoutMs: 30_000 },
  );
  const held = offsets.reduce((sum, o) => sum + Number(o.offset), 0);
  const check = `topic ${topic}: high watermarks sum ${held}, 202s answered ${answered202}`;
  console.error(`gateway: ${check}${held >= answered202 ? "" : " — MESSAGES MISSING"}`);
  if (held < answered202) failed = true;
  if (!flag("keep-topic")) await verifier.deleteTopics([topic], { timeoutMs: 30_000 }).catch(() => {});
  await verifier.close();

  for (const c of combos) {
    const mine = rows.filter((r) => sameCombo(r, c));
    if (mine.length === 0 || mine.some((r) => r.accepted === 0)) {
      failed = true;
      console.error(`gateway: FAILED ${comboName(c)} answered no 202s in some run`);
    }
  }

  const f = facts(kafka);
  const minutes = (performance.now() - t0) / 60_000;
  const report = table(rows, combos, f, check, minutes);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(`${outDir}/results.json`, JSON.stringify({ facts: f, rows, check, answered202, held }, null, 2));
  writeFileSync(`${outDir}/report.md`, report);
  console.log(report);
  console.error(`gateway: results in ${outDir}`);
  if (flag("write")) {
    if (failed) die("not writing docs/BENCHMARKS.md: the run had failures");
    writeDocs(report);
  }
  if (failed) die("some runs failed (see above)");
}

/** Replaces what lies between the gateway markers; everything else stays as written by hand. */
function writeDocs(report: string): void {
  const file = `${ROOT}/docs/BENCHMARKS.md`;
  const doc = readFileSync(file, "utf8");
  const block = opt("block", "gateway");
  const begin = `<!-- ${block}:begin -->`, end = `<!-- ${block}:end -->`;
  const i = doc.indexOf(begin), j = doc.indexOf(end);
  if (i < 0 || j < i) die(`docs/BENCHMARKS.md has no ${begin} … ${end} block`);
  writeFileSync(file, doc.slice(0, i + begin.length) + "\n" + report.trim() + "\n" + doc.slice(j));
  console.error("gateway: docs/BENCHMARKS.md updated");
}

main().then(() => process.exit(0), (e) => die(e?.stack ?? String(e)));
