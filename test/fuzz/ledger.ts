/**
 * The ledger of every message the fuzzer tried to send, and the checks on what
 * comes back: each send (and each element of a sendMulti) settles exactly once;
 * a delivery report names a partition and an offset no other report named; a
 * message read back was produced by this run, byte for byte, with its key,
 * headers and timestamp; a message refused for its arguments never appears.
 *
 * Every value carries its own identity (`fz:<seed>:<id>:<length>:` then filler
 * that follows from the id), so a read proves what it is without any side table;
 * a message without a value carries it in its key.
 *
 * @module
 */
import { type DeliveryReport, KafkaError, type Message, OFFSET } from "../../src/mod.ts";
import { showErr } from "./errkind.ts";

/**
 * What the ledger needs of the fuzzer's world (model.ts's `World` is one): an
 * interface here, so that the world, which owns a ledger, and the ledger do not
 * import each other.
 *
 * @example
 * ```ts
 * const ledger = new Ledger(world);
 * ```
 */
export interface LedgerHost {
  readonly seed: number;
  /** When the fuzzer injected request errors (their retries may write twice). */
  readonly injectedAt: number[];
  /** When a broker went down or its round-trip time changed. */
  readonly disturbedAt: number[];
  /** Records a broken invariant. */
  violate(text: string): void;
}

/** A header as expected back: name and bytes (null: no value). @example `const h: ExpectedHeader = ["trace", bytes]` */
export type ExpectedHeader = readonly [string, Uint8Array | null];

/** What the fuzzer chose for a producer (bounds are derived from it). @example `sendBound(rec.producer!)` */
export interface ProducerInfo {
  idempotent: boolean;
  messageTimeoutMs: number;
  backoffMaxMs: number;
  lingerMs: number;
  /** How long a send may wait for room before librdkafka takes it (0 in "error" mode). */
  roomWaitMs: number;
  /** testFatalError was called: every later call rejects with the fatal error. */
  fatal: boolean;
  /**
   * When librdkafka's statistics showed trouble on the wire (a retried, timed-out or
   * failed request, an out-of-order answer, a disconnect): a request may then have been
   * sent twice. Statistics come every {@link STATS_MS} on idempotent producers.
   */
  troubleAt: number[];
  /** When the last statistics came (-Infinity: none yet). */
  lastStatsAt: number;
  /**
   * When one of its messages failed after reaching librdkafka (timed out, purged, …): an
   * idempotent producer then bumps its epoch and sends what is unacknowledged again.
   */
  failedAt: number[];
}

/** Statistics interval of idempotent producers, whose retries the read-back must know about. */
export const STATS_MS = 100;

/** One message the fuzzer tried to send. @example `const s: Sent = w.ledger.sent.get(7)!` */
export interface Sent {
  id: number;
  topic: string;
  producer: string;
  idempotent: boolean;
  /** What the fuzzer knows of its producer (statistics: did it retry?). */
  info: ProducerInfo | undefined;
  /** When it was sent and when its outcome came (performance.now()). */
  sentAt: number;
  settledAt: number;
  /** The partition asked for, if any (-1: the partitioner). */
  partition: number | undefined;
  /** Expected key bytes (null: none). */
  key: Uint8Array | null;
  headers: ExpectedHeader[];
  /** Value length, or null for a message without a value. */
  valueLen: number | null;
  timestamp: number | undefined;
  state: "refused" | "pending" | "resolved" | "rejected";
  report?: { partition: number; offset: bigint };
  error?: string;
  settles: number;
}

const utf8 = new TextEncoder();
const latin1 = new TextDecoder("latin1");
const ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** The value of message `id` of run `seed`, `len` bytes long (at least its prefix: use 48 or more). @example `valueText(7, 12, 100)` */
export function valueText(seed: number, id: number, len: number): string {
  const head = `fz:${seed}:${id}:${len}:`;
  if (len <= head.length) return head;
  let s = head;
  // Filler that follows from the id: a read proves every byte, not just the prefix.
  const chunk: string[] = [];
  for (let i = 0; i < 64; i++) chunk.push(ALPHABET[(id * 7 + i * 13) % ALPHABET.length]);
  const block = chunk.join("");
  while (s.length < len) s += block;
  return s.slice(0, len);
}

/** The key that names a message without a value. @example `idKey(7, 12)` */
export function idKey(seed: number, id: number): string {
  return `fzk:${seed}:${id}`;
}

/** The message id a value or key names, or undefined. */
function parseId(bytes: Uint8Array | null, prefix: "fz" | "fzk"): { seed: number; id: number } | undefined {
  if (bytes === null) return undefined;
  const head = latin1.decode(bytes.subarray(0, 48));
  const m = prefix === "fz" ? /^fz:(\d+):(\d+):\d+:/.exec(head) : /^fzk:(\d+):(\d+)$/.exec(head);
  return m ? { seed: Number(m[1]), id: Number(m[2]) } : undefined;
}

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A payload as the bytes the broker gets (strings as UTF-8). @example `bytesOf("k") // Uint8Array [107]` */
export function bytesOf(p: string | Uint8Array | null | undefined): Uint8Array | null {
  if (p === null || p === undefined) return null;
  return typeof p === "string" ? utf8.encode(p) : p.slice();
}

/**
 * Which message a read is, checked against the ledger.
 *
 * @example
 * ```ts
 * const id = w.ledger.verifyRead(message, "C3");
 * ```
 */
export class Ledger {
  readonly #w: LedgerHost;
  readonly sent = new Map<number, Sent>();
  #nextId = 1;
  /** topic/partition/offset → message id, from reports and from reads. */
  readonly #at = new Map<string, number>();
  /** Bytes sent per topic (the mock keeps about 5 MiB per partition: past that the read-back is skipped). */
  readonly bytesPerTopic = new Map<string, number>();
  countPerTopic = new Map<string, number>();
  reads = 0;
  /** Idempotent messages written twice by the mock after a broker went down (its known limit, counted). */
  duplicatedByMock = 0;
  /** Delivered idempotent messages whose read-back count was held to exactly once. */
  exactlyOnce = 0;
  /** Why delivered idempotent messages were or were not held to exactly once (for the log). */
  readonly why = new Map<string, number>();
  /** Delivery reports with offset -1001: acknowledged implicitly by a later sequence (see settle). */
  implicitAcks = 0;

  constructor(w: LedgerHost) {
    this.#w = w;
  }

  /** A new message id. */
  nextId(): number {
    return this.#nextId++;
  }

  /** Records a message about to be sent (state "pending" until its call is accepted or refused). */
  add(
    s: Omit<Sent, "state" | "settles" | "sentAt" | "settledAt">,
  ): Sent {
    const rec: Sent = {
      ...s,
      state: "pending",
      settles: 0,
      sentAt: performance.now(),
      settledAt: Infinity,
    };
    this.sent.set(s.id, rec);
    this.bytesPerTopic.set(s.topic, (this.bytesPerTopic.get(s.topic) ?? 0) + (s.valueLen ?? 0) + 64);
    this.countPerTopic.set(s.topic, (this.countPerTopic.get(s.topic) ?? 0) + 1);
    return rec;
  }

  /** The call was refused: these messages must never appear in a topic. */
  refuse(ids: readonly number[]): void {
    for (const id of ids) this.sent.get(id)!.state = "refused";
  }

  /** A delivery report or a failure for one message; checks it settles once and names a fresh offset. */
  settle(id: number, status: "fulfilled" | "rejected", v: unknown): void {
    const s = this.sent.get(id)!;
    s.settles++;
    if (s.settles > 1) return this.#w.violate(`message ${id} settled ${s.settles} times`);
    s.settledAt = performance.now();
    if (status === "rejected") {
      s.state = "rejected";
      s.error = showErr(v);
      // Refused before librdkafka had it (unknown partition, full queue, closed): no epoch bump follows.
      const early = ["_UNKNOWN_PARTITION", "_QUEUE_FULL", "UNKNOWN_PARTITION"].includes((v as Error)?.name);
      if (v instanceof KafkaError && !early) s.info?.failedAt.push(performance.now());
      return;
    }
    const r = v as DeliveryReport;
    s.state = "resolved";
    if (r === null || typeof r !== "object" || typeof r.offset !== "bigint" || typeof r.partition !== "number") {
      return this.#w.violate(`message ${id}: delivery report is not a report: ${String(r)}`);
    }
    s.report = { partition: r.partition, offset: r.offset };
    if (r.topic !== s.topic) this.#w.violate(`message ${id}: report names topic ${r.topic}, sent to ${s.topic}`);
    // -1001 (RD_KAFKA_OFFSET_INVALID): an idempotent producer's batch that failed with a "possibly
    // persisted" error and was then acknowledged implicitly, by a later sequence succeeding: librdkafka
    // does not know its offset. Only idempotent producers do that (acks=0 is never configured here).
    const implicit = r.offset === OFFSET.INVALID && s.idempotent;
    if (implicit) this.implicitAcks++;
    if ((r.offset < 0n && !implicit) || r.partition < 0) {
      this.#w.violate(`message ${id}: report ${r.partition}@${r.offset}`);
    }
    if (r.offset < 0n) return;
    if (s.partition !== undefined && s.partition >= 0 && r.partition !== s.partition) {
      this.#w.violate(`message ${id}: asked for partition ${s.partition}, report says ${r.partition}`);
    }
    const key = `${s.topic}/${r.partition}/${r.offset}`;
    const other = this.#at.get(key);
    if (other !== undefined && other !== id) {
      this.#w.violate(`message ${id}: report ${key} names the offset of message ${other}`);
    }
    this.#at.set(key, id);
  }

  /**
   * Checks a message read by a consumer of the run: it names a message of this
   * run that was not refused, with the exact bytes, key, headers and timestamp
   * sent, on the partition its report named. Returns the message id.
   */
  verifyRead(m: Message, who: string): number | undefined {
    this.reads++;
    const w = this.#w;
    let value: Uint8Array | null;
    try {
      value = m.value;
    } catch (e) {
      w.violate(`${who}: reading a fresh message's value threw ${showErr(e)}`);
      return undefined;
    }
    const where = `${who} read ${m.topic}[${m.partition}]@${m.offset}`;
    const ident = value !== null && value.length > 0 ? parseId(value, "fz") : parseId(m.key, "fzk");
    if (ident === undefined || ident.seed !== w.seed) {
      w.violate(
        `${where}: not a message of this run (value ${value === null ? "null" : latin1.decode(value.subarray(0, 40))})`,
      );
      return undefined;
    }
    const s = this.sent.get(ident.id);
    if (s === undefined) return void w.violate(`${where}: names message ${ident.id}, never sent`);
    if (s.state === "refused") w.violate(`${where}: message ${s.id} was refused, yet it was produced`);
    if (m.topic !== s.topic) w.violate(`${where}: message ${s.id} was sent to ${s.topic}`);
    const want = s.valueLen === null ? null : utf8.encode(s.valueLen === 0 ? "" : valueText(w.seed, s.id, s.valueLen));
    if (!sameBytes(value, want)) w.violate(`${where}: message ${s.id}'s value differs from what was sent`);
    if (!sameBytes(m.key, s.key)) w.violate(`${where}: message ${s.id}'s key differs`);
    this.#checkHeaders(m, s, where);
    if (s.timestamp !== undefined && m.timestampType === "CreateTime" && m.timestamp !== s.timestamp) {
      w.violate(`${where}: message ${s.id}: timestamp ${m.timestamp}, sent ${s.timestamp}`);
    }
    if (s.report && s.report.partition !== m.partition) {
      w.violate(`${where}: message ${s.id} was reported on partition ${s.report.partition}`);
    }
    if (s.partition !== undefined && s.partition >= 0 && s.partition !== m.partition) {
      w.violate(`${where}: message ${s.id} was sent to partition ${s.partition}`);
    }
    const key = `${m.topic}/${m.partition}/${m.offset}`;
    const other = this.#at.get(key);
    // The offset a report named holds that message; a retried (non-idempotent) copy lives elsewhere.
    if (other !== undefined && other !== s.id) {
      w.violate(`${where}: holds message ${s.id}, but ${key} is message ${other}'s`);
    }
    this.#at.set(key, s.id);
    return s.id;
  }

  #checkHeaders(m: Message, s: Sent, where: string): void {
    const got = m.headers;
    const ok = got.length === s.headers.length &&
      got.every(([n, v], i) => n === s.headers[i][0] && sameBytes(v, s.headers[i][1]));
    if (!ok) {
      const show = (h: readonly (readonly [string, Uint8Array | null])[]) =>
        JSON.stringify(h.map(([n, v]) => [n, v === null ? null : latin1.decode(v)]));
      this.#w.violate(`${where}: message ${s.id}'s headers ${show(got)}, sent ${show(s.headers)}`);
    }
  }

  /**
   * What idempotence guarantees of delivery reports, checked without reading:
   * one producer's messages to one partition are written in the order they were
   * sent (librdkafka keeps order across retries by sequence numbers).
   */
  checkOrder(): void {
    const last = new Map<string, { id: number; offset: bigint }>();
    const ids = [...this.sent.keys()].sort((a, b) => a - b);
    for (const id of ids) {
      const s = this.sent.get(id)!;
      // After injected errors the mock takes batches out of order (it checks no sequences): no claim.
      if (!s.idempotent || s.state !== "resolved" || !s.report || s.report.offset < 0n) continue;
      if (injected(this.#w, s)) continue;
      const k = `${s.producer}/${s.topic}/${s.report.partition}`;
      const prev = last.get(k);
      if (prev && prev.offset >= s.report.offset) {
        this.#w.violate(
          `idempotent ${s.producer}: message ${id} (sent after ${prev.id}) got offset ${s.report.offset} ≤ ${prev.offset} on ${s.topic}[${s.report.partition}]`,
        );
      }
      last.set(k, { id, offset: s.report.offset });
    }
  }

  /**
   * Checks the read-back of whole topics (every message from the beginning):
   *
   * - a refused message is never there;
   * - a message reported delivered is there at least once (acks=all; the mock
   *   keeps what it acknowledged), one copy at the reported offset (checked as read);
   * - a message of an idempotent producer is there at most once, unless its
   *   request may have been sent twice. Kafka deduplicates an idempotent
   *   producer's retries by sequence number, but librdkafka's mock cluster checks
   *   sequences only for transactional producers (`rd_kafka_mock_validate_records`
   *   returns at once without a TransactionalId), so on the mock a resent batch is
   *   written again (seen when a broker went down with answers in flight, and
   *   around round-trip changes: seeds 6 and 3003). librdkafka resends only after
   *   trouble on the wire, which its statistics count (a retried, timed-out or
   *   failed request, an out-of-order answer, a disconnect; idempotent producers
   *   report every 100 ms), or after another of its messages failed in flight
   *   (librdkafka then bumps the epoch and sends the unacknowledged messages again
   *   under new sequence numbers, which no broker can match with a copy
   *   written under the old epoch: seed 7016), or after a broker went down or a
   *   round trip changed while it was in flight (the statistics do not always
   *   count the lost answer in time: seed 10019). Without any of these while the
   *   message was in flight it is there exactly once (delivered) or at most once
   *   (failed: a timed-out or purged in-flight message is never sent again). With
   *   any, at least once (delivered);
   * - a non-idempotent producer's failed message: no claim (zero, one or more
   *   copies are all possible, and so are duplicates of delivered ones);
   * - an idempotent producer's message acknowledged implicitly (report offset
   *   -1001): no claim on the mock. librdkafka infers that a "possibly persisted"
   *   batch was written when a later sequence succeeds, which a real broker
   *   guarantees (it refuses a sequence out of order); the mock checks no
   *   sequences for non-transactional producers, so after an injected error it
   *   accepts the later batch without the earlier one, which is then lost while
   *   reported delivered (seen on librdkafka 2.0.2; the mock's limit, not kafka-fast's).
   *   For the same reason an idempotent producer's messages in flight within 5 s
   *   after produce errors were injected get only the non-idempotent checks.
   *
   * `counts` maps message id → copies read (`where`: at which offsets); `skipped` are topics not read back.
   */
  checkReadBack(
    counts: Map<number, number>,
    skipped: ReadonlySet<string>,
    where: Map<number, string[]> = new Map(),
  ): { checked: number } {
    let checked = 0;
    for (const s of this.sent.values()) {
      if (skipped.has(s.topic)) continue;
      checked++;
      const n = counts.get(s.id) ?? 0;
      const report = s.report ? ` reported at [${s.report.partition}]@${s.report.offset}` : "";
      const what = `message ${s.id} (${s.producer}${s.idempotent ? ", idempotent" : ""}, ${s.state}${
        s.error ? ` ${s.error.slice(0, 60)}` : ""
      }${report}) to ${s.topic}${n > 1 ? `, copies at ${(where.get(s.id) ?? []).join(" ")}` : ""}`;
      if (s.state === "refused" && n > 0) this.#w.violate(`${what}: refused, yet read back ${n} times`);
      if (s.state === "pending") this.#w.violate(`${what}: never settled`);
      const implicit = s.report?.offset === OFFSET.INVALID;
      if (s.state === "resolved" && n < 1 && !implicit) this.#w.violate(`${what}: delivered, never read back`);
      const why = !s.idempotent ? "" : injected(this.#w, s) ? "injected" : retried(this.#w, s);
      const exact = s.idempotent && why === "";
      if (s.idempotent && s.state === "resolved") {
        this.why.set(why || "checked", (this.why.get(why || "checked") ?? 0) + 1);
      }
      if (exact && s.state === "resolved") this.exactlyOnce++;
      if (exact && n > 1) {
        this.#w.violate(`${what}: read back ${n} times, not once`);
      }
      if (n > 1 && s.idempotent && !exact) this.duplicatedByMock++;
    }
    return { checked };
  }
}

/** How long injected errors may wait for the produce requests that get them (a producer is open). */
const INJECTED_MS = 5_000;

/** Whether produce errors were injected while this message was in flight or shortly before. */
function injected(w: LedgerHost, s: Sent): boolean {
  return w.injectedAt.some((t) => t <= s.settledAt && t + INJECTED_MS >= s.sentAt);
}

/**
 * Whether librdkafka may have sent this message's request twice: its producer's
 * statistics showed trouble on the wire while it was in flight; another message of
 * its producer failed meanwhile (an epoch bump resends); or, for the end of its
 * flight that no statistics covered (its producer closed), a broker went down or a
 * round trip changed since the last statistics.
 */
function retried(w: LedgerHost, s: Sent): "" | "no statistics" | "trouble" | "disturbed" | "epoch bump" {
  const info = s.info;
  if (!info) return "no statistics";
  // Statistics and reports reach JS through the same queue, a drain or two apart: allow a few intervals.
  const slack = 5 * STATS_MS;
  if (info.troubleAt.some((t) => t >= s.sentAt && t - slack <= s.settledAt)) return "trouble";
  // A sibling failed in flight: librdkafka bumped the epoch and sent the unacknowledged again, under
  // new sequence numbers that no broker can match with a copy written under the old epoch (seed 7016).
  if (info.failedAt.some((t) => t + slack >= s.sentAt && t - slack <= s.settledAt)) return "epoch bump";
  // A broker taken down (or a round trip changed) while the message was in flight: the mock may
  // have written the batch and lost its answer with the connection, and the statistics did not
  // always count that in time (seed 10019 on Deno 2.12: a copy at @6 and @7, no counter rose).
  if (w.disturbedAt.some((t) => t >= s.sentAt - 2 * STATS_MS && t <= s.settledAt)) return "disturbed";
  if (info.lastStatsAt >= s.settledAt + slack) return "";
  const from = Math.max(s.sentAt, info.lastStatsAt) - 2 * STATS_MS;
  return w.disturbedAt.some((t) => t >= from && t <= s.settledAt + slack) ? "disturbed" : "";
}
