/**
 * The harness's runs and their medians: what the report's tables and the chart
 * both read (kept apart so that neither imports the other).
 *
 * @module
 */
import type { Result, Spec } from "./clients.ts";

/** A scenario at one value size. @example `{ scenario: "produce", size: 100, count: 500000 }` */
export interface Cell {
  scenario: Spec["scenario"];
  size: number;
  count: number;
}

/** One worker run. @example `{ tier: "kafka", scenario: "produce", size: 100, count, rep: 0, client: "c", result }` */
export interface Run extends Cell {
  tier: string;
  rep: number;
  client: string;
  result: Result;
}

/** The median of the finite numbers in `xs` (undefined when there are none). @example `median([3, 1, 2]) === 2` */
export function median(xs: (number | null | undefined)[]): number | undefined {
  const s = xs.filter((x): x is number => typeof x === "number" && Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return undefined;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const sizeName = (b: number) => (b >= 1024 && b % 1024 === 0 ? `${b / 1024} KiB` : `${b} B`);
/** "produce 1 KiB". @example `cellName({ scenario: "produce", size: 1024 })` */
export const cellName = (c: { scenario: string; size: number }): string => `${c.scenario} ${sizeName(c.size)}`;

/** Medians of one client in one cell. */
export interface Summary {
  ok: number;
  failed: string[];
  rate?: number;
  p50?: number;
  p99?: number;
  lagP99?: number;
  lagMax?: number;
  rss?: number;
  cpuPerM?: number;
  mode?: string;
  version?: string;
  runtime?: string;
}

/**
 * Medians over the repetitions of one client in one cell of one tier.
 *
 * @example
 * ```ts
 * const s = summarise(runs, "kafka", cell, "c");
 * ```
 */
export function summarise(runs: Run[], tier: string, cell: Cell, client: string): Summary {
  const mine = runs.filter((r) =>
    r.tier === tier && r.scenario === cell.scenario && r.size === cell.size && r.client === client
  );
  const good = mine.map((r) => r.result).filter((r) => !r.error && r.msgs && r.seconds);
  return {
    ok: good.length,
    failed: mine.filter((r) => r.result.error).map((r) => r.result.error!),
    rate: median(good.map((r) => r.msgs! / r.seconds!)),
    p50: median(good.map((r) => r.p50Ms)),
    p99: median(good.map((r) => r.p99Ms)),
    lagP99: median(good.map((r) => r.lagP99Ms)),
    lagMax: median(good.map((r) => r.lagMaxMs)),
    rss: good.length ? Math.max(...good.map((r) => r.rssPeakMiB ?? 0)) : undefined,
    cpuPerM: median(good.map((r) => (r.cpuSec! / r.msgs!) * 1e6)),
    mode: good[0]?.mode,
    version: good[0]?.version,
    runtime: good[0]?.runtime,
  };
}
