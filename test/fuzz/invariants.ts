/**
 * The invariants checked after every step and at the end of a run.
 *
 * After every step: refused calls settled at once; no promise is past its bound;
 * the clients `currentLimits()` counts are between those certainly open and those
 * that may still hold a slot; the counters are sane.
 *
 * At the end (see `engine.ts`, which closes everything first): every promise
 * settled; with every client closed or dropped and the garbage collector forced,
 * `openClients`, `backgroundCalls`, `backgroundWaiting` and `heldBytes` are back to
 * their values at the start; and the topics read back hold what the producers'
 * reports promise (see `Ledger.checkReadBack`).
 *
 * @module
 */
import { currentLimits, type Limits } from "../../src/mod.ts";
import { forceGc } from "../helpers/runtime.ts";
import type { World } from "./model.ts";
import { sleep } from "./ops.ts";

/** The load `currentLimits()` reports at the start of a run. @example `const base: Load = currentLimits()` */
export type Load = ReturnType<typeof currentLimits>;

/** Limits the fuzzer may change: put back before the end checks. @example `restoreLimits(base)` */
export function limitsOf(l: Load): Partial<Limits> {
  return { maxClients: l.maxClients, maxBackgroundCalls: l.maxBackgroundCalls, maxHeldBytes: l.maxHeldBytes };
}

/**
 * Checks after a step: what had to settle at once, deadlines, and the client count.
 *
 * @example
 * ```ts
 * checkStep(w, base);
 * ```
 */
export function checkStep(w: World, base: Load): void {
  w.checkAtOnce();
  w.checkDeadlines();
  const l = currentLimits();
  for (const k of ["openClients", "heldBytes", "backgroundCalls", "backgroundWaiting"] as const) {
    if (!(l[k] >= 0) || !Number.isInteger(l[k])) w.violate(`currentLimits().${k} is ${l[k]}`);
  }
  const { lower, upper } = slotRange(w, base);
  if (l.openClients < lower || l.openClients > upper) {
    w.violate(`currentLimits().openClients is ${l.openClients}; the clients the run made allow ${lower}…${upper}`);
  }
}

/**
 * The range `openClients` must be in: every open client holds a slot (plus the
 * main mock cluster); a closing, closed-with-an-error or dropped one may still hold
 * its slot; one whose close resolved has given it back.
 */
function slotRange(w: World, base: Load): { lower: number; upper: number } {
  const own = w.clients.filter((c) => c.ownSlot);
  const open = own.filter((c) => c.life === "open").length;
  const mayHold = own.filter((c) => {
    if (c.closeId === undefined) return true;
    const t = w.tracked.get(c.closeId)!;
    return !(t.settled && t.status === "fulfilled");
  }).length;
  return { lower: base.openClients + 1 + open, upper: base.openClients + 1 + mayHold + w.churnOpen };
}

/**
 * Waits until every tracked promise has settled, checking deadlines meanwhile;
 * after `maxMs` the ones still pending are violations.
 *
 * @example
 * ```ts
 * await allSettled(w, 60_000, () => progress());
 * ```
 */
export async function allSettled(w: World, maxMs: number, progress: () => void): Promise<void> {
  const until = performance.now() + maxMs;
  while (w.pending().length > 0 && performance.now() < until) {
    w.checkDeadlines();
    progress();
    await sleep(50);
  }
  for (const t of w.pending()) {
    w.violate(`t${t.id} ${t.label} (step ${t.step}) never settled (${Math.round(performance.now() - t.start)} ms)`);
    t.settled = true; // reported once
  }
}

/**
 * With every client closed or dropped: forces the collector until the load is
 * back to `base` (dropped clients are closed by their FinalizationRegistry, kept
 * messages freed), at most `maxMs`. A client still open then is named, with
 * whether it was collected at all (a collected client whose slot stays taken is a
 * leak in the library; an uncollected one may be the collector's conservatism).
 *
 * @example
 * ```ts
 * await backToBase(w, base, 60_000, () => progress());
 * ```
 */
export async function backToBase(
  w: World,
  base: Load,
  extraClients: number,
  maxMs: number,
  progress: () => void,
): Promise<void> {
  const until = performance.now() + maxMs;
  const wanted = () => {
    const l = currentLimits();
    return l.openClients === base.openClients + extraClients && l.heldBytes === base.heldBytes &&
      l.backgroundCalls === base.backgroundCalls && l.backgroundWaiting === base.backgroundWaiting;
  };
  while (!wanted() && performance.now() < until) {
    forceGc();
    progress();
    w.checkDeadlines();
    await sleep(100);
  }
  if (wanted()) return;
  const l = currentLimits();
  const alive = w.clients.filter((c) => c.life === "dropped" && c.weak.deref() !== undefined).map((c) => c.name);
  w.violate(
    `after ${Math.round(maxMs / 1000)} s with every client closed or dropped and the GC forced: openClients ` +
      `${l.openClients} (want ${
        base.openClients + extraClients
      }), heldBytes ${l.heldBytes} (want ${base.heldBytes}), ` +
      `backgroundCalls ${l.backgroundCalls} (want ${base.backgroundCalls}), backgroundWaiting ` +
      `${l.backgroundWaiting} (want ${base.backgroundWaiting}); dropped clients never collected: ${
        alive.join(", ") || "none"
      }`,
  );
}
