/**
 * One fuzz run, in this process: a mock cluster of 2 or 3 brokers, `steps` seeded
 * operations with the invariants checked after each, then the end: brokers up,
 * every client closed, every promise settled, the garbage collector forced until
 * the load is back to where it started, and the topics read back and checked
 * against the delivery reports.
 *
 * Runs in a child process of its own (see `run.ts`), so that a crash names its
 * seed and its log ends at the call that crashed. The first violation ends the
 * run with exit code 1; a run that stops making progress is a hang (exit code 3).
 *
 * @module
 */
import process from "node:process";
import {
  AdminClient,
  configure,
  Consumer,
  currentLimits,
  librdkafkaVersion,
  type Message,
  MockCluster,
  OFFSET,
} from "../../src/mod.ts";
import { runtime } from "../helpers/runtime.ts";
import { Rng } from "./rng.ts";
import { showErr, World } from "./model.ts";
import { genericOps, type Op } from "./ops.ts";
import { closeProducer, producerOps } from "./ops_producer.ts";
import { closeConsumer, consumerOps } from "./ops_consumer.ts";
import { readOps } from "./ops_read.ts";
import { adminOps, closeAdmin } from "./ops_admin.ts";
import { misuseOp } from "./misuse.ts";
import { allSettled, backToBase, checkStep, limitsOf, type Load } from "./invariants.ts";

/** Options of one run. @example `{ seed: 7, steps: 100, allowance: 5_000, excluded: new Set() }` */
export interface RunOptions {
  seed: number;
  steps: number;
  /** Added to every documented bound for scheduling on a busy machine (ms). */
  allowance: number;
  /** Operation names (or `misuse:<generator>`) left out. */
  excluded: ReadonlySet<string>;
}

/** Every operation, by name (`--exclude` takes these). @example `ALL_OPS.map((o) => o.name)` */
export const ALL_OPS: readonly Op[] = [
  ...genericOps,
  ...producerOps,
  ...consumerOps,
  ...readOps,
  ...adminOps,
  misuseOp,
];

/** Longest a run may go without progress before it is called a hang. */
const HANG_MS = 120_000;

/**
 * Runs one seed and returns the process exit code (0 pass, 1 violation, 3 hang).
 *
 * @example
 * ```ts
 * process.exitCode = await runSeed({ seed: 1, steps: 50, allowance: 5_000, excluded: new Set() });
 * ```
 */
export async function runSeed(o: RunOptions): Promise<number> {
  const w = new World(o.seed, o.steps, o.allowance, o.excluded);
  w.print(
    `fuzz seed=${o.seed} steps=${o.steps} runtime=${runtime} librdkafka=${librdkafkaVersion()} allowance=${o.allowance}ms` +
      (o.excluded.size ? ` excluded=${[...o.excluded].join(",")}` : ""),
  );
  catchStrays(w);
  let progress = performance.now();
  let phase = "setup";
  const touch = () => (progress = performance.now());
  const watchdog = setInterval(() => {
    w.checkDeadlines();
    if (performance.now() - progress > HANG_MS) {
      w.print(`HANG: no progress for ${HANG_MS / 1000} s in ${phase} (step ${w.step})`);
      for (const t of w.pending()) w.print(`  pending t${t.id} ${t.label} since step ${t.step}`);
      w.print(`FAIL seed=${o.seed} (hang)`);
      process.exit(3);
    }
  }, 1_000);
  const base: Load = currentLimits();
  const ops = ALL_OPS.filter((op) => !o.excluded.has(op.name));
  try {
    const rng = new Rng(o.seed);
    w.brokers = rng.int(2, 3);
    w.op(`MockCluster.create({brokers:${w.brokers}}), two topics`);
    w.cluster = await MockCluster.create({ brokers: w.brokers });
    w.bootstrap = w.cluster.bootstrapServers;
    for (let i = 0; i < 2; i++) {
      const name = w.newTopicName();
      const partitions = rng.int(1, 4);
      await w.cluster.createTopic(name, { partitions, replicationFactor: rng.int(1, w.brokers) });
      w.topics.push({ name, partitions });
    }
    phase = "steps";
    for (let step = 0; step < o.steps && w.violations.length === 0; step++) {
      w.step = step;
      touch();
      const srng = Rng.derive(o.seed, step);
      const op = srng.weighted(ops.map((x) => [x, x.weight(w)] as const));
      await op.run(w, srng);
      // A macrotask: what was refused has settled by now, and librdkafka's wake-ups ran.
      await new Promise((r) => setTimeout(r, 0));
      checkStep(w, base);
    }
    if (w.violations.length === 0) {
      w.step = o.steps;
      await finish(w, base, (p) => {
        phase = p;
        touch();
      });
    }
  } catch (e) {
    w.violate(`the fuzzer itself threw: ${showErr(e)}\n${(e as Error)?.stack ?? ""}`);
  }
  clearInterval(watchdog);
  const sent = [...w.ledger.sent.values()];
  const count = (s: string) => sent.filter((m) => m.state === s).length;
  const summary = `steps=${Math.min(w.step + 1, o.steps)} calls=${w.calls} promises=${w.tracked.size} messages: ` +
    `${sent.length} (delivered ${count("resolved")}, failed ${count("rejected")}, refused ${count("refused")}), ` +
    `reads=${w.ledger.reads}${w.ledger.duplicatedByMock ? ` duplicatedByMock=${w.ledger.duplicatedByMock}` : ""}` +
    `${w.ledger.implicitAcks ? ` implicitAcks=${w.ledger.implicitAcks}` : ""} exactlyOnce=${w.ledger.exactlyOnce} ` +
    `${(w.now() / 1000).toFixed(1)}s`;
  if (w.violations.length > 0) {
    w.print(`FAIL seed=${o.seed} ${summary}`);
    for (const v of w.violations) w.print(`  violation: ${v}`);
    return 1;
  }
  w.print(`PASS seed=${o.seed} ${summary}`);
  return 0;
}

/** Unhandled rejections and uncaught exceptions are the library's (every promise of the fuzzer has handlers). */
function catchStrays(w: World): void {
  const g = globalThis as unknown as { Deno?: unknown; addEventListener?: (t: string, f: (e: Event) => void) => void };
  if (g.Deno && g.addEventListener) {
    g.addEventListener("unhandledrejection", (e) => {
      e.preventDefault();
      w.violate(`unhandled rejection: ${showErr((e as unknown as { reason: unknown }).reason)}`);
    });
    g.addEventListener("error", (e) => {
      e.preventDefault();
      w.violate(`uncaught exception: ${showErr((e as unknown as { error: unknown }).error)}`);
    });
  } else {
    process.on("unhandledRejection", (r) => w.violate(`unhandled rejection: ${showErr(r)}`));
    process.on("uncaughtException", (e) => w.violate(`uncaught exception: ${showErr(e)}`));
  }
}

/**
 * The end of a run: heal the cluster, close every client, wait for every promise,
 * bring the load back to base, read the topics back, close the cluster.
 */
async function finish(w: World, base: Load, phase: (p: string) => void): Promise<void> {
  phase("end: heal");
  w.op("end: every broker up, no delay, limits as at the start");
  configure(limitsOf(base));
  // Mock operations started without await (they run in call order): let them all finish, then heal.
  const mockOps = [...w.tracked.values()].filter((t) => t.label.startsWith("mock."));
  while (mockOps.some((t) => !t.settled)) {
    phase("end: heal");
    w.checkDeadlines();
    await new Promise((r) => setTimeout(r, 20));
  }
  w.disturbedAt.push(performance.now()); // healing shortens round trips too
  for (let id = 1; id <= w.brokers; id++) {
    await w.cluster.setBrokerDown(id, false);
    await w.cluster.setRtt(id, 0);
  }
  w.down.clear();
  w.disturbedAt.push(performance.now());

  phase("end: close");
  // Admin clients first (one made from a producer or consumer would be closed by it anyway).
  for (const rec of w.clients.filter((c) => c.ref !== undefined && c.life === "open")) {
    if (rec.kind === "admin") closeAdmin(w, rec, 5_000);
  }
  for (const rec of w.clients.filter((c) => c.ref !== undefined && c.life === "open")) {
    if (rec.kind === "consumer") closeConsumer(w, rec, 5_000);
    else if (rec.kind === "producer") closeProducer(w, rec, 5_000);
  }
  await allSettled(w, 90_000, () => phase("end: settle"));
  if (w.violations.length > 0) return;

  phase("end: back to base");
  w.op(`end: recheck and forget ${w.held.length} kept messages, drop every client, GC until the load is back`);
  for (const { msg } of w.held) w.ledger.verifyRead(msg, "kept");
  w.held = [];
  for (const rec of w.clients) rec.ref = undefined;
  await backToBase(w, base, 1, 60_000, () => phase("end: back to base"));
  if (w.violations.length > 0) return;

  phase("end: read back");
  await readBack(w, () => phase("end: read back"));
  w.ledger.checkOrder();

  phase("end: close cluster");
  w.op("end: close the mock cluster");
  await w.cluster.close();
  await backToBase(w, base, 0, 10_000, () => phase("end: final load"));
}

/**
 * Reads every partition of every topic the run sent to, from the beginning to the
 * high watermark, and checks each message and the copies of each against the ledger.
 */
async function readBack(w: World, progress: () => void): Promise<void> {
  const topics = [...new Set([...w.ledger.sent.values()].map((s) => s.topic))].filter((t) => !t.includes(" "));
  if (topics.length === 0) return;
  // The mock keeps about 5 MiB or 100k messages per partition: a topic that may have overflowed is not checked.
  const skipped = new Set(topics.filter((t) => (w.ledger.bytesPerTopic.get(t) ?? 0) > 4 << 20));
  const admin = new AdminClient({ "bootstrap.servers": w.bootstrap });
  const c = new Consumer({ "bootstrap.servers": w.bootstrap, "enable.partition.eof": false });
  c.on("log", () => {});
  admin.on("log", () => {});
  // Each call is followed like any other (its bound checked by the watchdog), so a call that hangs
  // here is a violation that names it, not a silent stall of the read-back.
  const call = async <T>(label: string, p: Promise<T>, boundMs: number): Promise<T> => {
    progress();
    w.track(`read-back ${label}`, p, { boundMs, errors: [] });
    const v = await p;
    progress();
    return v;
  };
  try {
    const wanted = topics.filter((t) => !skipped.has(t));
    const md = await call("metadata", admin.metadata({ topics: wanted, timeoutMs: 10_000 }), 20_000);
    const parts = md.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partition })));
    const ends = new Map<string, bigint>();
    for (const tp of parts) {
      const q = c.watermarkOffsets(tp.topic, tp.partition, { timeoutMs: 10_000 });
      const { low, high } = await call(`watermarkOffsets(${tp.topic}, ${tp.partition})`, q, 20_000);
      if ((low ?? 0n) > 0n) skipped.add(tp.topic); // the mock dropped old messages: counts would lie
      ends.set(`${tp.topic}/${tp.partition}`, high ?? 0n);
    }
    w.op(`end: read back ${parts.length} partitions of ${topics.length} topics (${skipped.size} skipped)`);
    await call("assign", c.assign(parts.map((tp) => ({ ...tp, offset: OFFSET.BEGINNING }))), 30_000);
    const counts = new Map<number, number>();
    const where = new Map<number, string[]>();
    const next = new Map<string, bigint>([...ends.keys()].map((k) => [k, 0n]));
    const done = () => [...ends].every(([k, high]) => next.get(k)! >= high);
    const until = performance.now() + 60_000;
    while (!done() && performance.now() < until) {
      progress();
      const batch: Message[] = await c.readBatch({ maxMessages: 2_000, timeoutMs: 1_000 });
      for (const m of batch) {
        const k = `${m.topic}/${m.partition}`;
        if (m.offset < next.get(k)!) w.violate(`read-back: ${k}@${m.offset} came after @${next.get(k)! - 1n}`);
        next.set(k, m.offset + 1n);
        const id = w.ledger.verifyRead(m, "read-back");
        if (id !== undefined) {
          counts.set(id, (counts.get(id) ?? 0) + 1);
          where.set(id, [...(where.get(id) ?? []), `[${m.partition}]@${m.offset}`]);
        }
        m.release();
      }
    }
    if (!done()) w.violate(`read-back did not reach the high watermarks in 60 s: ${[...next].join(" ")}`);
    const { checked } = w.ledger.checkReadBack(counts, skipped, where);
    w.note(`read back ${[...counts.values()].reduce((a, b) => a + b, 0)} messages; checked ${checked} sends`);
    w.note(`delivered idempotent messages: ${[...w.ledger.why].map(([k, n]) => `${n} ${k}`).join(", ") || "none"}`);
  } finally {
    await c.close({ timeoutMs: 5_000 }).catch((e) => w.violate(`read-back consumer close: ${showErr(e)}`));
    await admin.close({ timeoutMs: 5_000 }).catch((e) => w.violate(`read-back admin close: ${showErr(e)}`));
  }
}
