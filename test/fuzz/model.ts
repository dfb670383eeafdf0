/**
 * What the fuzzer knows about one run: the clients it made and what it decided
 * about each (open, closing, dropped), every promise it got with the bound the
 * library's contract gives it, and the log that a failing seed prints.
 *
 * The model changes only through the fuzzer's own decisions (a client becomes
 * "closing" when close() is called, not when it settles), so that which operation
 * a step picks depends on the seed alone; outcomes are checked, never steered on.
 *
 * @module
 */
import { writeSync } from "node:fs";
import type { Message, MockCluster } from "../../src/mod.ts";
import { Ledger, type ProducerInfo } from "./ledger.ts";
import { type ErrKind, errKind, showErr } from "./errkind.ts";

export { type ErrKind, errKind, showErr } from "./errkind.ts";
export { type ProducerInfo, STATS_MS } from "./ledger.ts";

/** A client's life as the fuzzer decided it. @example `if (rec.life === "closing") …` */
export type Life = "open" | "closing" | "dropped";

/** What the fuzzer chose for a consumer. @example `if (rec.consumer!.groupId) …` */
export interface ConsumerInfo {
  groupId: string | undefined;
  autoCommit: boolean;
  autoStore: boolean;
  subscribed: boolean;
  /** Partitions the fuzzer assigned by hand (the last assign), for seeks and pauses. */
  assigned: { topic: string; partition: number }[];
  /** Default timeoutMs of read and readBatch (the readTimeoutMs option). */
  readTimeoutMs: number;
  fatal: boolean;
}

/**
 * A client the fuzzer made. `ref` is the only strong reference the fuzzer keeps,
 * cleared when the client is dropped (so the garbage collector can close it).
 *
 * @example
 * ```ts
 * const rec = w.addClient("producer", new Producer(config), true);
 * ```
 */
export interface ClientRec {
  id: number;
  kind: "producer" | "consumer" | "admin";
  /** "P3", "C4", "A5": how the log names it. */
  name: string;
  ref: object | undefined;
  weak: WeakRef<object>;
  life: Life;
  /** Takes a maxClients slot (not an admin client made with fromClient). */
  ownSlot: boolean;
  /** The tracked promise of the first close, once called. */
  closeId: number | undefined;
  /** The first close's promise: a second close returns it (producer, consumer). */
  closePromise?: Promise<unknown>;
  producer?: ProducerInfo;
  consumer?: ConsumerInfo;
  /** fromClient: the client whose handle it shares. */
  parent?: number;
}

/**
 * How a promise's settlement is bounded and what it may settle to.
 *
 * @example
 * ```ts
 * w.track("P1.flush(500)", p.flush({ timeoutMs: 500 }), { client: rec, boundMs: 500, byClose: "always", errors: ["KafkaError"] });
 * ```
 */
export interface TrackOptions {
  client?: ClientRec;
  /** Its own bound from the call, in ms (Infinity: none of its own). */
  boundMs: number;
  /**
   * Settled by the time its client's close settled: "always" (sends, reads,
   * commits, admin requests), "ifClean" (only when close resolved: calls on the
   * handle that close may leave running when it gives up), or never.
   */
  byClose?: "always" | "ifClean";
  /** Error classes it may reject with (a fulfilment is always allowed unless `value` says no). */
  errors: readonly ErrKind[];
  /** Further checks of a fulfilled value; returns a violation or undefined. */
  value?: (v: unknown) => string | undefined;
  /** Further checks of a rejection; returns a violation or undefined. */
  reason?: (e: unknown) => string | undefined;
  /** A call refused for its arguments: must be settled when its step ends. */
  atOnce?: boolean;
  /** Called after the checks (records outcomes in the ledger, …). */
  after?: (status: "fulfilled" | "rejected", v: unknown) => void;
}

/** A promise the fuzzer got, with its deadline. @example `for (const t of w.pending()) console.log(t.label)` */
export interface Tracked {
  id: number;
  label: string;
  client: number | undefined;
  step: number;
  start: number;
  deadline: number;
  byClose: "always" | "ifClean" | undefined;
  atOnce: boolean;
  settled: boolean;
  status?: "fulfilled" | "rejected";
}

/** A topic the fuzzer sends to. @example `w.topics.push({ name: w.newTopicName(), partitions: 2 })` */
export interface TopicRec {
  name: string;
  /** Known partition count (created with createTopic), or undefined (auto-created by the mock). */
  partitions: number | undefined;
}

/**
 * Everything about one run.
 *
 * @example
 * ```ts
 * const w = new World(7, 100, 5_000);
 * w.op("producer P1 created");
 * ```
 */
export class World {
  readonly seed: number;
  readonly steps: number;
  /** Added to every documented bound: scheduling on a busy machine, not the library's promise. */
  readonly allowance: number;
  readonly t0 = performance.now();
  step = -1;
  cluster!: MockCluster;
  bootstrap = "";
  brokers = 1;
  readonly clients: ClientRec[] = [];
  readonly tracked = new Map<number, Tracked>();
  readonly violations: string[] = [];
  readonly topics: TopicRec[] = [];
  readonly ledger: Ledger;
  /** Read messages the fuzzer keeps (zero-copy ones hold librdkafka memory). */
  held: { msg: Message; consumer: number }[] = [];
  /** Consumer group ids this run shares between consumers (so they rebalance). */
  readonly groups: string[];
  /** Secondary mock clusters still open (created and closed by the churn op). */
  churnOpen = 0;
  /** Brokers the fuzzer has taken down (and not brought up again). */
  readonly down = new Set<number>();
  /**
   * When produce errors were injected (the next produce requests of any producer get
   * them): messages in flight soon after meet the mock's missing sequence checks (see Ledger).
   */
  readonly injectedAt: number[] = [];
  /**
   * When a broker went down or a round trip changed (decided, and took effect): either can
   * make librdkafka resend a request (see Ledger), which the mock writes twice.
   */
  readonly disturbedAt: number[] = [];
  /** Operations excluded by name (known bugs), from the command line. */
  readonly excluded: ReadonlySet<string>;
  calls = 0;
  #nextClient = 1;
  #nextTracked = 1;
  #nextTopic = 1;
  /** Refused calls of the current step, checked when it ends. */
  readonly atOnce: number[] = [];

  constructor(seed: number, steps: number, allowance: number, excluded: ReadonlySet<string> = new Set()) {
    this.seed = seed;
    this.steps = steps;
    this.allowance = allowance;
    this.excluded = excluded;
    this.ledger = new Ledger(this);
    this.groups = [`fz-${seed}-g1`, `fz-${seed}-g2`];
  }

  /** Milliseconds since the run began. */
  now(): number {
    return performance.now() - this.t0;
  }

  /** Prints a line at once (synchronously: a crash must not lose the lines before it). */
  print(line: string): void {
    writeSync(1, `${line}\n`);
  }

  /** Logs the operation this step makes, one line. */
  op(text: string): void {
    this.calls++;
    const step = this.step < 0 ? "init" : this.step >= this.steps ? "end " : String(this.step).padStart(4, "0");
    this.print(`#${step} ${(this.now() / 1000).toFixed(2).padStart(7)}s ${text}`);
  }

  /** Logs something that happened (a settlement), indented under the operations. */
  note(text: string): void {
    this.print(`        ${(this.now() / 1000).toFixed(2).padStart(7)}s   ${text}`);
  }

  /** Records a broken invariant; the run stops at the end of the step. */
  violate(text: string): void {
    this.violations.push(text);
    this.print(`VIOLATION at step ${this.step}: ${text}`);
  }

  /** A new client record; `ref` is held until the client is dropped. */
  addClient(kind: ClientRec["kind"], ref: object, ownSlot: boolean): ClientRec {
    const id = this.#nextClient++;
    const rec: ClientRec = {
      id,
      kind,
      name: `${kind[0].toUpperCase()}${id}`,
      ref,
      weak: new WeakRef(ref),
      life: "open",
      ownSlot,
      closeId: undefined,
    };
    this.clients.push(rec);
    return rec;
  }

  /** Clients of a kind in one of these lives. */
  live(kind: ClientRec["kind"], lives: readonly Life[] = ["open"]): ClientRec[] {
    return this.clients.filter((c) => c.kind === kind && lives.includes(c.life) && c.ref !== undefined);
  }

  /** A fresh topic name of this run. */
  newTopicName(): string {
    return `fz-${this.seed}-t${this.#nextTopic++}`;
  }

  /**
   * Follows a promise: its outcome is checked against `o` when it settles, its
   * deadline after every step. Returns its id (t17 in the log).
   */
  track(label: string, p: Promise<unknown>, o: TrackOptions): number {
    const id = this.#nextTracked++;
    const start = performance.now();
    const t: Tracked = {
      id,
      label,
      client: o.client?.id,
      step: this.step,
      start,
      deadline: start + o.boundMs + this.allowance,
      byClose: o.byClose,
      atOnce: o.atOnce === true,
      settled: false,
    };
    this.tracked.set(id, t);
    if (t.atOnce) this.atOnce.push(id);
    const done = (status: "fulfilled" | "rejected", v: unknown) => {
      if (t.settled) return this.violate(`t${id} ${label} settled twice`);
      t.settled = true;
      t.status = status;
      const ms = Math.round(performance.now() - start);
      this.note(`= t${id} ${label}: ${status === "fulfilled" ? summary(v) : showErr(v)} (${ms} ms)`);
      let bad: string | undefined;
      if (status === "rejected") {
        const kind = errKind(v);
        if (!o.errors.includes(kind)) bad = `rejected with ${showErr(v)}; allowed: ${o.errors.join(", ") || "none"}`;
        else bad = o.reason?.(v);
      } else {
        bad = o.value?.(v);
      }
      if (bad) this.violate(`t${id} ${label}: ${bad}`);
      try {
        o.after?.(status, v);
      } catch (e) {
        this.violate(`t${id} ${label}: checking its outcome threw ${String(e)}`);
      }
    };
    p.then((v) => done("fulfilled", v), (e) => done("rejected", e));
    this.note(`t${id} ← ${label}${Number.isFinite(o.boundMs) ? ` (bound ${Math.round(o.boundMs)} ms)` : ""}`);
    return id;
  }

  /** Promises past their deadline (each reported once). */
  checkDeadlines(): void {
    const now = performance.now();
    for (const t of this.tracked.values()) {
      if (!t.settled && now > t.deadline) {
        this.violate(
          `t${t.id} ${t.label} (step ${t.step}) has not settled ${Math.round(now - t.start)} ms after the call: ` +
            `past its bound + allowance (${Math.round(t.deadline - t.start)} ms)`,
        );
        t.deadline = Infinity;
      }
    }
  }

  /** Refused calls of the step that ended must have settled. */
  checkAtOnce(): void {
    for (const id of this.atOnce.splice(0)) {
      const t = this.tracked.get(id)!;
      if (!t.settled) this.violate(`t${id} ${t.label}: a call refused for its arguments did not settle at once`);
    }
  }

  /**
   * When a client's close settled: what had to settle by then must have.
   * Checked a macrotask later, so that promise reactions queued by the close ran.
   */
  closeSettled(rec: ClientRec, status: "fulfilled" | "rejected"): void {
    setTimeout(() => {
      for (const t of this.tracked.values()) {
        if (t.client !== rec.id || t.settled || t.byClose === undefined) continue;
        if (t.byClose === "ifClean" && status === "rejected") continue;
        this.violate(`t${t.id} ${t.label} was still pending when ${rec.name}'s close ${status}`);
        t.deadline = Infinity;
      }
    }, 0);
  }

  /** What is left of a tracked promise's bound (for a second close, which settles with the first). */
  remaining(id: number | undefined): number {
    const t = id === undefined ? undefined : this.tracked.get(id);
    if (!t || t.settled || t.deadline === Infinity) return 0;
    return Math.max(0, t.deadline - performance.now() - this.allowance);
  }

  /** Unsettled promises of a client without a bound of their own (a read with no timeout, a commit). */
  unbounded(rec: ClientRec): Tracked[] {
    return this.pending().filter((t) => t.client === rec.id && t.deadline === Infinity);
  }

  /** Unsettled promises (for the end of the run). */
  pending(): Tracked[] {
    return [...this.tracked.values()].filter((t) => !t.settled);
  }
}

/** A short description of a fulfilled value for the log. */
function summary(v: unknown): string {
  if (v === undefined) return "ok";
  if (v === null) return "null";
  if (Array.isArray(v)) {
    if (v.length > 0 && typeof v[0] === "object" && v[0] !== null && "status" in v[0]) {
      const ok = v.filter((r) => r.status === "fulfilled").length;
      const failed = v.filter((r) => r.status === "rejected").map((r) => (r.reason as Error)?.name);
      return `${v.length} results: ${ok} delivered${
        failed.length ? `, failed: ${[...new Set(failed)].join(",")}` : ""
      }`;
    }
    return `array(${v.length})`;
  }
  if (typeof v === "object" && v !== null) {
    const o = v as Record<string, unknown>;
    if ("offset" in o && "partition" in o && "topic" in o) return `${o.topic}[${o.partition}]@${o.offset}`;
    if ("low" in o && "high" in o) return `low=${o.low} high=${o.high}`;
    return "object";
  }
  return String(v);
}
