/**
 * An SVG chart of one tier: throughput relative to the C program (top) and
 * event-loop lag p99 on a log scale (bottom), one bar per client in each
 * throughput cell. Hand-written SVG: no dependency, readable in any browser and on
 * GitHub.
 *
 * @module
 */
import type { Client } from "./clients.ts";
import { type Cell, cellName, type Run, summarise } from "./summary.ts";

const COLOURS = [
  "#555555",
  "#e4572e",
  "#f3a712",
  "#29335c",
  "#4e8098",
  "#90c2e7",
  "#6a994e",
  "#a7c957",
  "#bc4749",
  "#8e7dbe",
];
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");

/**
 * The chart of `tier` as SVG text.
 *
 * @example
 * ```ts
 * writeFileSync("chart.svg", chart("kafka", runs, clients, cells));
 * ```
 */
export function chart(tier: string, runs: Run[], clients: Client[], cells: Cell[]): string {
  const shown = clients.filter((c) => c.argv);
  const W = 1000, left = 60, right = 20, groupGap = 18;
  const groupW = (W - left - right) / Math.max(1, cells.length);
  const barW = Math.max(3, (groupW - groupGap) / Math.max(1, shown.length));
  const top1 = 40, h1 = 220, top2 = top1 + h1 + 70, h2 = 180, legendTop = top2 + h2 + 50;
  const legendRows = Math.ceil(shown.length / 4);
  const H = legendTop + legendRows * 20 + 10;
  const s: string[] = [];
  s.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
  );
  s.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  const tierTitle = tier === "kafka" ? "real Kafka broker" : "librdkafka mock cluster";
  s.push(
    `<text x="${left}" y="20" font-size="14" font-weight="bold">Throughput relative to librdkafka from C (${
      esc(tierTitle)
    }; C = 1.0)</text>`,
  );

  const ratio = (c: Client, cell: Cell) => {
    const base = summarise(runs, tier, cell, "c").rate;
    const r = summarise(runs, tier, cell, c.id).rate;
    return base && r ? r / base : undefined;
  };
  const maxRatio = Math.max(1.2, ...cells.flatMap((cell) => shown.map((c) => ratio(c, cell) ?? 0)));
  const y1 = (v: number) => top1 + h1 - (v / maxRatio) * h1;
  for (let t = 0; t <= maxRatio + 1e-9; t += maxRatio > 3 ? 1 : 0.25) {
    s.push(`<line x1="${left}" x2="${W - right}" y1="${y1(t)}" y2="${y1(t)}" stroke="${t === 1 ? "#000" : "#ddd"}"/>`);
    s.push(`<text x="${left - 6}" y="${y1(t) + 4}" text-anchor="end">${t.toFixed(2)}</text>`);
  }
  // Lag on a log scale, 0.1 ms to 1 s: the figures span four decades.
  s.push(
    `<text x="${left}" y="${
      top2 - 20
    }" font-size="14" font-weight="bold">Event-loop lag p99 during the same runs, ms (log scale)</text>`,
  );
  const lo = -1, hi = 3;
  const y2 = (v: number) => top2 + h2 - ((Math.log10(Math.max(v, 0.1)) - lo) / (hi - lo)) * h2;
  for (let e = lo; e <= hi; e++) {
    s.push(`<line x1="${left}" x2="${W - right}" y1="${y2(10 ** e)}" y2="${y2(10 ** e)}" stroke="#ddd"/>`);
    s.push(`<text x="${left - 6}" y="${y2(10 ** e) + 4}" text-anchor="end">${10 ** e}</text>`);
  }
  cells.forEach((cell, g) => {
    const gx = left + g * groupW + groupGap / 2;
    s.push(
      `<text x="${gx + (groupW - groupGap) / 2}" y="${top1 + h1 + 16}" text-anchor="middle">${
        esc(cellName(cell))
      }</text>`,
    );
    s.push(
      `<text x="${gx + (groupW - groupGap) / 2}" y="${top2 + h2 + 16}" text-anchor="middle">${
        esc(cellName(cell))
      }</text>`,
    );
    shown.forEach((c, i) => {
      const x = gx + i * barW, fill = COLOURS[clients.indexOf(c) % COLOURS.length];
      const r = ratio(c, cell);
      if (r !== undefined) {
        s.push(
          `<rect x="${x.toFixed(1)}" y="${y1(r).toFixed(1)}" width="${(barW - 1).toFixed(1)}" height="${
            (top1 + h1 - y1(r)).toFixed(1)
          }" fill="${fill}"><title>${esc(c.label)}: ${r.toFixed(2)}×</title></rect>`,
        );
      } else {
        s.push(
          `<text x="${(x + barW / 2).toFixed(1)}" y="${
            top1 + h1 - 3
          }" text-anchor="middle" font-size="9" fill="#999">×</text>`,
        );
      }
      const lag = c.id === "c" ? undefined : summarise(runs, tier, cell, c.id).lagP99;
      if (lag !== undefined) {
        s.push(
          `<rect x="${x.toFixed(1)}" y="${y2(lag).toFixed(1)}" width="${(barW - 1).toFixed(1)}" height="${
            (top2 + h2 - y2(lag)).toFixed(1)
          }" fill="${fill}"><title>${esc(c.label)}: ${lag.toFixed(2)} ms</title></rect>`,
        );
      }
    });
  });
  shown.forEach((c, i) => {
    const x = left + (i % 4) * 230, y = legendTop + Math.floor(i / 4) * 20;
    s.push(
      `<rect x="${x}" y="${y - 10}" width="12" height="12" fill="${COLOURS[clients.indexOf(c) % COLOURS.length]}"/>`,
    );
    s.push(`<text x="${x + 18}" y="${y}">${esc(c.label)}</text>`);
  });
  s.push(
    `<text x="${left}" y="${
      H - 4
    }" fill="#777" font-size="9">× = no figure (failed or not run). Written by bench/harness/run.ts.</text>`,
  );
  s.push("</svg>");
  return s.join("\n");
}
