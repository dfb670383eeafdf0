/**
 * Turns the harness's runs into medians, Markdown tables (throughput with the ratio
 * to C, latency, event-loop lag, RSS and CPU) and an SVG chart per tier.
 *
 * @module
 */
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, release, totalmem } from "node:os";
import { execSync } from "node:child_process";
import type { Client } from "./clients.ts";
import { chart } from "./chart.ts";
import { type Cell, cellName, type Run, summarise, type Summary } from "./summary.ts";

const int = (x: number) => Math.round(x).toLocaleString("en-US");
const ms = (x: number | undefined) => (x === undefined ? "–" : x < 10 ? x.toFixed(2) : x.toFixed(1));

const throughputCells = (cells: Cell[]) => cells.filter((c) => c.scenario === "produce" || c.scenario === "consume");

function table(head: string[], rows: string[][]): string {
  const line = (r: string[]) => `| ${r.join(" | ")} |`;
  return [line(head), line(head.map((_, i) => (i === 0 ? "---" : "---:"))), ...rows.map(line)].join("\n");
}

/** A cell's text when a client has no figure: not run here, or failed (with why). */
function gap(c: Client, s: Summary, notes: string[], skip?: string): string | undefined {
  if (!c.argv) return "not run¹";
  if (skip) return "not run³";
  if (s.ok) return undefined;
  notes.push(`${c.label}: ${s.failed[0] ?? "no result"}`);
  return `failed²`;
}

function tierSection(tier: string, runs: Run[], clients: Client[], allCells: Cell[], reps: number): string {
  const notes: string[] = [];
  const cells = allCells.filter((c) =>
    runs.some((r) => r.tier === tier && r.scenario === c.scenario && r.size === c.size)
  );
  const tput = throughputCells(cells);
  const out: string[] = [];
  const title = tier === "kafka" ? "real Apache Kafka broker" : "librdkafka mock cluster (own process)";
  out.push(`### ${tier}: ${title}`, "");
  if (tput.length) {
    const counts = tput.map((cell) => {
      const n = runs.find((r) => r.tier === tier && r.scenario === cell.scenario && r.size === cell.size)?.count;
      return `${cellName(cell)}: ${n === undefined ? "–" : int(n)}`;
    });
    out.push(`Messages per run: ${counts.join(", ")}.`, "");
    out.push(`Throughput, msg/s (median of ${reps}), and the ratio to librdkafka from C:`, "");
    const rows = clients.map((c) => [
      c.label,
      ...tput.map((cell) => {
        const s = summarise(runs, tier, cell, c.id);
        const base = summarise(runs, tier, cell, "c").rate;
        return gap(c, s, notes, c.skip?.[`${tier}:${cell.scenario}`]) ??
          `${int(s.rate!)}${base && c.id !== "c" ? ` (${(s.rate! / base).toFixed(2)}×)` : ""}`;
      }),
    ]);
    out.push(table(["client", ...tput.map(cellName)], rows), "");
    out.push("Event-loop lag during those runs, ms, p99 / max (medians):", "");
    const lag = clients.filter((c) => c.id !== "c").map((c) => [
      c.label,
      ...tput.map((cell) => {
        const s = summarise(runs, tier, cell, c.id);
        return gap(c, s, [], c.skip?.[`${tier}:${cell.scenario}`]) ?? `${ms(s.lagP99)} / ${ms(s.lagMax)}`;
      }),
    ]);
    out.push(table(["client", ...tput.map(cellName)], lag), "");
    out.push(
      "CPU seconds per million messages (whole process, median), and peak RSS in MiB over every run of the cell:",
      "",
    );
    const cpu = clients.map((c) => [
      c.label,
      ...tput.map((cell) => {
        const s = summarise(runs, tier, cell, c.id);
        return gap(c, s, [], c.skip?.[`${tier}:${cell.scenario}`]) ??
          `${s.cpuPerM!.toFixed(2)} s, ${int(s.rss ?? 0)} MiB`;
      }),
    ]);
    out.push(table(["client", ...tput.map(cellName)], cpu), "");
  }
  const lat = cells.filter((c) => c.scenario === "latency" || c.scenario === "e2e");
  if (lat.length) {
    out.push(`Latency, ms (medians of ${reps} runs' p50 and p99; lag p99 / max during the run):`, "");
    const head = [
      "client",
      ...lat.flatMap((c) => [`${c.scenario === "latency" ? "awaited send" : "produce→consume"} p50`, "p99", "lag"]),
    ];
    const rows = clients.map((c) => [
      c.label,
      ...lat.flatMap((cell) => {
        const s = summarise(runs, tier, cell, c.id);
        const g = gap(c, s, notes, c.skip?.[`${tier}:${cell.scenario}`]);
        return g ? [g, "", ""] : [ms(s.p50), ms(s.p99), c.id === "c" ? "–" : `${ms(s.lagP99)} / ${ms(s.lagMax)}`];
      }),
    ]);
    out.push(table(head, rows), "");
  }
  if (tier === "mock" && allCells.some((c) => c.scenario === "e2e")) {
    out.push(
      "No produce→consume latency on the mock: its Fetch handler holds a fetch that finds no data for the whole " +
        "`fetch.wait.max.ms`, even when data arrives meanwhile, so every client measures that wait (501 ms).",
      "",
    );
  }
  const fewer = clients.filter((c) => c.argv && c.latencySamples && lat.some((x) => x.scenario === "latency"));
  if (fewer.length) {
    out.push(
      `Awaited-send latency of ${fewer.map((c) => c.label).join(", ")}: ${fewer[0].latencySamples} samples a run ` +
        "(each send takes about 100 ms), the others 2 000.",
      "",
    );
  }
  const missing = clients.filter((c) => !c.argv);
  if (missing.length) out.push(`¹ not run here: ${missing.map((c) => `${c.label}: ${c.missing}`).join("; ")}.`, "");
  if (notes.length) out.push(`² failed: ${[...new Set(notes)].join("; ")}.`, "");
  const skipped = clients.flatMap((c) =>
    cells.some((cell) => c.skip?.[`${tier}:${cell.scenario}`])
      ? Object.entries(c.skip!).filter(([k]) => k.startsWith(`${tier}:`)).map(([k, why]) =>
        `${c.label}, ${k.split(":")[1]}: ${why}`
      )
      : []
  );
  if (skipped.length) out.push(`³ not run on this tier: ${skipped.join("; ")}.`, "");
  return out.join("\n");
}

function machine(): string {
  const cpu = cpus();
  let os = "";
  try {
    os = /PRETTY_NAME="([^"]+)"/.exec(readFileSync("/etc/os-release", "utf8"))?.[1] ?? "";
  } catch { /* not Linux */ }
  return `${cpu.length} × ${cpu[0]?.model ?? "?"}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${os}, Linux ${release()}`;
}

function versions(runs: Run[], clients: Client[]): string {
  const seen = new Map<string, string>();
  for (const r of runs) {
    if (r.result.error || seen.has(r.client)) continue;
    const label = clients.find((c) => c.id === r.client)?.label ?? r.client;
    seen.set(r.client, `${label}: ${r.result.client} ${r.result.version} on ${r.result.runtime}`);
  }
  const modes = new Map<string, Set<string>>();
  for (const r of runs) {
    if (!r.result.error && r.result.mode) {
      (modes.get(r.client) ?? modes.set(r.client, new Set()).get(r.client)!).add(`${r.scenario}: ${r.result.mode}`);
    }
  }
  return [...seen].map(([id, v]) => `- ${v} (${[...(modes.get(id) ?? [])].join(", ")})`).join("\n");
}

/**
 * Writes report.md and one chart per tier into `outDir` (and into `docs` when given:
 * the Markdown between the markers of docs/BENCHMARKS.md, the charts beside it);
 * returns the Markdown.
 *
 * @example
 * ```ts
 * const md = writeReport({ outDir, runs, clients, tiers: ["kafka"], cells, reps: 3, command, minutes: 12 });
 * ```
 */
export function writeReport(o: {
  outDir: string;
  runs: Run[];
  clients: Client[];
  tiers: string[];
  cells: Cell[];
  reps: number;
  command: string;
  minutes: number;
  /** When the run started (ISO); default now. */
  measuredAt?: string;
  docs?: string;
  soak?: string[];
}): string {
  let librdkafka = "?";
  try {
    librdkafka = execSync("dpkg-query -W -f '${Version}' librdkafka1", { encoding: "utf8" });
  } catch { /* not Debian */ }
  const parts = [
    `Measured ${(o.measuredAt ?? new Date().toISOString()).slice(0, 16).replace("T", " ")} UTC by \`${o.command}\` in ${
      o.minutes.toFixed(0)
    } min:` +
    ` ${o.reps} repetition(s) of every cell, clients in rotating order. Machine: ${machine()}. System librdkafka ${librdkafka}.`,
    "",
    "Clients, versions and the API each used:",
    "",
    versions(o.runs, o.clients),
    "",
  ];
  for (const tier of o.tiers) {
    parts.push(tierSection(tier, o.runs, o.clients, o.cells, o.reps));
    const svg = chart(
      tier,
      o.runs,
      o.clients,
      throughputCells(o.cells).filter((c) =>
        o.runs.some((r) => r.tier === tier && r.scenario === c.scenario && r.size === c.size)
      ),
    );
    writeFileSync(`${o.outDir}/chart-${tier}.svg`, svg);
    parts.push(`![throughput and lag per client, ${tier}](benchmarks-${tier}.svg)`, "");
  }
  if (o.soak?.length) {
    parts.push("### RSS over a long run", "", "kafka-fast alone, `sendMulti`, 100 B values:", "", ...o.soak, "");
  }
  const md = parts.join("\n");
  writeFileSync(`${o.outDir}/report.md`, md);
  if (o.docs) {
    for (const tier of o.tiers) copyFileSync(`${o.outDir}/chart-${tier}.svg`, `${o.docs}/benchmarks-${tier}.svg`);
    const file = `${o.docs}/BENCHMARKS.md`;
    const doc = readFileSync(file, "utf8");
    const begin = "<!-- bench:begin -->", end = "<!-- bench:end -->";
    const a = doc.indexOf(begin), b = doc.indexOf(end);
    if (a < 0 || b < a) throw new Error(`${file} has no ${begin} … ${end} markers`);
    writeFileSync(file, doc.slice(0, a + begin.length) + "\n" + md + "\n" + doc.slice(b));
  }
  return md;
}
