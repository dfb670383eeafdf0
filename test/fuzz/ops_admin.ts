/**
 * Admin client operations: clients of their own and clients sharing a producer's
 * or consumer's handle (`fromClient`, also while that client closes), the read
 * calls the mock cluster answers (metadata, topic lists, topic and cluster
 * descriptions, earliest/latest offsets), closes and drops.
 *
 * Bounds: a call that runs off the JS thread waits at most `timeoutMs` for a
 * background slot and then at most `timeoutMs` for librdkafka (README, Limits).
 * `describeTopics` and `describeCluster` chain up to three such calls on this
 * librdkafka (metadata, then the cached controller and cluster id), so their
 * bound here is the sum; close is bounded by `timeoutMs` + CLOSE_MARGIN_MS.
 *
 * @module
 */
import { AdminClient, CLOSE_MARGIN_MS, ErrorCode, KafkaError } from "../../src/mod.ts";
import { type ClientRec, errKind, showErr, type World } from "./model.ts";
import { fmt, type Op, pickClient, target, weightFor } from "./ops.ts";
import { somePartitions } from "./ops_consumer.ts";

const createAdmin: Op = {
  name: "admin.new",
  weight: (w) => [1, 0.4][w.live("admin").length] ?? 0.1,
  run(w, rng) {
    const shared = rng.maybe([...w.live("producer", ["open", "closing"]), ...w.live("consumer", ["open", "closing"])]);
    if (shared && rng.chance(0.5)) {
      w.op(`AdminClient.fromClient(${shared.name}${shared.life === "closing" ? ", which is closing" : ""})`);
      let a: AdminClient;
      try {
        a = AdminClient.fromClient(shared.ref!);
      } catch (e) {
        w.note(`= fromClient threw ${showErr(e)}`);
        // While its close runs the handle may already be gone: then ClosedError, never anything else.
        if (!(shared.life === "closing" && errKind(e) === "ClosedError")) {
          w.violate(`AdminClient.fromClient(${shared.name}) threw ${showErr(e)}`);
        }
        return;
      }
      const rec = w.addClient("admin", a, false);
      rec.parent = shared.id;
      w.note(`→ ${rec.name} on ${shared.name}'s handle`);
      return;
    }
    const options = rng.chance(0.2) ? { drainBudget: rng.pick([1, 100]) } : {};
    w.op(`new AdminClient({bootstrap.servers}, ${fmt(options)})`);
    let a: AdminClient;
    try {
      a = new AdminClient({ "bootstrap.servers": w.bootstrap }, options);
    } catch (e) {
      w.note(`= new AdminClient threw ${showErr(e)}`);
      if (errKind(e) !== "LimitError") w.violate(`new AdminClient threw ${showErr(e)}`);
      return;
    }
    a.on("log", () => {});
    const rec = w.addClient("admin", a, true);
    w.note(`→ ${rec.name}`);
  },
};

/** The admin client's handle is gone or going: calls must reject with ClosedError at once. */
function closedFor(w: World, rec: ClientRec): boolean {
  if (rec.life === "closing") return true;
  const parent = w.clients.find((c) => c.id === rec.parent);
  return parent !== undefined && parent.closeId !== undefined && w.tracked.get(parent.closeId)!.settled;
}

const call: Op = {
  name: "admin.call",
  weight: (w) => weightFor(w, "admin", 2.5),
  run(w, rng) {
    const rec = target(w, rng, "admin");
    if (!rec) return;
    const a = rec.ref as AdminClient;
    const timeoutMs = rng.weighted<number | undefined>([[0, 0.3], [50, 1], [1_000, 2], [3_000, 1], [undefined, 0.1]]);
    const t = timeoutMs ?? 30_000;
    const o = timeoutMs === undefined ? undefined : { timeoutMs };
    const what = rng.weighted<string>([["metadata", 2], ["listTopics", 1], ["describeTopics", 1.5], [
      "describeCluster",
      0.7,
    ], ["listOffsets", 1]]);
    const names = rng.subset(w.topics.map((x) => x.name), 2);
    if (rng.chance(0.2)) names.push(`fz-${w.seed}-missing`);
    let p: Promise<unknown>;
    let label: string;
    let calls = 1;
    if (what === "metadata") {
      const opts = rng.chance(0.5) ? { ...o, topics: names } : o;
      label = `${rec.name}.metadata(${fmt(opts)})`;
      w.op(label);
      p = a.metadata(opts);
    } else if (what === "listTopics") {
      label = `${rec.name}.listTopics(${fmt(o)})`;
      w.op(label);
      p = a.listTopics(o);
    } else if (what === "describeTopics") {
      const list = names.length > 0 ? names : [`fz-${w.seed}-missing`];
      label = `${rec.name}.describeTopics(${fmt(list)}, ${fmt(o)})`;
      w.op(label);
      p = a.describeTopics(list, o);
      calls = 3;
    } else if (what === "describeCluster") {
      label = `${rec.name}.describeCluster(${fmt(o)})`;
      w.op(label);
      p = a.describeCluster(o);
      calls = 3;
    } else {
      const req = somePartitions(w, rng, 1, 2).map((tp) => ({
        ...tp,
        spec: rng.pick(["earliest", "latest"] as const),
      }));
      label = `${rec.name}.listOffsets(${fmt(req)}, ${fmt(o)})`;
      w.op(label);
      p = a.listOffsets(req, o);
    }
    const closed = closedFor(w, rec);
    // `--exclude admin-shared-close-inflight`: a fromClient admin client's close resolves while a
    // metadata call it started still runs (it settles later, by its own bound; see the report).
    const lax = rec.parent !== undefined && w.excluded.has("admin-shared-close-inflight");
    w.track(label, p, {
      client: rec,
      boundMs: closed ? 0 : 2 * t * calls,
      byClose: lax ? undefined : "ifClean",
      errors: closed ? ["ClosedError"] : ["KafkaError", "ClosedError", "LimitError"],
      value: (v) => (v !== null && typeof v === "object" ? undefined : `resolved with ${fmt(v)}`),
    });
  },
};

const close: Op = {
  name: "admin.close",
  weight: (w) => weightFor(w, "admin", 0.5),
  run(w, rng) {
    const rec = target(w, rng, "admin");
    if (!rec) return;
    closeAdmin(w, rec, rng.weighted<number | undefined>([[0, 1], [100, 1], [1_000, 2], [3_000, 1], [undefined, 0.1]]));
  },
};

/**
 * Closes an admin client: settled within `timeoutMs` + CLOSE_MARGIN_MS; requests
 * still waiting reject with ClosedError by then. A second close settles as the
 * first (after the handle is freed).
 *
 * @example
 * ```ts
 * closeAdmin(w, rec, 1_000);
 * ```
 */
export function closeAdmin(w: World, rec: ClientRec, timeoutMs: number | undefined): void {
  const a = rec.ref as AdminClient;
  const first = rec.closeId === undefined;
  w.op(`${rec.name}.close({timeoutMs:${timeoutMs}}) with ${a.pending} pending${first ? "" : " (again)"}`);
  const closed = a.close(timeoutMs === undefined ? undefined : { timeoutMs });
  rec.life = "closing";
  const id = w.track(`${rec.name}.close(${timeoutMs})${first ? "" : " again"}`, closed, {
    client: rec,
    boundMs: first ? (timeoutMs ?? 30_000) + CLOSE_MARGIN_MS : w.remaining(rec.closeId),
    errors: ["KafkaError"],
    reason: (e) => ((e as KafkaError).code === ErrorCode._TIMED_OUT ? undefined : `close rejected ${showErr(e)}`),
    after: (status) => {
      if (first) w.closeSettled(rec, status);
      else if (status !== w.tracked.get(rec.closeId!)?.status) {
        w.violate(`${rec.name}: a second close settled otherwise`);
      }
    },
  });
  if (first) rec.closeId = id;
}

const drop: Op = {
  name: "admin.drop",
  weight: (w) => (w.live("admin").length > 0 ? 0.3 : 0),
  run(w, rng) {
    const rec = pickClient(w, rng, "admin");
    if (!rec) return;
    w.op(`drop ${rec.name} without close; a later GC closes it`);
    rec.ref = undefined;
    rec.life = "dropped";
  },
};

/** Admin client operations. @example `const ops = [...adminOps]` */
export const adminOps: readonly Op[] = [createAdmin, call, close, drop];
