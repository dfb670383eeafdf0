/**
 * Shared by the benchmarks: event-loop lag measured with a chain of 1 ms timers
 * (each sample is how late a timer fired), and small statistics helpers.
 *
 * @module
 */

/** The value at quantile `q` of an ascending array (0 for an empty one). @example `quantile([1, 2, 3], 0.5) === 2` */
export const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0;

/** The median of any array. @example `median([3, 1, 2]) === 2` */
export const median = (xs: number[]): number => quantile([...xs].sort((a, b) => a - b), 0.5);

/** How late the loop ran timers while the monitor ran (ms). @example `const { p99, max } = stop()` */
export interface Lag {
  p50: number;
  p99: number;
  max: number;
  samples: number;
}

/**
 * Starts the monitor; the returned function stops it and summarises.
 *
 * @example
 * ```ts
 * const stop = startLagMonitor();
 * await work();
 * console.log(stop().p99);
 * ```
 */
export function startLagMonitor(): () => Lag {
  const late: number[] = [];
  let running = true;
  let due = performance.now() + 1;
  const tick = () => {
    const now = performance.now();
    late.push(Math.max(0, now - due));
    if (!running) return;
    due = now + 1;
    setTimeout(tick, 1);
  };
  setTimeout(tick, 1);
  return () => {
    running = false;
    // The sample still pending is the lag up to now (a loop that never let the timer run).
    late.push(Math.max(0, performance.now() - due));
    late.sort((a, b) => a - b);
    return {
      p50: quantile(late, 0.5),
      p99: quantile(late, 0.99),
      max: late[late.length - 1] ?? 0,
      samples: late.length,
    };
  };
}
