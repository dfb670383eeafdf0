/**
 * The operations a fuzz step can make, and the ones that are about no client in
 * particular: the mock cluster (brokers down and up, round-trip delays, new topics,
 * injected request errors, a second cluster closed with operations in flight),
 * process-wide limits, forced garbage collection, sleeps that let librdkafka's
 * threads work, and the messages the fuzzer keeps after reading them.
 *
 * Every operation logs one line before it calls anything, so the log of a crashed
 * child ends with the call that crashed it.
 *
 * @module
 */
import { configure, currentLimits, ErrorCode, KafkaError, type Message, MockCluster } from "../../src/mod.ts";
import { forceGc } from "../helpers/runtime.ts";
import type { Rng } from "./rng.ts";
import { type ClientRec, type ErrKind, errKind, type Life, showErr, type World } from "./model.ts";

/**
 * One kind of operation: how likely it is in the current state (0: not possible)
 * and what it does.
 *
 * @example
 * ```ts
 * const sleepOp: Op = { name: "sleep", weight: () => 3, run: (w, rng) => sleep(rng.int(0, 50)) };
 * ```
 */
export interface Op {
  name: string;
  weight(w: World): number;
  run(w: World, rng: Rng): void | Promise<void>;
}

/** Default wait for a background slot of calls that take no timeout (mock operations, subscribe, …). @example `{ boundMs: SLOT_WAIT_MS }` */
export const SLOT_WAIT_MS = 30_000;

/** Resolves after `ms`. @example `await sleep(5)` */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * How the log shows an argument: numbers that JSON cannot show (NaN, Infinity),
 * bigints, byte arrays by length, signals and functions by kind.
 *
 * @example
 * ```ts
 * fmt({ timeoutMs: NaN }) // "{timeoutMs:NaN}"
 * ```
 */
export function fmt(v: unknown, depth = 0): string {
  if (v === undefined) return "undefined";
  if (v === null) return "null";
  if (typeof v === "number") return Object.is(v, -0) ? "-0" : String(v);
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "string") return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…(${v.length})` : v);
  if (typeof v === "boolean") return String(v);
  if (typeof v === "function") return "fn";
  if (typeof v === "symbol") return v.toString();
  if (v instanceof Uint8Array) return `bytes(${v.length}${v.byteOffset ? `@${v.byteOffset}` : ""})`;
  if (v instanceof ArrayBuffer) return `ArrayBuffer(${v.byteLength})`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${v.byteLength})`;
  if (v instanceof RegExp) return String(v);
  if (v instanceof Date) return `Date(${v.getTime()})`;
  if (typeof AbortSignal !== "undefined" && v instanceof AbortSignal) {
    return `signal(${v.aborted ? "aborted" : "live"})`;
  }
  if (depth > 3) return "…";
  if (v instanceof Map) return `Map(${fmt([...v], depth + 1)})`;
  if (typeof Headers !== "undefined" && v instanceof Headers) return `Headers(${fmt([...v], depth + 1)})`;
  if (Array.isArray(v)) {
    const items = v.slice(0, 6).map((x) => fmt(x, depth + 1));
    return `[${items.join(",")}${v.length > 6 ? `,…(${v.length})` : ""}]`;
  }
  const proto = Object.getPrototypeOf(v);
  const name = proto && proto !== Object.prototype ? `${proto.constructor?.name ?? "?"}` : "";
  const entries = Object.entries(v as object).slice(0, 12).map(([k, x]) => `${k}:${fmt(x, depth + 1)}`);
  return `${name}{${entries.join(",")}}`;
}

/** A client of `kind` in one of `lives`, chosen by the step's generator. @example `pickClient(w, rng, "producer")` */
export function pickClient(
  w: World,
  rng: Rng,
  kind: ClientRec["kind"],
  lives: readonly Life[] = ["open"],
): ClientRec | undefined {
  return rng.maybe(w.live(kind, lives));
}

/**
 * The weight of an operation on clients of `kind`: `base` while one is open, a
 * tenth of it while only closing or closed ones are left (calls after close), else 0.
 *
 * @example
 * ```ts
 * weight: (w) => weightFor(w, "producer", 8)
 * ```
 */
export function weightFor(w: World, kind: ClientRec["kind"], base: number): number {
  if (w.live(kind).length > 0) return base;
  return w.live(kind, ["closing"]).length > 0 ? base / 10 : 0;
}

/**
 * An open client mostly, now and then one that is closing or closed (calls after
 * close must reject with ClosedError at once, never crash).
 *
 * @example
 * ```ts
 * const rec = target(w, rng, "consumer");
 * ```
 */
export function target(w: World, rng: Rng, kind: ClientRec["kind"]): ClientRec | undefined {
  const closing = w.live(kind, ["closing"]);
  if (closing.length > 0 && rng.chance(0.08)) return rng.pick(closing);
  return pickClient(w, rng, kind) ?? rng.maybe(closing);
}

/**
 * Calls a synchronous method; an exception must be one of `errors`. Returns the
 * result, or undefined when it threw.
 *
 * @example
 * ```ts
 * syncCall(w, "C3.seek(t[0]@0)", () => c.seek(to), ["KafkaError", "ClosedError"]);
 * ```
 */
export function syncCall<T>(w: World, label: string, fn: () => T, errors: readonly ErrKind[]): T | undefined {
  try {
    const v = fn();
    w.note(`= ${label}: ${v === undefined ? "ok" : fmt(v)}`);
    return v;
  } catch (e) {
    w.note(`= ${label}: threw ${showErr(e)}`);
    if (!errors.includes(errKind(e))) w.violate(`${label} threw ${showErr(e)}; allowed: ${errors.join(", ")}`);
    return undefined;
  }
}

/** What a refused call must not change: the process-wide load and whatever the caller adds. */
function loadProbe(extra?: () => unknown): string {
  const l = currentLimits();
  return JSON.stringify({
    openClients: l.openClients,
    backgroundCalls: l.backgroundCalls,
    backgroundWaiting: l.backgroundWaiting,
    heldBytes: l.heldBytes,
    maxClients: l.maxClients,
    maxBackgroundCalls: l.maxBackgroundCalls,
    maxHeldBytes: l.maxHeldBytes,
    extra: extra?.(),
  }, (_k, v) => (typeof v === "bigint" ? String(v) : v));
}

/**
 * A call that must be refused for its arguments: it throws, or returns a promise
 * that has rejected by the end of the step, with one of `errors`; and it changes
 * nothing (the load in `currentLimits()`, plus `probe`: a client's closed flag, its
 * pending count, …, read right before and right after the call).
 *
 * @example
 * ```ts
 * refused(w, "P1.flush({timeoutMs:-1})", () => p.flush({ timeoutMs: -1 }), ["TypeError"], () => p.pending);
 * ```
 */
export function refused(
  w: World,
  label: string,
  fn: () => unknown,
  errors: readonly ErrKind[],
  probe?: () => unknown,
  client?: ClientRec,
): void {
  const before = loadProbe(probe);
  let r: unknown;
  try {
    r = fn();
  } catch (e) {
    const after = loadProbe(probe);
    w.note(`= ${label}: threw ${showErr(e)}`);
    if (!errors.includes(errKind(e))) w.violate(`${label} threw ${showErr(e)}; expected ${errors.join(" or ")}`);
    if (after !== before) w.violate(`${label} was refused but changed state: ${before} → ${after}`);
    return;
  }
  const after = loadProbe(probe);
  if (after !== before) w.violate(`${label} was refused but changed state: ${before} → ${after}`);
  if (r instanceof Promise) {
    w.track(label, r, {
      client,
      boundMs: 0,
      errors,
      atOnce: true,
      value: (v) => `accepted arguments it must refuse (fulfilled with ${fmt(v)})`,
    });
  } else {
    w.violate(`${label} accepted arguments it must refuse (returned ${fmt(r)})`);
  }
}

/** Brings a broker down or up. */
const brokerDown: Op = {
  name: "mock.setBrokerDown",
  weight: () => 2,
  run(w, rng) {
    const id = rng.int(1, w.brokers);
    // Down less often than up: a cluster that is mostly down tests only timeouts.
    const down = rng.chance(0.4);
    w.op(`mock.setBrokerDown(${id}, ${down})`);
    if (down) {
      w.down.add(id);
      w.disturbedAt.push(performance.now());
    } else w.down.delete(id);
    // Not awaited: MockCluster runs its operations in call order, each within its bound from the call.
    const p = w.cluster.setBrokerDown(id, down);
    w.track(`mock.setBrokerDown(${id}, ${down})`, p, {
      boundMs: SLOT_WAIT_MS,
      errors: ["LimitError"],
      after: () => down && w.disturbedAt.push(performance.now()),
    });
  },
};

const setRtt: Op = {
  name: "mock.setRtt",
  weight: () => 1,
  run(w, rng) {
    const id = rng.int(1, w.brokers);
    const ms = rng.weighted<number>([[0, 4], [10, 2], [100, 2], [400, 1], [1500, 0.3]]);
    w.op(`mock.setRtt(${id}, ${ms})`);
    w.disturbedAt.push(performance.now());
    const p = w.cluster.setRtt(id, ms);
    w.track(`mock.setRtt(${id}, ${ms})`, p, {
      boundMs: SLOT_WAIT_MS,
      errors: ["LimitError"],
      after: () => w.disturbedAt.push(performance.now()),
    });
  },
};

const createTopic: Op = {
  name: "mock.createTopic",
  weight: (w) => (w.topics.length < 6 ? 1.5 : 0.2),
  run(w, rng) {
    const existing = w.topics.filter((t) => t.partitions !== undefined);
    if (existing.length > 0 && rng.chance(0.15)) {
      // An existing topic: the mock says TOPIC_ALREADY_EXISTS (a KafkaError), nothing else changes.
      const t = rng.pick(existing);
      w.op(`mock.createTopic(${t.name}) again`);
      w.track(`mock.createTopic(${t.name}) again`, w.cluster.createTopic(t.name, { partitions: 1 }), {
        boundMs: SLOT_WAIT_MS,
        errors: ["KafkaError", "LimitError"],
      });
      return;
    }
    const name = w.newTopicName();
    const partitions = rng.int(1, 4);
    const replicationFactor = rng.int(1, w.brokers);
    w.op(`mock.createTopic(${name}, {partitions:${partitions}, replicationFactor:${replicationFactor}})`);
    w.topics.push({ name, partitions });
    w.track(`mock.createTopic(${name})`, w.cluster.createTopic(name, { partitions, replicationFactor }), {
      boundMs: SLOT_WAIT_MS,
      // The topic is usable from this step on: a client that asks about it before the
      // create runs makes the mock auto-create it (with its default partition count).
      errors: ["LimitError", "KafkaError"],
      reason: (
        e,
      ) => (e instanceof KafkaError && e.name === "TOPIC_ALREADY_EXISTS" ? undefined : `rejected ${showErr(e)}`),
    });
  },
};

/** Retriable produce errors: librdkafka retries them (a non-idempotent producer may then write twice). */
const pushErrors: Op = {
  name: "mock.pushRequestErrors",
  // Only while a producer is open, so that the errors are used up soon (see World.injectedAt).
  weight: (w) => (w.live("producer").length > 0 ? 0.1 : 0),
  run(w, rng) {
    const codes = Array.from({ length: rng.int(1, 3) }, () => rng.pick([6, 7])); // NOT_LEADER_OR_FOLLOWER, REQUEST_TIMED_OUT
    w.op(`mock.pushRequestErrors(0 /* Produce */, ${fmt(codes)})`);
    w.injectedAt.push(performance.now());
    w.track("mock.pushRequestErrors", w.cluster.pushRequestErrors(0, codes), {
      boundMs: SLOT_WAIT_MS,
      errors: ["LimitError"],
    });
  },
};

/**
 * A second cluster whose operations are started without await and which is
 * closed at once: every operation must still succeed (they run before it is
 * freed), the close must settle, later calls reject with ClosedError.
 */
const mockChurn: Op = {
  name: "mock.churn",
  weight: (w) => (w.churnOpen === 0 ? 0.3 : 0),
  async run(w, rng) {
    const brokers = rng.int(1, 2);
    w.op(`second MockCluster.create({brokers:${brokers}}), ops without await, close at once`);
    let m: MockCluster;
    try {
      m = await MockCluster.create({ brokers });
    } catch (e) {
      if (errKind(e) !== "LimitError") w.violate(`MockCluster.create threw ${showErr(e)}`);
      return;
    }
    w.churnOpen++;
    const n = rng.int(0, 4);
    for (let i = 0; i < n; i++) {
      const p = rng.pick([
        () => m.createTopic(`churn-${i}`, { partitions: 2 }),
        () => m.setBrokerDown(1, rng.chance(0.5)),
        () => m.setRtt(brokers, rng.int(0, 50)),
      ])();
      w.track(`churn op ${i}`, p, { boundMs: SLOT_WAIT_MS, errors: ["LimitError"] });
    }
    const closed = m.close();
    w.track("churn close", closed, {
      boundMs: SLOT_WAIT_MS + 5_000,
      errors: [],
      after: () => {
        w.churnOpen--;
        w.track("churn setRtt after close", m.setRtt(1, 0), { boundMs: 0, errors: ["ClosedError"] });
      },
    });
  },
};

const configureOp: Op = {
  name: "configure",
  weight: () => 0.7,
  run(w, rng) {
    const next: Record<string, number> = {};
    if (rng.chance(0.7)) next.maxBackgroundCalls = rng.weighted<number>([[1, 2], [2, 2], [3, 1], [4, 2], [6, 1]]);
    if (rng.chance(0.3)) next.maxHeldBytes = rng.weighted<number>([[64 * 1024, 1], [1 << 20, 1], [256 << 20, 2]]);
    if (rng.chance(0.2)) {
      next.maxClients = rng.weighted<number>([[currentLimits().openClients + rng.int(0, 2), 1], [32, 2]]);
    }
    w.op(`configure(${fmt(next)})`);
    syncCall(w, "configure", () => configure(next), []);
  },
};

const gcOp: Op = {
  name: "gc",
  weight: () => 1,
  async run(w) {
    w.op("forced GC");
    forceGc();
    await sleep(5); // finalizers run in later tasks
  },
};

const sleepOp: Op = {
  name: "sleep",
  weight: () => 6,
  async run(w, rng) {
    // Time for librdkafka's threads: reports, fetches, group joins (about 3 s on the mock), timeouts.
    const ms = rng.weighted<number>([[rng.int(0, 5), 2], [rng.int(10, 60), 3], [rng.int(100, 500), 3], [
      rng.int(800, 2500),
      1,
    ]]);
    w.op(`sleep ${ms} ms`);
    await sleep(ms);
  },
};

/** Releases a kept message: a zero-copy view must then be detached, and its value refuse to be read. */
const releaseHeld: Op = {
  name: "message.release",
  weight: (w) => (w.held.length > 0 ? 1.5 : 0),
  run(w, rng) {
    const i = rng.int(0, w.held.length - 1);
    const { msg } = w.held[i];
    w.held.splice(i, 1);
    w.op(`release ${msg.topic}[${msg.partition}]@${msg.offset} (zeroCopy ${msg.zeroCopy})`);
    releaseAndCheck(w, msg);
  },
};

/**
 * Releases `msg` and checks the documented effect: views of a zero-copy value are
 * detached (nothing can read freed memory) and `value` throws ClosedError.
 *
 * @example
 * ```ts
 * releaseAndCheck(w, m);
 * ```
 */
export function releaseAndCheck(w: World, msg: Message): void {
  let view: Uint8Array | null = null;
  let zero = false;
  try {
    zero = msg.zeroCopy;
    view = msg.value;
  } catch {
    // Already released or copied out at close: nothing to hold on to.
  }
  syncCall(w, "release", () => msg.release(), []);
  if (zero && view !== null && view.byteLength !== 0) {
    w.violate(`a released zero-copy view still has ${view.byteLength} bytes`);
  }
  if (zero) {
    try {
      msg.value;
      // A zero-copy message copied out by its consumer's close keeps the copy: that is allowed.
    } catch (e) {
      if (errKind(e) !== "ClosedError") w.violate(`value after release threw ${showErr(e)}`);
    }
  }
}

/** Re-reads kept messages: after their consumer closed they hold copies, which must still be exact. */
const recheckHeld: Op = {
  name: "message.recheck",
  weight: (w) => (w.held.length > 0 ? 0.7 : 0),
  run(w) {
    w.op(`re-check ${w.held.length} kept messages`);
    for (const { msg } of w.held) w.ledger.verifyRead(msg, "kept");
  },
};

/** Forgets the kept messages: the garbage collector frees their native memory. */
const dropHeld: Op = {
  name: "message.drop",
  weight: (w) => (w.held.length > 0 ? 0.5 : 0),
  run(w) {
    w.op(`drop ${w.held.length} kept messages (the GC frees them)`);
    w.held = [];
  },
};

/**
 * Follows a client's close (the first, or a second that must return the first's
 * promise): settled within `boundMs`, resolving or rejecting `_TIMED_OUT`; what
 * had to settle by then is checked when the first close settles.
 *
 * @example
 * ```ts
 * followClose(w, rec, p.close({ timeoutMs: 5_000 }), 5_000, 6_000);
 * ```
 */
export function followClose(
  w: World,
  rec: ClientRec,
  closed: Promise<void>,
  timeoutMs: number | undefined,
  boundMs: number,
): void {
  const first = rec.closeId === undefined;
  rec.life = "closing";
  if (!first && closed !== rec.closePromise) w.violate(`${rec.name}: a second close returned a new promise`);
  const id = w.track(`${rec.name}.close(${timeoutMs})${first ? "" : " again"}`, closed, {
    client: rec,
    boundMs: first ? boundMs : w.remaining(rec.closeId),
    errors: ["KafkaError"],
    reason: (e) => ((e as KafkaError).code === ErrorCode._TIMED_OUT ? undefined : `close rejected ${showErr(e)}`),
    after: (status) => {
      if (first) w.closeSettled(rec, status);
    },
  });
  if (first) {
    rec.closeId = id;
    rec.closePromise = closed;
  }
}

/** Operations not tied to one client. @example `const all = [...genericOps, ...producerOps]` */
export const genericOps: readonly Op[] = [
  brokerDown,
  setRtt,
  createTopic,
  pushErrors,
  mockChurn,
  configureOp,
  gcOp,
  sleepOp,
  releaseHeld,
  recheckHeld,
  dropHeld,
];
