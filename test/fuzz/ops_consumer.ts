/**
 * Consumer operations (reads are in `ops_read.ts`): group consumers (auto-commit
 * on or off, eager or cooperative, rebalance hooks that sleep, commit or throw)
 * and consumers with a manual assignment; commits, stored offsets, seeks, pauses,
 * offset queries, membership changes, closes at random points, consumers dropped
 * unclosed, and a test fatal error.
 *
 * Bounds from the README: `committed`, `watermarkOffsets` and `offsetsForTimes`
 * settle within their `timeoutMs` after waiting at most as long for a background
 * slot; membership calls within the 30 s slot wait; close within `timeoutMs` +
 * `CLOSE_MARGIN_MS`; commits by the time close settled.
 *
 * @module
 */
import {
  CLOSE_MARGIN_MS,
  Consumer,
  type ConsumerOptions,
  ErrorCode,
  Message,
  OFFSET,
  type RebalanceEvent,
  type TopicPartition,
} from "../../src/mod.ts";
import type { Rng } from "./rng.ts";
import { type ClientRec, type ConsumerInfo, type ErrKind, errKind, showErr, type World } from "./model.ts";
import { fmt, followClose, type Op, pickClient, sleep, SLOT_WAIT_MS, syncCall, target, weightFor } from "./ops.ts";

/** Distinct partitions of the run's topics (those the mock auto-created count as 4). @example `somePartitions(w, rng, 1, 3)` */
export function somePartitions(w: World, rng: Rng, min: number, max: number): TopicPartition[] {
  const all = w.topics.flatMap((t) =>
    Array.from({ length: t.partitions ?? 4 }, (_, partition) => ({ topic: t.name, partition }))
  );
  if (all.length === 0) return [];
  const out = rng.subset(all, max);
  while (out.length < min && out.length < all.length) {
    const tp = rng.pick(all);
    if (!out.some((o) => o.topic === tp.topic && o.partition === tp.partition)) out.push(tp);
  }
  return out;
}

/** A partition this consumer is likely to have: one it was assigned, one the group gave it, or any. */
function onePartition(w: World, rng: Rng, rec: ClientRec): TopicPartition | undefined {
  let mine: TopicPartition[] = [...rec.consumer!.assigned];
  try {
    mine = mine.concat((rec.ref as Consumer).assignment());
  } catch {
    // Closed: any partition will do (the call must then throw ClosedError).
  }
  if (mine.length > 0 && rng.chance(0.8)) return rng.pick(mine);
  return somePartitions(w, rng, 1, 1)[0];
}

/** What a rebalance hook knows of its consumer: a weak reference, and the record (set once it exists). */
interface HookRef {
  c?: WeakRef<Consumer>;
  rec?: ClientRec;
}

/** The rebalance hook: holds the consumer only weakly (a hook that held it would keep a dropped consumer alive). */
function rebalanceHook(w: World, kind: string, ref: HookRef) {
  return async (e: RebalanceEvent) => {
    const rec = ref.rec!;
    const name = rec.name;
    w.note(`${name} onRebalance ${e.type} ${e.partitions.length} partitions (${kind})`);
    if (kind === "sleep") await sleep(50);
    if (kind === "slow") await sleep(1_500);
    if (kind === "throw") throw new Error("fz: hook failed on purpose");
    if (kind === "commit" && e.type === "revoke") {
      const c = ref.c?.deref();
      if (!c) return;
      const p = c.commit();
      w.track(`${name}.commit() in onRebalance`, p, {
        client: rec,
        boundMs: Infinity,
        byClose: "always",
        errors: ["KafkaError", "ClosedError"],
      });
      await p.catch(() => {});
    }
  };
}

const createConsumer: Op = {
  name: "consumer.new",
  weight: (w) => [2, 0.8, 0.8, 0.5][w.live("consumer").length] ?? 0.1,
  run(w, rng) {
    const grouped = rng.chance(0.6);
    const config: Record<string, string | number | boolean> = {
      "bootstrap.servers": w.bootstrap,
      "auto.offset.reset": rng.weighted([["earliest", 4], ["latest", 1]]),
      "fetch.wait.max.ms": rng.pick([10, 100, 500]),
    };
    const info: ConsumerInfo = {
      groupId: undefined,
      autoCommit: false,
      autoStore: true,
      subscribed: false,
      assigned: [],
      readTimeoutMs: 1_000,
      fatal: false,
    };
    if (grouped) {
      const groupId = rng.chance(0.7) ? rng.pick(w.groups) : `${w.groups[0]}-own-${rng.int(0, 1e6)}`;
      info.groupId = groupId;
      info.autoCommit = rng.chance(0.5);
      info.autoStore = rng.chance(0.8);
      config["group.id"] = groupId;
      config["enable.auto.commit"] = info.autoCommit;
      config["enable.auto.offset.store"] = info.autoStore;
      config["auto.commit.interval.ms"] = rng.pick([200, 1_000, 5_000]);
      config["session.timeout.ms"] = rng.pick([6_000, 10_000, 30_000]);
      // One assignor family per shared group: members that share none are refused by the broker.
      // `--exclude cooperative-sticky`: librdkafka < 2.3.0 aborts the process when such a consumer
      // closes during its first rebalance (librdkafka #4312; see the fuzzer's report).
      const sticky = w.excluded.has("cooperative-sticky") ? "roundrobin" : "cooperative-sticky";
      config["partition.assignment.strategy"] = groupId === w.groups[1]
        ? sticky
        : groupId === w.groups[0]
        ? rng.pick(["range", "range,roundrobin"])
        : rng.pick(["range", "roundrobin", sticky]);
    }
    if (rng.chance(0.3)) config["enable.partition.eof"] = true;
    if (rng.chance(0.1)) config["statistics.interval.ms"] = 300;
    if (rng.chance(0.2)) config["queued.max.messages.kbytes"] = 64;
    const options: ConsumerOptions = {};
    const start = rng.weighted<string>([["start", 3], ["none", 1]]);
    if (start === "start" && grouped) {
      options.topics = subscription(w, rng);
      info.subscribed = true;
    } else if (start === "start") {
      const tps = somePartitions(w, rng, 1, 3).map((tp) => ({ ...tp, offset: startOffset(rng) }));
      if (tps.length > 0) {
        options.assignment = tps;
        info.assigned = tps.map(({ topic, partition }) => ({ topic, partition }));
      }
    }
    if (rng.chance(0.6)) options.copyThreshold = rng.pick([0, 64, 16_384, Infinity]);
    if (rng.chance(0.4)) info.readTimeoutMs = options.readTimeoutMs = rng.pick([100, 1_000]);
    if (rng.chance(0.2)) options.drainBudget = rng.pick([1, 16]);
    const hook = grouped
      ? rng.weighted<string>([["none", 3], ["sync", 1], ["sleep", 1], ["slow", 0.4], [
        "commit",
        1,
      ], ["throw", 0.4]])
      : "none";
    const ref: HookRef = {};
    if (hook !== "none") options.onRebalance = rebalanceHook(w, hook, ref);
    w.op(`new Consumer(${fmt(config)}, ${fmt({ ...options, onRebalance: hook === "none" ? undefined : hook })})`);
    let c: Consumer;
    try {
      c = new Consumer(config, options);
    } catch (e) {
      w.note(`= new Consumer threw ${showErr(e)}`);
      if (errKind(e) !== "LimitError") w.violate(`new Consumer with valid arguments threw ${showErr(e)}`);
      return;
    }
    const rec = w.addClient("consumer", c, true);
    rec.consumer = info;
    ref.rec = rec;
    ref.c = new WeakRef(c);
    listen(w, c, rec.name);
    w.note(`→ ${rec.name} (${c.name})`);
  },
};

/** Names, a RegExp or a `^` pattern over the run's topics. */
function subscription(w: World, rng: Rng): (string | RegExp)[] {
  const form = rng.weighted<string>([["names", 4], ["regexp", 1], ["pattern", 0.5]]);
  if (form === "regexp") return [new RegExp(`^fz-${w.seed}-t[0-9]+$`)];
  if (form === "pattern") return [`^fz-${w.seed}-t[0-9]+`];
  const names = rng.subset(w.topics.map((t) => t.name), 3);
  return names.length > 0 ? names : [w.topics[0]?.name ?? w.newTopicName()];
}

function startOffset(rng: Rng): bigint | undefined {
  return rng.weighted<bigint | undefined>([[undefined, 2], [0n, 3], [OFFSET.BEGINNING, 1], [OFFSET.END, 1], [3n, 1], [
    10n ** 12n,
    0.3,
  ]]);
}

/** Listeners that check the shape of what a consumer emits; they hold only the world and a name. */
function listen(w: World, c: Consumer, name: string): void {
  c.on("error", (e) => {
    if (!["KafkaError", "LimitError"].includes(errKind(e))) w.violate(`${name} emitted error ${showErr(e)}`);
  });
  c.on("log", () => {});
  c.on("rebalance", (e) => {
    if ((e.type !== "assign" && e.type !== "revoke") || !Array.isArray(e.partitions)) {
      w.violate(`${name} emitted a malformed rebalance event ${fmt(e)}`);
    }
  });
  c.on("eof", (e) => {
    if (typeof e.topic !== "string" || !Number.isInteger(e.partition) || typeof e.offset !== "bigint") {
      w.violate(`${name} emitted a malformed eof event ${fmt(e)}`);
    }
  });
}

const commit: Op = {
  name: "consumer.commit",
  weight: (w) => weightFor(w, "consumer", 2),
  run(w, rng) {
    const rec = target(w, rng, "consumer");
    if (!rec) return;
    const c = rec.ref as Consumer;
    const mine = w.held.filter((h) => h.consumer === rec.id).map((h) => h.msg);
    const form = rng.weighted<string>([["stored", 3], ["message", mine.length ? 2 : 0], ["offsets", 2], [
      "messages",
      mine.length ? 1 : 0,
    ]]);
    let arg: Message | (Message | { topic: string; partition: number; offset: bigint })[] | undefined;
    if (form === "message") arg = rng.pick(mine);
    else if (form === "messages") arg = rng.subset(mine, 3);
    else if (form === "offsets") {
      arg = somePartitions(w, rng, 1, 2).map((tp) => ({ ...tp, offset: BigInt(rng.int(0, 20)) }));
    }
    const label = `${rec.name}.commit(${form === "stored" ? "" : fmt(arg)})`;
    w.op(label);
    const grouped = rec.consumer!.groupId !== undefined;
    w.track(label, c.commit(arg), {
      client: rec,
      boundMs: grouped ? Infinity : 0,
      byClose: "always",
      atOnce: !grouped,
      errors: grouped ? ["KafkaError", "ClosedError"] : ["ConfigError", "ClosedError"],
      value: (v) => (Array.isArray(v) ? undefined : `commit resolved with ${fmt(v)}`),
    });
  },
};

/** Synchronous offset and position calls: they may throw only KafkaError or ClosedError. */
const offsetsSync: Op = {
  name: "consumer.sync",
  weight: (w) => weightFor(w, "consumer", 3),
  run(w, rng) {
    const rec = target(w, rng, "consumer");
    if (!rec) return;
    const c = rec.ref as Consumer;
    const what = rng.weighted<string>([["seek", 3], ["pause", 1.5], ["resume", 1.5], ["store", 1], ["position", 1], [
      "lag",
      0.5,
    ], ["assignment", 0.5]]);
    const errors: ErrKind[] = ["KafkaError", "ClosedError"];
    const tp = onePartition(w, rng, rec);
    if (!tp) return;
    if (what === "seek") {
      const offset = rng.weighted<bigint>([
        [0n, 3],
        [OFFSET.BEGINNING, 1],
        [OFFSET.END, 1],
        [BigInt(rng.int(1, 30)), 2],
        [
          10n ** 12n,
          0.3,
        ],
      ]);
      w.op(`${rec.name}.seek(${fmt({ ...tp, offset })})`);
      syncCall(w, `${rec.name}.seek`, () => c.seek({ ...tp, offset }), errors);
    } else if (what === "pause" || what === "resume") {
      const tps = rng.chance(0.7) ? [tp] : somePartitions(w, rng, 1, 3);
      w.op(`${rec.name}.${what}(${fmt(tps)})`);
      syncCall(w, `${rec.name}.${what}`, () => (what === "pause" ? c.pause(tps) : c.resume(tps)), errors);
    } else if (what === "store") {
      const mine = w.held.filter((h) => h.consumer === rec.id).map((h) => h.msg);
      const list = mine.length > 0 && rng.chance(0.6)
        ? rng.subset(mine, 2)
        : [{ ...tp, offset: BigInt(rng.int(0, 20)) }];
      w.op(`${rec.name}.storeOffsets(${fmt(list)})`);
      syncCall(w, `${rec.name}.storeOffsets`, () => c.storeOffsets(list), errors);
    } else {
      const arg = rng.chance(0.5) ? undefined : [tp];
      w.op(`${rec.name}.${what}(${arg ? fmt(arg) : ""})`);
      const v = syncCall(
        w,
        `${rec.name}.${what}`,
        () => (what === "position" ? c.position(arg) : what === "lag" ? c.lag(arg) : c.assignment()),
        errors,
      );
      if (v !== undefined && !Array.isArray(v)) w.violate(`${rec.name}.${what}() returned ${fmt(v)}`);
    }
  },
};

/** Queries that wait for a broker off the JS thread: at most timeoutMs for a slot, then timeoutMs for the call. */
const queries: Op = {
  name: "consumer.query",
  weight: (w) => weightFor(w, "consumer", 2),
  run(w, rng) {
    const rec = target(w, rng, "consumer");
    if (!rec) return;
    const c = rec.ref as Consumer;
    const timeoutMs = rng.weighted<number | undefined>([[0, 0.5], [10, 1], [500, 2], [2_000, 1], [undefined, 0.2]]);
    const t = timeoutMs ?? 10_000;
    const o = timeoutMs === undefined ? undefined : { timeoutMs };
    // `--exclude watermarks-leader-down`: on librdkafka 2.0.2 a watermark query whose leader goes
    // down (even after the call began) ignores its timeout and waits for the broker to return
    // (see the fuzzer's report): then only the cached form is asked.
    const skipWatermarks = w.excluded.has("watermarks-leader-down");
    const what = rng.weighted<string>([["committed", 1], ["watermarks", skipWatermarks ? 0 : 2], ["cached", 0.5], [
      "forTimes",
      1,
    ]]);
    const tp = onePartition(w, rng, rec);
    if (!tp) return;
    let label: string;
    let p: Promise<unknown>;
    if (what === "committed") {
      const arg = rng.chance(0.3) ? undefined : somePartitions(w, rng, 1, 3);
      label = `${rec.name}.committed(${arg ? fmt(arg) : ""}, ${fmt(o)})`;
      w.op(label);
      p = c.committed(arg, o);
    } else if (what === "forTimes") {
      const q = somePartitions(w, rng, 1, 3).map((x) => ({
        ...x,
        timestamp: rng.pick([0, Date.now() - 3_600_000, Date.now(), Date.now() + 1e9]),
      }));
      label = `${rec.name}.offsetsForTimes(${fmt(q)}, ${fmt(o)})`;
      w.op(label);
      p = c.offsetsForTimes(q, o);
    } else {
      const opts = what === "cached" ? { ...o, cached: true } : o;
      label = `${rec.name}.watermarkOffsets(${tp.topic}, ${tp.partition}, ${fmt(opts)})`;
      w.op(label);
      p = c.watermarkOffsets(tp.topic, tp.partition, opts);
    }
    w.track(label, p, {
      client: rec,
      // Offset calls stay allowed while close runs (until the handle goes), so a closing consumer's may run too.
      boundMs: what === "cached" ? 0 : 2 * t,
      byClose: "ifClean",
      errors: rec.life === "closing"
        ? ["ClosedError", "KafkaError", "LimitError"]
        : ["KafkaError", "LimitError", "ClosedError"],
    });
  },
};

/** subscribe / unsubscribe / assign / unassign: off the JS thread, waiting at most 30 s for a slot. */
const membership: Op = {
  name: "consumer.membership",
  weight: (w) => weightFor(w, "consumer", 1.5),
  run(w, rng) {
    const rec = target(w, rng, "consumer");
    if (!rec) return;
    const c = rec.ref as Consumer;
    const info = rec.consumer!;
    const grouped = info.groupId !== undefined;
    const what = rng.weighted<string>([["subscribe", grouped ? 3 : 0.3], ["unsubscribe", grouped ? 1 : 0.2], [
      "assign",
      grouped ? 0.3 : 3,
    ], ["unassign", 1]]);
    let label: string;
    let p: Promise<unknown>;
    if (what === "subscribe") {
      const topics = subscription(w, rng);
      label = `${rec.name}.subscribe(${fmt(topics)})`;
      w.op(label);
      p = c.subscribe(topics);
      info.subscribed = true;
    } else if (what === "assign") {
      const tps = somePartitions(w, rng, 0, 3).map((tp) => ({ ...tp, offset: startOffset(rng) }));
      label = `${rec.name}.assign(${fmt(tps)})`;
      w.op(label);
      p = c.assign(tps);
      info.assigned = tps.map(({ topic, partition }) => ({ topic, partition }));
    } else {
      label = `${rec.name}.${what}()`;
      w.op(label);
      p = what === "unsubscribe" ? c.unsubscribe() : c.unassign();
      if (what === "unassign") info.assigned = [];
    }
    const refusedForState = what === "subscribe" && !grouped;
    w.track(label, p, {
      client: rec,
      boundMs: rec.life === "closing" || refusedForState ? 0 : SLOT_WAIT_MS,
      byClose: "ifClean",
      atOnce: refusedForState,
      errors: refusedForState ? ["ConfigError", "ClosedError"] : ["KafkaError", "ClosedError", "LimitError"],
    });
  },
};

const close: Op = {
  name: "consumer.close",
  weight: (w) => weightFor(w, "consumer", 0.6),
  run(w, rng) {
    const rec = target(w, rng, "consumer");
    if (!rec) return;
    closeConsumer(
      w,
      rec,
      rng.weighted<number | undefined>([[0, 1], [100, 1], [1_000, 2], [3_000, 1], [undefined, 0.1]]),
    );
  },
};

/**
 * Closes a consumer: settled within `timeoutMs` + CLOSE_MARGIN_MS, resolving or
 * rejecting `_TIMED_OUT` (the coordinator did not answer); reads and commits
 * settled by then. A second close returns the first one's promise.
 *
 * @example
 * ```ts
 * closeConsumer(w, rec, 5_000);
 * ```
 */
export function closeConsumer(w: World, rec: ClientRec, timeoutMs: number | undefined): void {
  const c = rec.ref as Consumer;
  const first = rec.closeId === undefined;
  w.op(`${rec.name}.close({timeoutMs:${timeoutMs}})${first ? "" : " (again)"}`);
  const closed = c.close(timeoutMs === undefined ? undefined : { timeoutMs });
  followClose(w, rec, closed, timeoutMs, (timeoutMs ?? 30_000) + CLOSE_MARGIN_MS);
}

const drop: Op = {
  name: "consumer.drop",
  weight: (w) => (w.live("consumer").length > 0 ? 0.3 : 0),
  run(w, rng) {
    const rec = pickClient(w, rng, "consumer");
    if (!rec) return;
    // A read without a timeout keeps its consumer alive by design (nothing would ever end it): not dropped.
    const waiting = w.unbounded(rec);
    if (waiting.length > 0) {
      w.op(`keep ${rec.name}: ${waiting.map((t) => `t${t.id}`).join(", ")} wait without a bound`);
      return;
    }
    w.op(`drop ${rec.name} without close; a later GC closes it`);
    rec.ref = undefined;
    rec.life = "dropped";
  },
};

const fatal: Op = {
  name: "consumer.testFatalError",
  weight: (w) => (w.live("consumer").some((c) => !c.consumer!.fatal) ? 0.08 : 0),
  run(w, rng) {
    const rec = rng.maybe(w.live("consumer").filter((c) => !c.consumer!.fatal));
    if (!rec) return;
    w.op(`${rec.name}.testFatalError(FENCED_INSTANCE_ID)`);
    rec.consumer!.fatal = true;
    const c = rec.ref as Consumer;
    syncCall(w, `${rec.name}.testFatalError`, () => c.testFatalError(ErrorCode.FENCED_INSTANCE_ID, "fz"), [
      "KafkaError",
    ]);
  },
};

/** Consumer operations. @example `const ops = [...consumerOps]` */
export const consumerOps: readonly Op[] = [
  createConsumer,
  commit,
  offsetsSync,
  queries,
  membership,
  close,
  drop,
  fatal,
];
