/**
 * A small seeded pseudo-random generator for the fuzzer (sfc32, seeded through
 * splitmix32), written here so that a seed means the same sequence on Bun and on
 * Deno and in every version of either: `Math.random()` cannot be seeded, and a
 * failing seed is only useful if it replays.
 *
 * Each step of a run draws from its own generator, derived from the run's seed and
 * the step number ({@link Rng.derive}). A step that consumes more or fewer numbers
 * (because a promise settled earlier this time) therefore never shifts the choices
 * of the steps after it.
 *
 * @module
 */

/** One round of splitmix32: spreads a 32-bit seed over the generator's state. */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * A seeded generator with the helpers the fuzzer needs.
 *
 * @example
 * ```ts
 * const rng = new Rng(42);
 * const n = rng.int(1, 6); // 1…6
 * const op = rng.weighted([["send", 5], ["close", 1]]);
 * ```
 */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    const st = { s: seed | 0 };
    this.#a = splitmix32(st);
    this.#b = splitmix32(st);
    this.#c = splitmix32(st);
    this.#d = splitmix32(st);
    // The first outputs of sfc32 still show the seed: discard them.
    for (let i = 0; i < 12; i++) this.u32();
  }

  /**
   * A generator for one part of a run (a step), independent of how many numbers
   * other parts drew.
   *
   * @example
   * ```ts
   * const stepRng = Rng.derive(seed, step);
   * ```
   */
  static derive(seed: number, part: number): Rng {
    return new Rng(Math.imul(seed ^ 0x5bd1e995, 0x27d4eb2d) ^ Math.imul(part + 1, 0x165667b1));
  }

  /** The next 32-bit unsigned integer. @example `rng.u32()` */
  u32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** A float in [0, 1). @example `rng.float() < 0.5` */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** An integer from `lo` to `hi`, both inclusive. @example `rng.int(0, 3)` */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  /** True with probability `p`. @example `if (rng.chance(0.1)) …` */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** One element of a non-empty array. @example `rng.pick(["a", "b"])` */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("rng.pick: empty list");
    return items[Math.floor(this.float() * items.length)];
  }

  /** One element, or undefined for an empty array. @example `rng.maybe(clients)` */
  maybe<T>(items: readonly T[]): T | undefined {
    return items.length === 0 ? undefined : this.pick(items);
  }

  /**
   * One value chosen by weight (weights ≥ 0, at least one positive).
   *
   * @example
   * ```ts
   * rng.weighted([[0, 5], [Infinity, 1]]);
   * ```
   */
  weighted<T>(entries: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of entries) total += w;
    if (!(total > 0)) throw new Error("rng.weighted: no positive weight");
    let x = this.float() * total;
    for (const [v, w] of entries) {
      if (x < w) return v;
      x -= w;
    }
    return entries[entries.length - 1][0];
  }

  /** A few distinct elements (0…max of them), in the array's order. @example `rng.subset(topics, 2)` */
  subset<T>(items: readonly T[], max: number): T[] {
    const n = this.int(0, Math.min(max, items.length));
    const chosen = new Set<number>();
    while (chosen.size < n) chosen.add(this.int(0, items.length - 1));
    return [...chosen].sort((a, b) => a - b).map((i) => items[i]);
  }
}
