/**
 * Consumer reads, of every kind: `read` and `readBatch` with timeouts from 0 to
 * Infinity and signals that abort before or during the read, `for await` over
 * `messages()`, a Web stream, and a read refused for its signal (which must take
 * nothing). Every message read is checked against the ledger, then kept (zero-copy
 * ones hold librdkafka's memory), released at once, or forgotten for the GC.
 *
 * Bounds (README): a read settles within its `timeoutMs`, when its signal aborts,
 * or when close begins (ClosedError); one with neither waits for a message.
 *
 * @module
 */
import { type Consumer, Message } from "../../src/mod.ts";
import type { Rng } from "./rng.ts";
import { type ClientRec, type ErrKind, errKind, showErr, type World } from "./model.ts";
import { fmt, type Op, pickClient, refused, releaseAndCheck, target, weightFor } from "./ops.ts";

/** Keeps, releases or forgets a message just read (decided by its id, not by the generator). @example `onMessage(w, rec, m)` */
export function onMessage(w: World, rec: ClientRec, m: unknown): string | undefined {
  if (!(m instanceof Message)) return `read resolved with ${fmt(m)}, not a Message`;
  const id = w.ledger.verifyRead(m, rec.name);
  if (id === undefined) return undefined;
  if (id % 4 === 0 && w.held.length < 40) w.held.push({ msg: m, consumer: rec.id });
  else if (id % 4 === 1) releaseAndCheck(w, m);
  return undefined;
}

/** A signal for a read: none, one aborting later, or one already aborted; and when it aborts. */
function readSignal(rng: Rng): { signal?: AbortSignal; abortsAfter: number; label: string } {
  const kind = rng.weighted<string>([["none", 6], ["timeout", 1], ["later", 1], ["aborted", 0.3]]);
  if (kind === "timeout") {
    const ms = rng.pick([5, 100, 1_000]);
    return { signal: AbortSignal.timeout(ms), abortsAfter: ms, label: `AbortSignal.timeout(${ms})` };
  }
  if (kind === "later") {
    const ms = rng.pick([0, 20, 300]);
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error("fz-abort")), ms);
    return { signal: ac.signal, abortsAfter: ms, label: `aborts after ${ms} ms` };
  }
  if (kind === "aborted") return { signal: AbortSignal.abort(new Error("fz-abort")), abortsAfter: 0, label: "aborted" };
  return { abortsAfter: Infinity, label: "no signal" };
}

/** What a read may reject with. */
function readErrors(rec: ClientRec): ErrKind[] {
  return rec.life === "closing" ? ["ClosedError"] : ["ClosedError", "KafkaError", "LimitError", "Abort"];
}

const read: Op = {
  name: "consumer.read",
  weight: (w) => weightFor(w, "consumer", 6),
  run(w, rng) {
    const rec = target(w, rng, "consumer");
    if (!rec) return;
    const c = rec.ref as Consumer;
    const timeoutMs = rng.weighted<number | undefined>([[0, 1], [10, 1], [100, 2], [500, 2], [2_000, 1], [
      Infinity,
      0.4,
    ], [undefined, 1]]);
    const batch = rng.chance(0.4) ? rng.weighted<number>([[1, 1], [5, 2], [50, 2], [1_000, 0.5]]) : 0;
    const s = readSignal(rng);
    const opts = { timeoutMs, signal: s.signal };
    const label = `${rec.name}.${
      batch ? `readBatch({maxMessages:${batch},` : "read({"
    }timeoutMs:${timeoutMs}}, ${s.label})`;
    w.op(label);
    const bound = rec.life === "closing" ? 0 : Math.min(timeoutMs ?? rec.consumer!.readTimeoutMs, s.abortsAfter);
    const p = batch ? c.readBatch({ ...opts, maxMessages: batch }) : c.read(opts);
    w.track(label, p, {
      client: rec,
      boundMs: bound,
      byClose: "always",
      errors: readErrors(rec),
      value: (v) => {
        if (!batch) return v === null ? undefined : onMessage(w, rec, v);
        if (!Array.isArray(v) || v.length > batch) return `readBatch resolved with ${fmt(v)}`;
        for (const m of v) onMessage(w, rec, m);
        return undefined;
      },
      reason: (
        e,
      ) => (errKind(e) === "Abort" && e !== s.signal?.reason
        ? `rejected with another reason than the signal's`
        : undefined),
    });
  },
};

/** A few messages through `for await` (or a Web stream), ended by a signal or by close. */
const iterate: Op = {
  name: "consumer.iterate",
  weight: (w) => weightFor(w, "consumer", 1.5),
  run(w, rng) {
    const rec = target(w, rng, "consumer");
    if (!rec) return;
    const c = rec.ref as Consumer;
    const n = rng.int(1, 5);
    const ms = rng.weighted<number | undefined>([[100, 1], [1_000, 2], [3_000, 1], [undefined, 0.3]]);
    if (rng.chance(0.3)) {
      const wait = ms ?? 2_000;
      w.op(`${rec.name}.stream().getReader().read(), cancelled after ${wait} ms`);
      const reader = c.stream().getReader();
      const timer = setTimeout(() => void reader.cancel().catch(() => {}), wait);
      const p = reader.read().then((r) => {
        clearTimeout(timer);
        void reader.cancel().catch(() => {});
        return r.done ? "done" : r.value;
      });
      w.track(`${rec.name}.stream read`, p, {
        client: rec,
        boundMs: wait,
        byClose: "always",
        errors: ["KafkaError", "LimitError"],
        value: (v) => (v === "done" ? undefined : onMessage(w, rec, v)),
      });
      return;
    }
    w.op(`for await (m of ${rec.name}.messages(${ms === undefined ? "" : `{signal: timeout(${ms})}`})) up to ${n}`);
    const signal = ms === undefined ? undefined : AbortSignal.timeout(ms);
    const loop = async () => {
      let k = 0;
      for await (const m of c.messages(signal ? { signal } : undefined)) {
        const bad = onMessage(w, rec, m);
        if (bad) w.violate(`${rec.name}.messages(): ${bad}`);
        if (++k >= n) break;
      }
      return k;
    };
    w.track(`${rec.name}.messages() ×${n}`, loop(), {
      client: rec,
      boundMs: ms ?? Infinity,
      byClose: "always",
      errors: ["KafkaError", "LimitError"],
    });
  },
};

/** A read whose signal is not a signal is refused and takes nothing (the position does not move). */
const refusedRead: Op = {
  name: "consumer.refusedRead",
  weight: (w) => (w.live("consumer").length > 0 ? 0.5 : 0),
  run(w, rng) {
    const rec = pickClient(w, rng, "consumer");
    if (!rec) return;
    const c = rec.ref as Consumer;
    const bad = rng.pick<unknown>([{ aborted: false }, "x", 5, null]);
    const label = `${rec.name}.read({timeoutMs:1000, signal:${fmt(bad)}})`;
    w.op(label);
    const position = () => {
      try {
        return c.position();
      } catch (e) {
        return showErr(e);
      }
    };
    refused(w, label, () => c.read({ timeoutMs: 1_000, signal: bad as AbortSignal }), ["TypeError"], position, rec);
  },
};

/** Read operations. @example `const ops = [...readOps]` */
export const readOps: readonly Op[] = [read, iterate, refusedRead];
