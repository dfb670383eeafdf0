/**
 * The report of the sidecar comparison (bench/gateway/run.ts): one Markdown table of
 * medians over the repetitions, with the machine facts above it. The same text goes
 * to stdout, to `report.md` in the results directory, and with `--write` between the
 * gateway markers of docs/BENCHMARKS.md, so what the docs show is what a run printed.
 *
 * Every column is the median of that figure across the repetitions, taken column by
 * column (the p99 shown and the req/s shown may come from different runs): with three
 * runs that is the middle one of each, which is what a reader comparing variants
 * wants, and one slow run cannot move it.
 *
 * @module
 */

/** One variant on one front-end runtime (and linger.ms for kafka-fast). @example `{ variant: "proxy", runtime: "bun" }` */
export interface Combo {
  variant: string;
  runtime: string;
  /** kafka-fast's linger.ms, for variant (a) only. */
  linger?: string;
}

/**
 * The name of a combo in logs and keys: `kafka-fast/linger 5 (bun)`, `proxy (deno)`.
 *
 * @example
 * ```ts
 * comboName({ variant: "kafkajs", runtime: "bun" }) === "kafkajs (bun)";
 * ```
 */
export function comboName(c: Combo): string {
  return `${c.variant}${c.linger !== undefined ? `/linger ${c.linger}` : ""} (${c.runtime})`;
}

/**
 * Whether a row belongs to a combo.
 *
 * @example
 * ```ts
 * rows.filter((r) => sameCombo(r, combo));
 * ```
 */
export function sameCombo(a: Combo, b: Combo): boolean {
  return a.variant === b.variant && a.runtime === b.runtime && a.linger === b.linger;
}

/**
 * What one measured wrk run gave (times in ms, CPU in s, RSS in MiB).
 *
 * @example
 * ```ts
 * const r: Row = { variant: "kafka-fast", runtime: "bun", rps: 2300, ...rest };
 * ```
 */
export interface Row extends Combo {
  /** 202 answers per second of the run (wrk's own duration). */
  rps: number;
  requests: number;
  accepted: number;
  /** Answers other than 202 (503: the sink's produce failed). */
  non202: number;
  /** wrk's connect, read, write and timeout errors. */
  socketErrors: number;
  p50: number;
  p99: number;
  p999: number;
  /** CPU time (user + system, all threads) of the front end during the measured run. */
  cpuFe: number;
  /** The same for the proxy process (0 without one). */
  cpuProxy: number;
  /** The broker's CPU time during the run (NaN when it is not scripts/kafka.sh's). */
  cpuBroker: number;
  seconds: number;
  /** VmHWM at the end of the run: the peak since the process started, warm-up included. */
  rssFe: number;
  rssProxy: number;
  lag: { p50: number; p99: number; max: number; count: number };
}

/** The machine and the versions: printed above the table. @example `facts.librdkafka === "2.0.2"` */
export interface Facts {
  date: string;
  cores: string;
  memory: string;
  bun: string;
  deno: string;
  node: string;
  wrk: string;
  kafkajs: string;
  librdkafka: string;
  kafka: string;
  command: string;
  reps: number;
  duration: number;
  warmup: number;
  connections: number;
  threads: number;
  linger: string;
}

/**
 * The median of any array (0 for none).
 *
 * @example
 * ```ts
 * median([3, 1, 2]) === 2;
 * ```
 */
export function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const LABEL: Record<string, string> = {
  "kafka-fast": "(a) kafka-fast in process",
  "proxy": "(b) HTTP proxy sidecar (KafkaJS on Node)",
  "kafkajs": "(c) KafkaJS in process",
};

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const ms = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const mib = (n: number) => n.toFixed(0);

/**
 * The report: facts, the table of medians, the ratios to variant (a) on the same
 * runtime, and the message check.
 *
 * @example
 * ```ts
 * console.log(table(rows, [{ variant: "kafka-fast", runtime: "bun" }], facts, "ok", 4.2));
 * ```
 */
export function table(rows: Row[], combos: Combo[], f: Facts, check: string, minutes: number): string {
  const out: string[] = [];
  out.push(
    `Measured ${f.date} by \`${f.command}\` in ${minutes.toFixed(1)} min: ${f.reps} repetition(s) of every ` +
      `variant in rotating order, each ${f.warmup} s of warm-up and ${f.duration} s measured, wrk ` +
      `\`-t${f.threads} -c${f.connections}\`, 200-byte bodies, acks=all. ` +
      `Machine: ${f.cores}, ${f.memory}, shared by ` +
      `wrk, the front end, the proxy and the broker. Bun ${f.bun}, Deno ${f.deno}, Node ${f.node} (the proxy), ` +
      `wrk ${f.wrk}, KafkaJS ${f.kafkajs}, librdkafka ${f.librdkafka}, ${f.kafka} (one node, 127.0.0.1).`,
  );
  out.push("");
  out.push(
    "| variant | front end | req/s | p50 ms | p99 ms | p99.9 ms | non-2xx / socket errors | CPU s per 10k req " +
      "(front end + proxy) | CPU % of one core | broker CPU s per 10k req | peak RSS MiB (front end + proxy) | " +
      "lag p50 / p99 / max ms |",
  );
  out.push("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  const med = new Map<string, Record<string, number>>();
  for (const c of combos) {
    const mine = rows.filter((r) => sameCombo(r, c));
    const label = `${LABEL[c.variant] ?? c.variant}${c.linger !== undefined ? `, linger.ms ${c.linger}` : ""}`;
    if (mine.length === 0) {
      out.push(`| ${label} | ${c.runtime} | failed | | | | | | | | | |`);
      continue;
    }
    const m = (pick: (r: Row) => number) => median(mine.map(pick));
    const per10k = (r: Row, cpu: number) => (r.accepted > 0 ? (cpu / r.accepted) * 10_000 : NaN);
    const v = {
      rps: m((r) => r.rps),
      p50: m((r) => r.p50),
      p99: m((r) => r.p99),
      p999: m((r) => r.p999),
      fe10k: m((r) => per10k(r, r.cpuFe)),
      px10k: m((r) => per10k(r, r.cpuProxy)),
      all10k: m((r) => per10k(r, r.cpuFe + r.cpuProxy)),
      pct: m((r) => ((r.cpuFe + r.cpuProxy) / r.seconds) * 100),
      broker10k: m((r) => per10k(r, r.cpuBroker)),
      rssFe: m((r) => r.rssFe),
      rssPx: m((r) => r.rssProxy),
      lag50: m((r) => r.lag.p50),
      lag99: m((r) => r.lag.p99),
      lagMax: m((r) => r.lag.max),
    };
    med.set(comboName(c), v);
    const errors = `${mine.reduce((s, r) => s + r.non202, 0)} / ${mine.reduce((s, r) => s + r.socketErrors, 0)}`;
    const cpu = c.variant === "proxy"
      ? `${v.fe10k.toFixed(2)} + ${v.px10k.toFixed(2)} = ${v.all10k.toFixed(2)}`
      : v.all10k.toFixed(2);
    const rss = c.variant === "proxy" ? `${mib(v.rssFe)} + ${mib(v.rssPx)} = ${mib(v.rssFe + v.rssPx)}` : mib(v.rssFe);
    out.push(
      `| ${label} | ${c.runtime} | ${int(v.rps)} | ${ms(v.p50)} | ${ms(v.p99)} | ${ms(v.p999)} | ${errors} | ` +
        `${cpu} | ${v.pct.toFixed(0)} % | ${Number.isNaN(v.broker10k) ? "–" : v.broker10k.toFixed(2)} | ${rss} | ${
          ms(v.lag50)
        } / ${ms(v.lag99)} / ${ms(v.lagMax)} |`,
    );
  }
  out.push("");
  out.push(
    "Errors are totals over all repetitions; every other column is the median over the repetitions. CPU is user + " +
      "system time of every thread of the process during the measured run (/proc/PID/stat); peak RSS is VmHWM. Lag: " +
      "how late a 10 ms timer in the front end fired, over the measured run.",
  );
  const ratios: string[] = [];
  for (const c of combos) {
    // The base is (a) with the first linger.ms given, on the same runtime.
    const first = combos.find((b) => b.variant === "kafka-fast" && b.runtime === c.runtime);
    const base = first && med.get(comboName(first)), v = med.get(comboName(c));
    if (!first || !base || !v || sameCombo(first, c)) continue;
    ratios.push(
      `${comboName(c)}: ${(v.rps / base.rps).toFixed(2)}× the req/s, ${(v.p99 / base.p99).toFixed(2)}× ` +
        `the p99, ${(v.all10k / base.all10k).toFixed(2)}× the CPU per request`,
    );
  }
  if (ratios.length) {
    out.push("", `Against (a) with linger.ms ${f.linger.split(",")[0]} on the same runtime: ${ratios.join("; ")}.`);
  }
  out.push("", `Check: ${check}.`);
  return out.join("\n") + "\n";
}
