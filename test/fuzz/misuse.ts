/**
 * Misuse: calls with arguments the README says are refused before anything
 * happens (wrong types, NaN / -1 / 2^31 / Infinity timeouts, null options, bad
 * partitions, bad headers, malformed messages, bad configuration), on every kind
 * of client, on the mock cluster, on `configure` and on constructors.
 *
 * Each must throw, or reject by the end of its step, with a TypeError or
 * RangeError (a ConfigError for configuration, a KafkaError TOPIC_EXCEPTION for an
 * invalid topic name), and change nothing: the load in `currentLimits()` and the
 * client's own state are read right before and after the call, and a message in a
 * refused call is recorded as refused, so that the read-back fails if it was sent.
 *
 * Each generator has a name; `--exclude name` leaves one out (for a known bug,
 * so that the rest of a run can go on).
 *
 * @module
 */
import { AdminClient, configure, Consumer, MockCluster, Producer, type ProducerMessage } from "../../src/mod.ts";
import type { Rng } from "./rng.ts";
import { valueText } from "./ledger.ts";
import { type ClientRec, type ErrKind, showErr, type World } from "./model.ts";
import { fmt, type Op, refused } from "./ops.ts";

/** One misuse: the call, what it must be refused with, and what must not change. */
interface Misuse {
  label: string;
  call: () => unknown;
  errors: ErrKind[];
  probe?: () => unknown;
  client?: ClientRec;
  /** Ledger ids of messages in the call (recorded as refused). */
  ids?: number[];
}

interface Generator {
  name: string;
  weight(w: World): number;
  make(w: World, rng: Rng): Misuse | undefined;
}

const BAD_TIMEOUTS: readonly unknown[] = [-1, NaN, 2 ** 31, 1e12, -Infinity, "100", null, {}, true, 10n];
const BAD_OPTIONS: readonly unknown[] = [null, [], "x", 5, true];
// deno-lint-ignore no-explicit-any
const any = (v: unknown) => v as any;

/** A bad `options` argument, or options with a bad `timeoutMs` (Infinity too where librdkafka takes the timeout). */
function badOptions(rng: Rng, infinityBad: boolean): unknown {
  if (rng.chance(0.3)) return rng.pick(BAD_OPTIONS);
  const t = infinityBad && rng.chance(0.25) ? Infinity : rng.pick(BAD_TIMEOUTS);
  return { timeoutMs: t };
}

/** A closing client may answer ClosedError first; a fatal producer its fatal KafkaError. */
function withState(rec: ClientRec, errors: ErrKind[]): ErrKind[] {
  const extra: ErrKind[] = rec.life === "closing" ? ["ClosedError"] : [];
  if (rec.producer?.fatal || rec.consumer?.fatal) extra.push("KafkaError");
  return [...errors, ...extra];
}

function topicOf(w: World): string {
  return w.topics[0]?.name ?? `fz-${w.seed}-t0`;
}

/** A well-formed message whose id is recorded (refused) in the ledger, to be spoiled by the caller. */
function refusedMessage(w: World, rec: ClientRec): { m: Record<string, unknown>; id: number } {
  const id = w.ledger.nextId();
  const topic = topicOf(w);
  w.ledger.add({
    id,
    topic,
    producer: rec.name,
    idempotent: false,
    info: rec.producer,
    partition: undefined,
    key: null,
    headers: [],
    valueLen: 64,
    timestamp: undefined,
  });
  return { m: { topic, value: valueText(w.seed, id, 64) }, id };
}

/** Ways to spoil a message; each is refused with a TypeError (a bad topic name: KafkaError). */
const SPOILERS: readonly [string, (m: Record<string, unknown>) => unknown, ErrKind][] = [
  ["null message", () => null, "TypeError"],
  ["number message", () => 5, "TypeError"],
  ["string message", () => "msg", "TypeError"],
  ["topic 5", (m) => ({ ...m, topic: 5 }), "TypeError"],
  ["no topic", (m) => ({ value: m.value }), "TypeError"],
  ["no value", (m) => ({ topic: m.topic }), "TypeError"],
  ["value undefined", (m) => ({ ...m, value: undefined }), "TypeError"],
  ["value 5", (m) => ({ ...m, value: 5 }), "TypeError"],
  ["value {}", (m) => ({ ...m, value: {} }), "TypeError"],
  ["value ArrayBuffer", (m) => ({ ...m, value: new ArrayBuffer(4) }), "TypeError"],
  ["value Int8Array", (m) => ({ ...m, value: new Int8Array(2) }), "TypeError"],
  ["value DataView", (m) => ({ ...m, value: new DataView(new ArrayBuffer(2)) }), "TypeError"],
  ["key 5", (m) => ({ ...m, key: 5 }), "TypeError"],
  ["key true", (m) => ({ ...m, key: true }), "TypeError"],
  ["partition -2", (m) => ({ ...m, partition: -2 }), "TypeError"],
  ["partition 1.5", (m) => ({ ...m, partition: 1.5 }), "TypeError"],
  ["partition 2^31", (m) => ({ ...m, partition: 2 ** 31 }), "TypeError"],
  ["partition NaN", (m) => ({ ...m, partition: NaN }), "TypeError"],
  ["partition '0'", (m) => ({ ...m, partition: "0" }), "TypeError"],
  ["timestamp 'x'", (m) => ({ ...m, timestamp: "x" }), "TypeError"],
  ["timestamp NaN", (m) => ({ ...m, timestamp: NaN }), "TypeError"],
  ["timestamp -1", (m) => ({ ...m, timestamp: -1 }), "TypeError"],
  ["timestamp Infinity", (m) => ({ ...m, timestamp: Infinity }), "TypeError"],
  ["timestamp invalid Date", (m) => ({ ...m, timestamp: new Date(NaN) }), "TypeError"],
  ["headers 5", (m) => ({ ...m, headers: 5 }), "TypeError"],
  ["headers string", (m) => ({ ...m, headers: "h" }), "TypeError"],
  ["headers Date", (m) => ({ ...m, headers: new Date() }), "TypeError"],
  ["header without value", (m) => ({ ...m, headers: [["a"]] }), "TypeError"],
  ["header name 5", (m) => ({ ...m, headers: [[5, "x"]] }), "TypeError"],
  ["header value 5", (m) => ({ ...m, headers: [["a", 5]] }), "TypeError"],
  ["record header value 5", (m) => ({ ...m, headers: { a: 5 } }), "TypeError"],
  ["Map header value {}", (m) => ({ ...m, headers: new Map([["a", {}]]) }), "TypeError"],
  ["header triple", (m) => ({ ...m, headers: [["a", "b", "c"]] }), "TypeError"],
  ["header null pair", (m) => ({ ...m, headers: [null] }), "TypeError"],
  ["topic ''", (m) => ({ ...m, topic: "" }), "KafkaError"],
  ["topic 'a b'", (m) => ({ ...m, topic: "a b" }), "KafkaError"],
  ["topic '..'", (m) => ({ ...m, topic: ".." }), "KafkaError"],
  ["topic of 250 chars", (m) => ({ ...m, topic: "x".repeat(250) }), "KafkaError"],
];

const producerGen: Generator = {
  name: "producer",
  weight: (w) => (w.live("producer", ["open", "closing"]).length > 0 ? 3 : 0),
  make(w, rng) {
    const rec = rng.maybe(w.live("producer", ["open", "closing"]));
    if (!rec) return;
    const p = rec.ref as Producer;
    const probe = () => ({ closed: p.closed, pending: p.pending });
    const what = rng.weighted<string>([["send", 4], ["sendMulti", 2], ["flush", 1], ["close", 1]]);
    if (what === "flush" || what === "close") {
      const o = badOptions(rng, false);
      return {
        label: `${rec.name}.${what}(${fmt(o)})`,
        call: () => (what === "flush" ? p.flush(any(o)) : p.close(any(o))),
        // flush refuses a closing producer first; close checks its arguments first.
        errors: what === "flush" ? withState(rec, ["TypeError"]) : ["TypeError"],
        probe,
        client: rec,
      };
    }
    const [name, spoil, kind] = rng.pick(SPOILERS);
    const bad = refusedMessage(w, rec);
    if (what === "send") {
      return {
        label: `${rec.name}.send(${name}: ${fmt(spoil(bad.m))})`,
        call: () => p.send(any(spoil(bad.m))),
        errors: withState(rec, [kind]),
        probe,
        client: rec,
        ids: [bad.id],
      };
    }
    // One spoilt message among good ones: nothing at all is sent.
    const good = [refusedMessage(w, rec), refusedMessage(w, rec)];
    const list = rng.chance(0.2)
      ? rng.pick<unknown>(["x", null, 5, { length: 1, 0: good[0].m }])
      : [good[0].m, spoil(bad.m), good[1].m];
    return {
      label: `${rec.name}.sendMulti(${Array.isArray(list) ? `[good, ${name}, good]` : fmt(list)})`,
      call: () => p.sendMulti(any(list) as ProducerMessage[]),
      errors: withState(rec, Array.isArray(list) ? [kind] : ["TypeError"]),
      probe,
      client: rec,
      ids: [bad.id, ...good.map((g) => g.id)],
    };
  },
};

/** One candidate misuse: its name, its (already chosen) arguments, the call, what it must throw. */
type Candidate = [name: string, args: unknown[], call: (...args: unknown[]) => unknown, errors: ErrKind[]];

/** The label of a candidate with its arguments as the log shows them. */
function labelOf(prefix: string, [name, args]: Candidate): string {
  return `${prefix}${name}(${args.map((a) => fmt(a)).join(", ")})`;
}

const consumerGen: Generator = {
  name: "consumer",
  weight: (w) => (w.live("consumer", ["open", "closing"]).length > 0 ? 3 : 0),
  make(w, rng) {
    const rec = rng.maybe(w.live("consumer", ["open", "closing"]));
    if (!rec) return;
    const c = rec.ref as Consumer;
    const t = topicOf(w);
    const probe = () => ({ closed: c.closed });
    const badTp = rng.pick<unknown>([
      null,
      5,
      { topic: "", partition: 0 },
      { topic: t, partition: -1 },
      {
        topic: t,
        partition: 1.5,
      },
      { topic: 5, partition: 0 },
      { topic: t, partition: 2 ** 31 },
      { topic: t, partition: "0" },
    ]);
    const grouped = rec.consumer!.groupId !== undefined;
    const typed: ErrKind[] = ["TypeError"];
    const maxMessages = rng.pick([0, -1, 1.5, "5", NaN, undefined, Infinity]);
    const wm = rng.chance(0.5) ? [rng.pick(["", 5, null]), 0] : [t, rng.pick([-1, 1.5, NaN, "0"])];
    const candidates: Candidate[] = [
      ["read", [badOptions(rng, false)], (o) => c.read(any(o)), typed],
      ["readBatch", [{ maxMessages }], (o) => c.readBatch(any(o)), typed],
      [
        "readBatch",
        [rng.chance(0.3) ? null : { maxMessages: 5, timeoutMs: rng.pick(BAD_TIMEOUTS) }],
        (o) => c.readBatch(any(o)),
        typed,
      ],
      [
        "messages(…).next",
        [{ signal: rng.pick([5, "x", {}, { aborted: false }]) }],
        (o) => c.messages(any(o)).next(),
        typed,
      ],
      [
        "seek",
        [rng.chance(0.5) ? badTp : { topic: t, partition: 0, offset: rng.pick([0, "0", undefined]) }],
        (x) => c.seek(any(x)),
        typed,
      ],
      ["pause", [rng.chance(0.3) ? "x" : [badTp]], (x) => c.pause(any(x)), typed],
      ["resume", [rng.chance(0.3) ? "x" : [badTp]], (x) => c.resume(any(x)), typed],
      [
        "commit",
        [rng.pick([5, "x", null, true, {}, [5], [{ topic: t, partition: 0, offset: 1 }], [badTp]])],
        (x) => c.commit(any(x)),
        grouped ? typed : ["ConfigError"],
      ],
      [
        "storeOffsets",
        [rng.pick(["x", null, [{ topic: t, partition: -1, offset: 0n }], [{ topic: t, partition: 0, offset: 1 }]])],
        (x) => c.storeOffsets(any(x)),
        typed,
      ],
      [
        "committed",
        [rng.chance(0.5) ? [badTp] : undefined, badOptions(rng, true)],
        (x, o) => c.committed(any(x), any(o)),
        typed,
      ],
      ["watermarkOffsets", wm, (x, p) => c.watermarkOffsets(any(x), any(p)), typed],
      [
        "watermarkOffsets",
        [t, 0, badOptions(rng, true)],
        (x, p, o) => c.watermarkOffsets(any(x), any(p), any(o)),
        typed,
      ],
      [
        "offsetsForTimes",
        [rng.pick(["x", [{ topic: t, partition: 0, timestamp: NaN }], [{ topic: t, partition: 0, timestamp: 0 }, {
          topic: t,
          partition: 0,
          timestamp: 1,
        }], [badTp]])],
        (q) => c.offsetsForTimes(any(q)),
        typed,
      ],
      [
        "offsetsForTimes",
        [[{ topic: t, partition: 0, timestamp: 0 }], badOptions(rng, true)],
        (q, o) => c.offsetsForTimes(any(q), any(o)),
        typed,
      ],
      [
        "subscribe",
        [rng.pick([[], "x", [5], [""], null, [/x/, 5]])],
        (x) => c.subscribe(any(x)),
        grouped ? typed : ["ConfigError"],
      ],
      [
        "assign",
        [rng.pick(["x", null, [{ topic: t, partition: 0, offset: 5 }], [badTp]])],
        (x) => c.assign(any(x)),
        typed,
      ],
      ["position", [rng.pick(["x", [badTp]])], (x) => c.position(any(x)), typed],
      ["lag", [[badTp]], (x) => c.lag(any(x)), typed],
    ];
    // A second close returns the first one's promise: only an open consumer can refuse one.
    if (rec.life === "open") candidates.push(["close", [badOptions(rng, false)], (o) => c.close(any(o)), typed]);
    const m = rng.pick(candidates);
    return {
      label: labelOf(`${rec.name}.`, m),
      call: () => m[2](...m[1]),
      errors: withState(rec, m[3]),
      probe,
      client: rec,
    };
  },
};

const adminGen: Generator = {
  name: "admin",
  weight: (w) => (w.live("admin", ["open", "closing"]).length > 0 ? 1.5 : 0),
  make(w, rng) {
    const rec = rng.maybe(w.live("admin", ["open", "closing"]));
    if (!rec) return;
    const a = rec.ref as AdminClient;
    const probe = () => ({ closed: a.closed, pending: a.pending });
    // `--exclude admin-array-options`: admin calls take an array as their options (see the report).
    const opts = () => {
      const o = badOptions(rng, true);
      return Array.isArray(o) && w.excluded.has("admin-array-options") ? null : o;
    };
    // A closed admin client may refuse with ClosedError first; a bad topic name is a KafkaError.
    const errors: ErrKind[] = ["TypeError", "KafkaError", "ClosedError"];
    const candidates: Candidate[] = [
      ["metadata", [opts()], (o) => a.metadata(any(o)), errors],
      ["metadata", [{ topics: rng.pick(["x", [5], [""], null]) }], (o) => a.metadata(any(o)), errors],
      ["listTopics", [opts()], (o) => a.listTopics(any(o)), errors],
      ["describeTopics", [rng.pick(["x", [""], ["a", "a"], [5], null])], (n) => a.describeTopics(any(n)), errors],
      ["describeTopics", [[topicOf(w)], opts()], (n, o) => a.describeTopics(any(n), any(o)), errors],
      ["describeCluster", [opts()], (o) => a.describeCluster(any(o)), errors],
      // close checks its arguments before anything else, closed or not.
      ["close", [badOptions(rng, false)], (o) => a.close(any(o)), ["TypeError"]],
    ];
    const m = rng.pick(candidates);
    return { label: labelOf(`${rec.name}.`, m), call: () => m[2](...m[1]), errors: m[3], probe, client: rec };
  },
};

const mockGen: Generator = {
  name: "mock",
  weight: () => 1,
  make(w, rng) {
    const m = w.cluster;
    const typed: ErrKind[] = ["TypeError"];
    const candidates: Candidate[] = [
      [
        "setBrokerDown",
        [rng.pick([0, w.brokers + 1, 1.5, "1", NaN]), true],
        (id, d) => m.setBrokerDown(any(id), any(d)),
        typed,
      ],
      ["setBrokerDown", [1, rng.pick(["yes", 1, null])], (id, d) => m.setBrokerDown(any(id), any(d)), typed],
      ["setRtt", [1, rng.pick([-1, 1.5, 2 ** 31, NaN, "5"])], (id, ms) => m.setRtt(any(id), any(ms)), typed],
      ["createTopic", [rng.pick([5, null]), { partitions: 1 }], (n, o) => m.createTopic(any(n), any(o)), typed],
      ["createTopic", [rng.pick(["", "a b", ".."]), { partitions: 1 }], (n, o) => m.createTopic(any(n), any(o)), [
        "KafkaError",
      ]],
      [
        "createTopic",
        [w.newTopicName(), { partitions: rng.pick([0, -1, 1.5, 100_001]) }],
        (n, o) => m.createTopic(any(n), any(o)),
        typed,
      ],
      [
        "createTopic",
        [w.newTopicName(), { replicationFactor: rng.pick([0, w.brokers + 1]) }],
        (n, o) => m.createTopic(any(n), any(o)),
        typed,
      ],
      ["createTopic", [w.newTopicName(), rng.pick(BAD_OPTIONS)], (n, o) => m.createTopic(any(n), any(o)), typed],
      ["pushRequestErrors", [rng.pick([-1, 32_768, 1.5]), []], (k, e) => m.pushRequestErrors(any(k), any(e)), typed],
      ["pushRequestErrors", [0, rng.pick(["x", [1.5], [null]])], (k, e) => m.pushRequestErrors(any(k), any(e)), typed],
      [
        "MockCluster.create",
        [rng.pick([null, { brokers: 0 }, { brokers: 65 }, { brokers: 1.5 }, { brokers: "2" }])],
        (o) => MockCluster.create(any(o)),
        typed,
      ],
    ];
    const c = rng.pick(candidates);
    return { label: labelOf(c[0].startsWith("Mock") ? "" : "mock.", c), call: () => c[2](...c[1]), errors: c[3] };
  },
};

/**
 * Constructors with bad configuration or options. With every client slot taken a
 * constructor may say LimitError first: either way nothing is created.
 */
const constructorGen: Generator = {
  name: "constructor",
  weight: () => 1.5,
  make(w, rng) {
    const bs = w.bootstrap;
    const typed: ErrKind[] = ["TypeError", "LimitError"];
    const config: ErrKind[] = ["ConfigError", "LimitError"];
    const candidates: Candidate[] = [
      ["new Producer", [rng.pick([null, "x", [], 5])], (c) => new Producer(any(c)), typed],
      [
        "new Producer",
        [rng.pick<Record<string, unknown>>([
          { "bootstrap.servers": bs, "no.such.property": 1 },
          { "bootstrap.servers": bs, "message.timeout.ms": -5 },
          { "bootstrap.servers": bs, "linger.ms": NaN },
          { "bootstrap.servers": bs, "client.id": "a\0b" },
          { "bootstrap.servers": bs, "enable.idempotence": true, acks: 1 },
          { "bootstrap.servers": {} },
        ])],
        (c) => new Producer(any(c)),
        config,
      ],
      [
        "new Producer",
        [
          { "bootstrap.servers": bs },
          rng.pick([
            null,
            { bogus: 1 },
            { queueFull: "x" },
            { queueFullTimeoutMs: -1 },
            { queueFullTimeoutMs: NaN },
            { maxWaitingSends: -1 },
            { maxWaitingSends: 1.5 },
            { drainBudget: 0 },
            { failOnAuthError: "yes" },
          ]),
        ],
        (c, o) => new Producer(any(c), any(o)),
        typed,
      ],
      [
        "new Consumer",
        [
          { "bootstrap.servers": bs },
          rng.pick([
            null,
            { bogus: 1 },
            { topics: [] },
            { topics: "x" },
            { topics: [5] },
            { topics: ["a"], assignment: [{ topic: "a", partition: 0 }] },
            { assignment: [{ topic: "a", partition: -1 }] },
            { copyThreshold: -1 },
            { copyThreshold: NaN },
            { onRebalance: 5 },
            { readTimeoutMs: NaN },
            { readTimeoutMs: -1 },
            { drainBudget: 0 },
          ]),
        ],
        (c, o) => new Consumer(any(c), any(o)),
        typed,
      ],
      [
        "new Consumer",
        [rng.pick([{ "bootstrap.servers": bs, "auto.offset.reset": "sometimes" }, {
          "bootstrap.servers": bs,
          "group.id": null,
        }])],
        (c) => new Consumer(any(c)),
        config,
      ],
      ["new AdminClient", [rng.pick([null, "x"])], (c) => new AdminClient(any(c)), typed],
      [
        "new AdminClient",
        [{ "bootstrap.servers": bs }, rng.pick([null, { bogus: 1 }, { drainBudget: 0 }])],
        (c, o) => new AdminClient(any(c), any(o)),
        typed,
      ],
      ["AdminClient.fromClient", [rng.pick([{}, null, "x", 5, w.cluster])], (x) => AdminClient.fromClient(any(x)), [
        "TypeError",
      ]],
    ];
    const c = rng.pick(candidates);
    return { label: labelOf("", c), call: () => c[2](...c[1]), errors: c[3] };
  },
};

/** Bad limits; a mix of one good and one bad limit must not apply the good one either. */
const configureGen: Generator = {
  name: "configure",
  weight: () => 0.6,
  make(_w, rng) {
    const bad = rng.pick<unknown>([
      { maxBackgroundCalls: 0 },
      { maxClients: -1 },
      { bogus: 1 },
      { maxHeldBytes: 1.5 },
      { maxBackgroundCalls: NaN },
      null,
    ]);
    return { label: `configure(${fmt(bad)})`, call: () => configure(any(bad)), errors: ["TypeError", "RangeError"] };
  },
};

/** A mix of one good and one bad limit: "a refused call has no side effect" says neither applies. */
const configureMixedGen: Generator = {
  name: "configure-mixed",
  weight: () => 0.3,
  make(_w, rng) {
    const bad = rng.pick<Record<string, number>>([
      { maxClients: 31, maxBackgroundCalls: 0 },
      { maxBackgroundCalls: 3, maxHeldBytes: -1 },
    ]);
    return { label: `configure(${fmt(bad)})`, call: () => configure(bad), errors: ["TypeError", "RangeError"] };
  },
};

const GENERATORS: readonly Generator[] = [
  producerGen,
  consumerGen,
  adminGen,
  mockGen,
  constructorGen,
  configureGen,
  configureMixedGen,
];

/** Names `--exclude` accepts for misuse generators (prefixed `misuse:`). @example `MISUSE_NAMES.includes("configure-mixed")` */
export const MISUSE_NAMES: readonly string[] = GENERATORS.map((g) => g.name);

/** The misuse operation: one refused call per step. @example `const ops = [misuseOp]` */
export const misuseOp: Op = {
  name: "misuse",
  weight: () => 3,
  run(w, rng) {
    const gens = GENERATORS.filter((g) => !w.excluded.has(`misuse:${g.name}`));
    const gen = rng.weighted(gens.map((g) => [g, g.weight(w)] as const));
    const m = gen.make(w, rng);
    if (!m) return;
    w.op(`misuse ${m.label} → expect ${m.errors.join("|")}`);
    if (m.ids) w.ledger.refuse(m.ids);
    try {
      refused(w, m.label, m.call, m.errors, m.probe, m.client);
    } catch (e) {
      w.violate(`${m.label}: checking it threw ${showErr(e)}`);
    }
  },
};
